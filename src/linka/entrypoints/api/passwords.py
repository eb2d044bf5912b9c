"""Passwords: forgotten (a mailed, single-use, expiring link) and changed by their owner."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from linka.core.permissions import Origin, system_actor
from linka.domains.accounts import credentials
from linka.domains.accounts.credential_schemas import (
    ChangePasswordIn,
    PasswordResetConfirmIn,
    PasswordResetIn,
    PasswordResetRequestedOut,
)
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
    runtime = runtime_of(request)
    account = credentials.normalise_email(data.email)
    await runtime.auth_limits.attempt(ip=client_ip(request), account=account, kind=RESET_LIMIT_KIND)
    await runtime.auth_limits.failed(account=account, kind=RESET_LIMIT_KIND)  # every request counts
    async with runtime.uow(system_actor(Origin.WEB)) as uow:
        await credentials.request_password_reset(uow, email=data.email, links=runtime.links)
    return PasswordResetRequestedOut()


@post(
    "/auth/password-reset/confirm",
    tags=["auth"],
    status_code=HTTP_204_NO_CONTENT,
    summary="Choose a new password with the mailed token; every session of the account ends",
)
async def confirm_password_reset(
    request: Request[Any, Any, Any], data: JSONBody[PasswordResetConfirmIn]
) -> Response[None]:
    runtime = runtime_of(request)
    await runtime.auth_limits.attempt(ip=client_ip(request), account=None, kind=RESET_LIMIT_KIND)
    async with runtime.uow(system_actor(Origin.WEB)) as uow:
        await credentials.reset_password(uow, token=data.token, password=data.password, links=runtime.links)
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
    async with (
        password_check_limited(request, actor, "current_password"),
        runtime_of(request).uow(actor) as uow,
    ):
        agent = await credentials.change_password(
            uow, current_password=data.current_password, new_password=data.new_password
        )
    sign_in(request, agent)
    return Response(None, status_code=HTTP_204_NO_CONTENT)


routes = [request_password_reset, confirm_password_reset, change_password]
