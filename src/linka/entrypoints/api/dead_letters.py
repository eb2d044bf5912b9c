"""The dead-letter store (admins with manage_channels): read, download the raw message, retry, discard;
and the original .eml of an email on a ticket (for whoever sees the ticket)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Request, delete, get, post
from litestar.params import Parameter
from litestar.response import Stream
from litestar.status_codes import HTTP_204_NO_CONTENT

from linka.core.errors import Invalid, NotFound
from linka.domains.mail import dead_letter_actions, queries
from linka.domains.mail.intake import retry_dead_letter
from linka.domains.mail.schemas import DeadLetterOut, DeadLetterPage
from linka.domains.tickets import queries as tickets_queries
from linka.domains.tickets import thread_queries
from linka.entrypoints.api.agents import Cursor, Limit
from linka.entrypoints.api.auth import CurrentActor, runtime_of
from linka.entrypoints.api.ticket_thread import TicketCode, content_disposition
from linka.entrypoints.api.uploads import DownloadOperation
from linka.entrypoints.runtime import Runtime

DeadLetterId = Annotated[str, Parameter(max_length=24, description="`dl_…`")]
GroupId = Annotated[str, Parameter(max_length=32, description="`mg_…`")]
EML = "message/rfc822"


def raw_email_download(runtime: Runtime, sha256: str, size: int, filename: str) -> Stream:
    """An email as it arrived, as a download (the agent app's dead-letter page uses it too)."""
    if not runtime.blobs.exists(sha256):
        raise NotFound("original email")
    return Stream(
        runtime.blobs.read_chunks(sha256),
        media_type=EML,
        headers={
            "Content-Disposition": content_disposition(filename, inline=False),
            "Content-Length": str(size),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=0, must-revalidate",
        },
    )


@get("/dead-letters", tags=["mail"], summary="Mail that could not be taken in, newest first")
async def list_dead_letters(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    mailbox_id: Annotated[str | None, Parameter(max_length=24, description="`mb_…`")] = None,
    status: Annotated[
        Literal["pending", "retried", "all"], Parameter(description="which dead letters (default: pending)")
    ] = "pending",
    cursor: Cursor = None,
    limit: Limit = None,
) -> DeadLetterPage:
    async with runtime_of(request).db.read_session() as session:
        mailbox_key = None
        if mailbox_id is not None:
            mailbox_key = (await queries.mailbox_by_public_id(session, actor, mailbox_id)).id
        return await queries.list_dead_letters(
            session,
            actor,
            mailbox_id=mailbox_key,
            status=None if status == "all" else status,
            cursor=cursor,
            limit=limit,
        )


@get("/dead-letters/{dead_letter_id:str}", tags=["mail"], summary="One dead letter with its reason")
async def show_dead_letter(
    request: Request[Any, Any, Any], actor: CurrentActor, dead_letter_id: DeadLetterId
) -> DeadLetterOut:
    async with runtime_of(request).db.read_session() as session:
        letter = await queries.dead_letter_by_public_id(session, actor, dead_letter_id)
        return (await queries.dead_letter_outs(session, [letter]))[0]


@get(
    "/dead-letters/{dead_letter_id:str}/raw",
    tags=["mail"],
    summary="Download a dead letter as it arrived (.eml)",
    operation_class=DownloadOperation,
)
async def download_dead_letter(
    request: Request[Any, Any, Any], actor: CurrentActor, dead_letter_id: DeadLetterId
) -> Stream:
    runtime = runtime_of(request)
    async with runtime.db.read_session() as session:
        letter = await queries.dead_letter_by_public_id(session, actor, dead_letter_id)
    return raw_email_download(runtime, letter.raw_sha256, letter.size, f"{letter.public_id}.eml")


@post(
    "/dead-letters/{dead_letter_id:str}/retry",
    tags=["mail"],
    summary="Take a dead letter in again (after fixing the cause)",
)
async def retry(
    request: Request[Any, Any, Any], actor: CurrentActor, dead_letter_id: DeadLetterId
) -> DeadLetterOut:
    runtime = runtime_of(request)
    # The dead letter's row tells the outcome: retried with its ticket, or pending with the new reason.
    await retry_dead_letter(runtime, actor, dead_letter_id)
    async with runtime.db.read_session() as session:
        letter = await queries.dead_letter_by_public_id(session, actor, dead_letter_id)
        return (await queries.dead_letter_outs(session, [letter]))[0]


@delete(
    "/dead-letters/{dead_letter_id:str}",
    tags=["mail"],
    status_code=HTTP_204_NO_CONTENT,
    summary="Discard a dead letter and its raw message",
)
async def discard(request: Request[Any, Any, Any], actor: CurrentActor, dead_letter_id: DeadLetterId) -> None:
    runtime = runtime_of(request)
    async with runtime.uow(actor) as uow:
        sha256 = await dead_letter_actions.discard_dead_letter(uow, dead_letter_id=dead_letter_id)
    async with runtime.db.read_session() as session:
        await runtime.blobs.sweep_unreferenced(session, [sha256])


@get(
    "/tickets/{code:str}/thread/{group_id:str}/original",
    tags=["tickets"],
    summary="Download the original of an email on the ticket (.eml)",
    operation_class=DownloadOperation,
)
async def download_original(
    request: Request[Any, Any, Any], actor: CurrentActor, code: TicketCode, group_id: GroupId
) -> Stream:
    runtime = runtime_of(request)
    async with runtime.db.read_session() as session:
        ticket = await tickets_queries.visible_ticket(session, actor, code)
        try:
            group = await thread_queries.group_of_ticket(session, ticket.id, group_id, field="group_id")
        except Invalid as exc:
            raise NotFound("message") from exc
        original = await queries.original_of_group(session, group.id)
    return raw_email_download(
        runtime, original.raw_sha256, original.size, f"{ticket.code}-{group.public_id}.eml"
    )


routes = [list_dead_letters, show_dead_letter, download_dead_letter, retry, discard, download_original]
