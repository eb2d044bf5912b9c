"""Passwords: forgotten (a mailed, single-use, expiring link) and changed by their owner."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from linka.core.permissions import Actor, Origin, system_actor
from linka.domains.accounts import credentials
from linka.domains.accounts.credential_schemas import (
    ChangePasswordIn,
    PasswordResetConfirmIn,
    PasswordResetIn,
    PasswordResetRequestedOut,
)
from linka.domains.accounts.models import Agent
from linka.entrypoints.api.auth import CurrentActor, runtime_of
from linka.entrypoints.api.session import client_ip, password_check_limited, sign_in

RESET_LIMIT_KIND = "password_reset"


@post(
    "/auth/password-reset",
    tags=["auth"],
    status_code=HTTP_202_ACCEPTED,
    summary="Mail a password-reset link (the same answer whether or not the email is known)",
)
async def request_password_reset(
    request: Request[Any, Any, Any], data: JSONBody[PasswordResetIn]
) -> PasswordResetRequestedOut:
    await ask_for_password_reset(request, data.email)
    return PasswordResetRequestedOut()


async def ask_for_password_reset(request: Request[Any, Any, Any], email: str) -> None:
    """Rate limits, then a reset mail if the email is an active agent's (shared by the API and the
    agent app; neither tells the caller whether it was)."""
    runtime = runtime_of(request)
    account = credentials.normalise_email(email)
    await runtime.auth_limits.attempt(ip=client_ip(request), account=account, kind=RESET_LIMIT_KIND)
    await runtime.auth_limits.failed(account=account, kind=RESET_LIMIT_KIND)  # every request counts
    async with runtime.uow(system_actor(Origin.WEB)) as uow:
        await credentials.request_password_reset(uow, email=email, links=runtime.links)


async def reset_password_with_link(request: Request[Any, Any, Any], *, token: str, password: str) -> Agent:
    """A new password from a mailed link, after the rate limit (shared by the API and the agent app)."""
    runtime = runtime_of(request)
    await runtime.auth_limits.attempt(ip=client_ip(request), account=None, kind=RESET_LIMIT_KIND)
    async with runtime.uow(system_actor(Origin.WEB)) as uow:
        return await credentials.reset_password(uow, token=token, password=password, links=runtime.links)


@post(
    "/auth/password-reset/confirm",
    tags=["auth"],
    status_code=HTTP_204_NO_CONTENT,
    summary="Choose a new password with the mailed token; every session of the account ends",
)
async def confirm_password_reset(
    request: Request[Any, Any, Any], data: JSONBody[PasswordResetConfirmIn]
) -> Response[None]:
    await reset_password_with_link(request, token=data.token, password=data.password)
    return Response(None, status_code=HTTP_204_NO_CONTENT)


@post(
    "/me/password",
    tags=["me"],
    status_code=HTTP_204_NO_CONTENT,
    summary="Change your password; your other sessions end, this one stays",
)
async def change_password(
    request: Request[Any, Any, Any], data: JSONBody[ChangePasswordIn], actor: CurrentActor
) -> Response[None]:
    await change_own_password(
        request, actor, current_password=data.current_password, new_password=data.new_password
    )
    return Response(None, status_code=HTTP_204_NO_CONTENT)


async def change_own_password(
    request: Request[Any, Any, Any], actor: Actor, *, current_password: str, new_password: str
) -> Agent:
    """The signed-in agent's new password, rate-limited like every password check; this session
    carries on at the new epoch, every other one ends (shared by the API and the agent app)."""
    async with (
        password_check_limited(request, actor, "current_password"),
        runtime_of(request).uow(actor) as uow,
    ):
        agent = await credentials.change_password(
            uow, current_password=current_password, new_password=new_password
        )
    sign_in(request, agent)
    return agent


routes = [request_password_reset, confirm_password_reset, change_password]
