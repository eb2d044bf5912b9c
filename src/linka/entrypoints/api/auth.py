"""Who is calling: an API key (Authorization: Bearer) or a login session cookie."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import Receive, Scope, Send

from linka.core.errors import Unauthorized
from linka.core.permissions import Actor, Origin
from linka.domains.accounts import auth
from linka.entrypoints.runtime import Runtime

# Handlers declare `actor: CurrentActor` to receive the authenticated caller (or answer 401).
CurrentActor = NamedDependency[Actor]


def runtime_of(request: Request[Any, Any, Any]) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def bearer_token(request: Request[Any, Any, Any]) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("use the header Authorization: Bearer <API key>")
    return token.strip()


async def optional_actor(
    request: Request[Any, Any, Any], origin: Origin = Origin.API, *, allow_two_factor_setup: bool = False
) -> Actor | None:
    runtime = runtime_of(request)
    token = bearer_token(request)
    if token is not None:
        return await auth.actor_for_api_key(runtime.db, token, origin=origin)
    if "session" in request.scope and request.session:
        return await auth.actor_for_session(
            runtime.db, dict(request.session), origin=origin, allow_two_factor_setup=allow_two_factor_setup
        )
    return None


async def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    """Dependency `actor`: the caller, or 401."""
    actor = await optional_actor(request)
    if actor is None:
        raise Unauthorized()
    return actor


async def provide_enrolling_actor(request: Request[Any, Any, Any]) -> Actor:
    """Dependency `enrolling_actor`: like `actor`, but also a session that must set up two-factor
    before anything else (the two-factor enrolment endpoints only)."""
    actor = await optional_actor(request, allow_two_factor_setup=True)
    if actor is None:
        raise Unauthorized()
    return actor


class LinkaCSRFMiddleware(CSRFMiddleware):
    """CSRF protects cookie-authenticated writes. A request carrying an API key cannot be forged by
    another site (browsers never add that header on their own), so it skips the check."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, _value in scope["headers"]:
                if name == b"authorization":
                    await self.app(scope, receive, send)
                    return
        await super().__call__(scope, receive, send)
