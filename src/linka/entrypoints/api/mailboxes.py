"""Mailboxes (admins with manage_channels): configure, read their health, start a backfill."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, delete, get, patch, post
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from linka.domains.mail import mailbox_actions, queries
from linka.domains.mail.schemas import BackfillIn, MailboxCreateIn, MailboxOut, MailboxPage, MailboxUpdateIn
from linka.entrypoints.api.agents import Cursor, Limit
from linka.entrypoints.api.auth import CurrentActor, runtime_of

MailboxId = Annotated[str, Parameter(max_length=24, description="`mb_…`")]


@get("/mailboxes", tags=["mail"], summary="Mailboxes with their health")
async def list_mailboxes(
    request: Request[Any, Any, Any], actor: CurrentActor, cursor: Cursor = None, limit: Limit = None
) -> MailboxPage:
    async with runtime_of(request).db.read_session() as session:
        return await queries.list_mailboxes(session, actor, cursor=cursor, limit=limit)


@get("/mailboxes/{mailbox_id:str}", tags=["mail"], summary="One mailbox with its health")
async def show_mailbox(
    request: Request[Any, Any, Any], actor: CurrentActor, mailbox_id: MailboxId
) -> MailboxOut:
    async with runtime_of(request).db.read_session() as session:
        mailbox = await queries.mailbox_by_public_id(session, actor, mailbox_id)
        return (await queries.mailbox_outs(session, [mailbox]))[0]


@post("/mailboxes", tags=["mail"], summary="Add a mailbox (passwords are write-only)")
async def create_mailbox(
    request: Request[Any, Any, Any], actor: CurrentActor, data: JSONBody[MailboxCreateIn]
) -> MailboxOut:
    runtime = runtime_of(request)
    async with runtime.uow(actor) as uow:
        mailbox = await mailbox_actions.create_mailbox(uow, data=data, sealer=runtime.sealer)
        return (await queries.mailbox_outs(uow.session, [mailbox]))[0]


@patch("/mailboxes/{mailbox_id:str}", tags=["mail"], summary="Change a mailbox")
async def update_mailbox(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    mailbox_id: MailboxId,
    data: JSONBody[MailboxUpdateIn],
) -> MailboxOut:
    runtime = runtime_of(request)
    async with runtime.uow(actor) as uow:
        mailbox = await mailbox_actions.update_mailbox(
            uow, mailbox_id=mailbox_id, data=data, sealer=runtime.sealer
        )
        return (await queries.mailbox_outs(uow.session, [mailbox]))[0]


@delete(
    "/mailboxes/{mailbox_id:str}",
    tags=["mail"],
    status_code=HTTP_204_NO_CONTENT,
    summary="Remove a mailbox (its tickets and emails stay)",
)
async def delete_mailbox(request: Request[Any, Any, Any], actor: CurrentActor, mailbox_id: MailboxId) -> None:
    async with runtime_of(request).uow(actor) as uow:
        await mailbox_actions.delete_mailbox(uow, mailbox_id=mailbox_id)


@post("/mailboxes/{mailbox_id:str}/backfill", tags=["mail"], summary="Fetch older mail once, from a date")
async def backfill_mailbox(
    request: Request[Any, Any, Any], actor: CurrentActor, mailbox_id: MailboxId, data: JSONBody[BackfillIn]
) -> MailboxOut:
    async with runtime_of(request).uow(actor) as uow:
        mailbox = await mailbox_actions.start_backfill(uow, mailbox_id=mailbox_id, since=data.since)
        return (await queries.mailbox_outs(uow.session, [mailbox]))[0]


routes = [list_mailboxes, show_mailbox, create_mailbox, update_mailbox, delete_mailbox, backfill_mailbox]
