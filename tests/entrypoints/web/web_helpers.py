"""Helpers for the agent app's tests: signing in through the login form, posting forms with the CSRF
token, and reading pages as HTML."""

from __future__ import annotations

import re
from typing import Any

from linka.entrypoints.asgi import CSRF_COOKIE
from tests.conftest import AppClient
from tests.personas import Person


async def csrf_token(client: AppClient) -> str:
    if CSRF_COOKIE not in client.cookies:
        response = await client.get("/login")
        assert response.status_code == 200
    return client.cookies[CSRF_COOKIE]


async def post_form(client: AppClient, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    form = {"_csrf_token": await csrf_token(client), **(data or {})}
    return await client.post(path, data=form, **kwargs)


async def htmx_post(client: AppClient, path: str, data: dict[str, Any] | None = None) -> Any:
    form = {"_csrf_token": await csrf_token(client), **(data or {})}
    return await client.post(path, data=form, headers={"hx-request": "true"})


async def sign_in(client: AppClient, person: Person) -> None:
    response = await post_form(client, "/login", {"email": person.email, "password": person.password})
    assert response.status_code == 303, response.text[:500]


def text_of(html: str) -> str:
    """The visible text of a page, tags stripped and whitespace collapsed (for asserting what a person reads)."""
    without_head = re.sub(r"<head>.*?</head>", " ", html, flags=re.S)
    without_tags = re.sub(r"<[^>]+>", " ", without_head)
    return re.sub(r"\s+", " ", without_tags).strip()
