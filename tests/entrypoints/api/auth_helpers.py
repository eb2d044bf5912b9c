"""Small helpers for the sign-in tests: a CSRF header, logging in, reading mails queued for someone."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import select

from linka.core.db import Database
from linka.domains.mail.models import OutgoingMail
from linka.entrypoints.asgi import CSRF_COOKIE, CSRF_HEADER
from tests.conftest import AppClient

FORBIDDEN_IN_RESPONSES = ("password_hash", "totp_secret", "secret_hash")
Client = AppClient


async def csrf(client: Client) -> dict[str, str]:
    if CSRF_COOKIE not in client.cookies:
        # Any safe request sets the cookie; this one is cheap (the OpenAPI document is built on first use).
        response = await client.get("/api/v1/me")
        assert response.status_code in {200, 401}, response.text
        assert CSRF_COOKIE in client.cookies
    return {CSRF_HEADER: client.cookies[CSRF_COOKIE]}


async def post(client: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    response = await client.post(f"/api/v1{path}", json=body or {}, headers=await csrf(client))
    assert_no_secrets(response.text)
    return response


async def login(client: Client, email: str, password: str, **extra: Any) -> Any:
    return await post(client, "/auth/login", {"email": email, "password": password, **extra})


def assert_no_secrets(text: str) -> None:
    for word in FORBIDDEN_IN_RESPONSES:
        assert word not in text, f"{word} leaked: {text[:300]}"


@asynccontextmanager
async def own_database(client: Client) -> AsyncIterator[Database]:
    """The app's database through an engine of the test's own, so that the test works whichever client
    (and event loop) runs the app: a pooled PostgreSQL connection cannot be shared across loops."""
    database = Database(client.app.state.runtime.db.url, pool_size=1)
    try:
        yield database
    finally:
        await database.dispose()


async def mails_to(client: Client, address: str, kind: str) -> list[OutgoingMail]:
    async with own_database(client) as database, database.read_session() as session:
        query = (
            select(OutgoingMail)
            .where(OutgoingMail.to_address == address, OutgoingMail.kind == kind)
            .order_by(OutgoingMail.id)
        )
        return list((await session.execute(query)).scalars())


def token_in(mail: OutgoingMail, path: str) -> str:
    found = re.search(rf"https?://\S+/{path}\?token=(\S+)", mail.body_text)
    assert found, mail.body_text
    return found.group(1)


# A second device is the same client with another session cookie put aside and back.
SESSION_COOKIE = "linka_session"


def take_session(client: Client) -> str:
    """Put this device's session cookie aside (the client is then signed out)."""
    values = [cookie.value for cookie in client.cookies.jar if cookie.name == SESSION_COOKIE]
    client.cookies.delete(SESSION_COOKIE)
    assert values, "no session cookie"
    return str(values[-1])


def put_session(client: Client, value: str) -> None:
    """Continue as the device whose session cookie was put aside."""
    client.cookies.delete(SESSION_COOKIE)
    client.cookies.set(SESSION_COOKIE, value)
