"""Signing in and out of the agent app, its language before and after sign-in, and the security headers."""

from __future__ import annotations

from linka.entrypoints.security_headers import CONTENT_SECURITY_POLICY
from tests.conftest import AppClient
from tests.entrypoints.web.web_helpers import csrf_token, post_form, sign_in, text_of
from tests.personas import Personas


async def test_pages_send_visitors_to_sign_in_and_back(client: AppClient, personas: Personas) -> None:
    response = await client.get("/tickets?status=open")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/tickets%3Fstatus%3Dopen"

    form = await post_form(
        client,
        "/login",
        {
            "email": personas.support_agent.email,
            "password": personas.support_agent.password,
            "next": "/tickets?status=open",
        },
    )
    assert form.status_code == 303
    assert form.headers["location"] == "/tickets?status=open"
    cookie = form.headers["set-cookie"]
    assert "linka_session=" in cookie
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()


async def test_a_wrong_password_shows_an_error_in_the_browser_language(
    client: AppClient, personas: Personas
) -> None:
    await csrf_token(client)
    response = await post_form(
        client,
        "/login",
        {"email": personas.support_agent.email, "password": "not-the-password"},
        headers={"accept-language": "hu-HU,hu;q=0.9"},
    )
    assert response.status_code == 401
    assert "Az e-mail-cím vagy a jelszó nem megfelelő." in text_of(response.text)
    assert "linka_session" not in response.headers.get("set-cookie", "")


async def test_after_sign_in_away_links_are_refused(client: AppClient, personas: Personas) -> None:
    response = await post_form(
        client,
        "/login",
        {
            "email": personas.support_agent.email,
            "password": personas.support_agent.password,
            "next": "//evil.example/x",
        },
    )
    assert response.headers["location"] == "/tickets"


async def test_a_form_without_the_csrf_token_is_refused(client: AppClient, personas: Personas) -> None:
    await csrf_token(client)
    response = await client.post(
        "/login", data={"email": personas.support_agent.email, "password": personas.support_agent.password}
    )
    assert response.status_code == 403
    assert "linka_session" not in response.headers.get("set-cookie", "")


async def test_the_chosen_language_holds_before_sign_in(client: AppClient) -> None:
    response = await post_form(client, "/language", {"language": "cs", "next": "/login"})
    assert response.status_code == 303
    page = await client.get("/login", headers={"accept-language": "en"})
    assert '<html lang="cs">' in page.text
    assert "Přihlásit se" in text_of(page.text)


async def test_sign_out_ends_the_session(client: AppClient, personas: Personas) -> None:
    await sign_in(client, personas.support_agent)
    assert (await client.get("/tickets")).status_code == 200
    response = await post_form(client, "/logout")
    assert response.status_code == 303
    assert (await client.get("/tickets")).status_code == 303


async def test_pages_carry_the_security_headers(client: AppClient) -> None:
    response = await client.get("/login")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_an_htmx_request_without_a_session_is_told_to_redirect(client: AppClient) -> None:
    response = await client.get("/tickets", headers={"hx-request": "true"})
    assert response.status_code == 204
    assert response.headers["hx-redirect"] == "/login"
