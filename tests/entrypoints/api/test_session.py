"""Signing in with a session cookie, CSRF on cookie writes, and logout that really ends the session."""

from __future__ import annotations

from pathlib import Path

from litestar.testing import AsyncTestClient

from linka.config import Settings
from linka.core.db import Database
from linka.entrypoints.asgi import create_app
from linka.entrypoints.runtime import build_runtime
from tests.conftest import AppClient, bearer
from tests.entrypoints.api.auth_helpers import csrf, own_database
from tests.personas import Personas


async def test_login_me_logout(client: AppClient, personas: Personas) -> None:
    headers = await csrf(client)
    response = await client.post(
        "/api/v1/auth/login",
        json={"email": personas.support_agent.email.upper(), "password": personas.support_agent.password},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    assert "password" not in response.text
    me = await client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["email"] == personas.support_agent.email
    stolen_cookie = client.cookies["linka_session"]

    out = await client.post("/api/v1/auth/logout", headers=headers)
    assert out.status_code == 204
    assert (await client.get("/api/v1/me")).status_code == 401
    # The old cookie replayed after logout is worthless: the session is gone on the server.
    client.cookies.set("linka_session", stolen_cookie)
    replay = await client.get("/api/v1/me")
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "unauthorized"


async def test_wrong_password_is_401_without_saying_which_part(client: AppClient, personas: Personas) -> None:
    headers = await csrf(client)
    wrong = await client.post(
        "/api/v1/auth/login",
        json={"email": personas.admin.email, "password": "nope nope nope"},
        headers=headers,
    )
    unknown = await client.post(
        "/api/v1/auth/login",
        json={"email": "nobody@linka.test", "password": "nope nope nope"},
        headers=headers,
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]


async def test_cookie_write_without_csrf_token_is_refused(client: AppClient, personas: Personas) -> None:
    response = await client.post(
        "/api/v1/auth/login", json={"email": personas.admin.email, "password": personas.admin.password}
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"


async def test_api_key_authenticates_without_csrf(client: AppClient, personas: Personas) -> None:
    response = await client.get("/api/v1/me", headers=bearer(personas.sales_agent))
    assert response.status_code == 200
    assert response.json()["name"] == "Sándor Kovács"
    bad = await client.get("/api/v1/me", headers=bearer("lk_nothere_secret"))
    assert bad.status_code == 401
    assert bad.json() == {
        "error": {"code": "unauthorized", "message": "unknown or revoked API key", "fields": {}}
    }


async def test_invalid_body_names_the_field(client: AppClient, personas: Personas) -> None:
    headers = await csrf(client)
    unknown_field = await client.post(
        "/api/v1/auth/login",
        json={"email": personas.admin.email, "password": "x", "remember": True},
        headers=headers,
    )
    assert unknown_field.status_code == 422, unknown_field.text
    assert "remember" in unknown_field.json()["error"]["fields"]
    malformed = await client.post(
        "/api/v1/auth/login", content=b"{not json", headers={**headers, "content-type": "application/json"}
    )
    assert malformed.status_code == 400, malformed.text
    assert malformed.json()["error"]["code"] == "malformed"


async def test_api_key_calls_leave_no_session_behind(client: AppClient, personas: Personas) -> None:
    from sqlalchemy import func, select

    from linka.domains.accounts.models import WebSession

    for _ in range(3):
        response = await client.get("/api/v1/me", headers=bearer(personas.admin))
        assert response.status_code == 200
        assert "linka_session" not in response.headers.get("set-cookie", "")
    async with own_database(client) as database, database.read_session() as session:
        assert (await session.execute(select(func.count()).select_from(WebSession))).scalar_one() == 0


async def test_session_cookie_is_secure_httponly_lax_behind_https(
    tmp_path: Path, db: Database, personas: Personas
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url=db.url,
        base_url="https://help.example.com",
        secret_key="test-secret-" + "x" * 40,  # type: ignore[arg-type]
    )
    app = create_app(runtime=build_runtime(settings, db=db))
    async with AsyncTestClient(app, base_url="https://testserver.local") as client:
        headers = await csrf(client)
        response = await client.post(
            "/api/v1/auth/login",
            json={"email": personas.admin.email, "password": personas.admin.password},
            headers=headers,
        )
        assert response.status_code == 201, response.text
        [cookie] = [c for c in response.headers.get_list("set-cookie") if c.startswith("linka_session=")]
        attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}
        assert "secure" in attributes
        assert "httponly" in attributes
        assert attributes["samesite"].lower() == "samesite=lax"


async def test_signing_in_never_keeps_a_planted_session_id(client: AppClient, personas: Personas) -> None:
    """Session fixation: an id planted in the browser before login must not become the signed-in session."""
    headers = await csrf(client)
    planted = "a" * 64
    client.cookies.set("linka_session", planted)
    response = await client.post(
        "/api/v1/auth/login",
        json={"email": personas.admin.email, "password": personas.admin.password},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    [cookie] = [c for c in response.headers.get_list("set-cookie") if c.startswith("linka_session=")]
    issued = cookie.split(";")[0].split("=", 1)[1]
    assert issued != planted
    client.cookies.delete("linka_session")
    client.cookies.set("linka_session", planted)
    assert (await client.get("/api/v1/me")).status_code == 401
    client.cookies.delete("linka_session")
    client.cookies.set("linka_session", issued)
    assert (await client.get("/api/v1/me")).status_code == 200
