"""Who is using the agent app, and in which language.

Pages take `actor: WebActor` (a signed-in agent, or a redirect to the sign-in page). The language is the
agent's; before sign-in the `linka_lang` cookie, else the browser's Accept-Language, else the workspace
default (`translator_for`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request
from litestar.di import NamedDependency

from linka.core.i18n import Translator, language_from_accept, supported
from linka.core.permissions import Actor, Origin
from linka.domains.accounts.auth import TwoFactorRequired
from linka.entrypoints.api.auth import optional_actor, runtime_of

LANGUAGE_COOKIE = "linka_lang"

WebActor = NamedDependency[Actor]


class SignInRequired(Exception):
    """Answered with a redirect to the sign-in page (see errors.py)."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class TwoFactorSetupRequired(Exception):
    """The workspace requires two-factor sign-in and this agent has not set it up yet."""


def current_url(request: Request[Any, Any, Any]) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def safe_next(value: str | None, default: str = "/tickets") -> str:
    """Only a local path may follow sign-in (no //host or scheme: that would be an open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


def sign_in_url(next_url: str) -> str:
    return "/login" if next_url in ("/", "/tickets") else f"/login?next={quote(next_url, safe='/')}"


async def provide_web_actor(request: Request[Any, Any, Any]) -> Actor:
    try:
        actor = await optional_actor(request, Origin.WEB)
    except TwoFactorRequired:
        raise TwoFactorSetupRequired() from None
    if actor is None:
        raise SignInRequired(current_url(request))
    return actor


def anonymous_language(request: Request[Any, Any, Any]) -> str:
    chosen = supported(request.cookies.get(LANGUAGE_COOKIE))
    if chosen:
        return chosen
    default = runtime_of(request).settings.default_language
    return language_from_accept(request.headers.get("accept-language"), default=default)


def translator_for(request: Request[Any, Any, Any], actor: Actor | None) -> Translator:
    settings = runtime_of(request).settings
    if actor is not None and actor.agent_id is not None:
        return Translator(actor.language, actor.timezone)
    return Translator(anonymous_language(request), settings.default_timezone)
