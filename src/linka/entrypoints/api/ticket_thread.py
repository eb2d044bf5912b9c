"""A ticket's thread: read it, reply, add a note, forward; upload and download attachments.

Customers' messages are not written here: the channels (email, chat, calls) call
`thread_actions.add_customer_message` themselves.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.params import JSONBody, Parameter
from litestar.response import Stream

from linka.core.errors import NotFound
from linka.core.pagination import MAX_LIMIT
from linka.core.permissions import Actor, require_write
from linka.domains.tickets import queries, thread_actions, thread_files, thread_queries
from linka.domains.tickets.thread_models import Attachment, MessageGroup
from linka.domains.tickets.thread_schemas import (
    AttachmentOut,
    ForwardIn,
    GroupOut,
    NewAttachment,
    NoteIn,
    ReplyIn,
    ThreadPage,
)
from linka.entrypoints.api.auth import CurrentActor, runtime_of
from linka.entrypoints.api.uploads import DownloadOperation, UploadOperation, discard, receive_file
from linka.entrypoints.runtime import Runtime

TicketCode = Annotated[str, Parameter(max_length=16, description="the ticket code, e.g. `XKQ-7A2-M9P`")]
AttachmentId = Annotated[str, Parameter(max_length=32, description="`at_…`")]
Cursor = Annotated[str | None, Parameter(max_length=400, description="`next_cursor` of the previous page")]
Limit = Annotated[int | None, Parameter(ge=1, le=MAX_LIMIT, description=f"page size, at most {MAX_LIMIT}")]
# Shown in the browser only when it cannot run code there; everything else (HTML, SVG…) is downloaded.
INLINE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"}
)


async def _group_out(runtime: Runtime, group: MessageGroup) -> GroupOut:
    async with runtime.db.read_session() as session:
        return (await thread_queries.group_outs(session, [group]))[0]


@get("/tickets/{code:str}/thread", tags=["tickets"], summary="The thread of a ticket, oldest first")
async def get_thread(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    code: TicketCode,
    cursor: Cursor = None,
    limit: Limit = None,
) -> ThreadPage:
    """Message groups (emails, chats, calls, notes, forwards, system lines) with their messages and
    file metadata, keyset-paginated by group."""
    async with runtime_of(request).db.read_session() as session:
        return await thread_queries.thread_page(session, actor, code, cursor=cursor, limit=limit)


@post("/tickets/{code:str}/replies", tags=["tickets"], summary="Reply to the customer (queues a mail)")
async def post_reply(
    request: Request[Any, Any, Any], actor: CurrentActor, code: TicketCode, data: JSONBody[ReplyIn]
) -> GroupOut:
    """Mailed to the contact's primary address (or `to`) and the ticket's CCs (or `cc`); the ticket
    becomes answered. `attachment_ids` name files uploaded to this ticket."""
    runtime = runtime_of(request)
    async with runtime.uow(actor) as uow:
        group = await thread_actions.reply(
            uow,
            code=code,
            text=data.text,
            html=data.html,
            attachment_ids=data.attachment_ids,
            to=data.to,
            cc=data.cc,
        )
    return await _group_out(runtime, group)


@post("/tickets/{code:str}/notes", tags=["tickets"], summary="Add an internal note (agents only)")
async def post_note(
    request: Request[Any, Any, Any], actor: CurrentActor, code: TicketCode, data: JSONBody[NoteIn]
) -> GroupOut:
    runtime = runtime_of(request)
    async with runtime.uow(actor) as uow:
        group = await thread_actions.add_note(
            uow, code=code, text=data.text, attachment_ids=data.attachment_ids
        )
    return await _group_out(runtime, group)


@post("/tickets/{code:str}/forwards", tags=["tickets"], summary="Forward a message to other addresses")
async def post_forward(
    request: Request[Any, Any, Any], actor: CurrentActor, code: TicketCode, data: JSONBody[ForwardIn]
) -> GroupOut:
    runtime = runtime_of(request)
    async with runtime.uow(actor) as uow:
        group = await thread_actions.forward(
            uow, code=code, to=data.to, text=data.text, group_id=data.group_id
        )
    return await _group_out(runtime, group)


@post(
    "/tickets/{code:str}/attachments",
    tags=["tickets"],
    summary="Upload a file to a ticket (multipart, field `file`), to attach to a reply or note",
    request_max_body_size=None,  # the attachment limit is enforced while the file streams in
    operation_class=UploadOperation,
)
async def upload_attachment(
    request: Request[Any, Any, Any], actor: CurrentActor, code: TicketCode
) -> AttachmentOut:
    """Larger than `LINKA_ATTACHMENT_MAX_BYTES`: 422 naming `file`, and nothing is kept."""
    return thread_queries.attachment_out(await store_upload(request, actor, code))


async def store_upload(request: Request[Any, Any, Any], actor: Actor, code: str) -> Attachment:
    """The one file of a multipart body, stored and recorded as an upload to the ticket (the agent
    app's upload uses it too)."""
    runtime = runtime_of(request)
    require_write(actor)
    # Refuse before storing a byte when the actor may not work the ticket.
    async with runtime.db.read_session() as session:
        await queries.workable_ticket(session, actor, code)
    received = await receive_file(request, runtime.blobs, runtime.db)
    file = NewAttachment(
        sha256=received.blob.sha256,
        size=received.blob.size,
        filename=received.filename,
        mime_type=received.content_type,
    )
    try:
        async with runtime.uow(actor) as uow:
            return await thread_files.add_attachment(uow, code=code, file=file)
    except BaseException:
        await discard(runtime.blobs, runtime.db, [file.sha256])
        raise


def content_disposition(filename: str, *, inline: bool) -> str:
    """RFC 6266: an ASCII fallback for old clients and the exact name as RFC 5987 `filename*`."""
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    fallback = "".join("_" if ch in '"\\' or not ch.isprintable() else ch for ch in fallback).strip()
    encoded = quote(filename, safe="!#$&+-.^_`|~")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback or 'attachment'}\"; filename*=UTF-8''{encoded}"


@get(
    "/attachments/{attachment_id:str}",
    tags=["tickets"],
    summary="Download an attachment (to those who may see its ticket)",
    operation_class=DownloadOperation,
)
async def download_attachment(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    attachment_id: AttachmentId,
    download: Annotated[bool, Parameter(description="always as a download, never shown inline")] = False,
) -> Stream:
    """Served with its original filename and type; only images, PDF and plain text are shown inline."""
    runtime = runtime_of(request)
    async with runtime.db.read_session() as session:
        attachment = await thread_queries.downloadable_attachment(session, actor, attachment_id)
    if not runtime.blobs.exists(attachment.sha256):
        raise NotFound("attachment")
    inline = not download and attachment.mime_type in INLINE_TYPES
    return Stream(
        runtime.blobs.read_chunks(attachment.sha256),
        media_type=attachment.mime_type,
        headers={
            "Content-Disposition": content_disposition(attachment.filename, inline=inline),
            "Content-Length": str(attachment.size),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=0, must-revalidate",
        },
    )


routes = [get_thread, post_reply, post_note, post_forward, upload_attachment, download_attachment]
