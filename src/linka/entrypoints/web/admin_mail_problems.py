"""Admin (mailboxes section): mail that went wrong. The dead-letter store (mail that could not be taken
in: the reason, the original to read or download, taking it in again after fixing the cause, discarding
it) and mail that could not be delivered (sending it again). The same actions and queries as
`api/dead_letters.py` and `api/outgoing_mail.py`."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from litestar import Request, Response, get, post
from litestar.params import PathParameter, QueryParameter
from litestar.response import Stream, Template

from linka.core.errors import Invalid
from linka.core.i18n import N_
from linka.domains.mail import dead_letter_actions, delivery_actions, delivery_queries, queries
from linka.domains.mail.intake import retry_dead_letter
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.api.dead_letters import raw_email_download
from linka.entrypoints.web.admin_common import PAGE_SIZE, Cursor, admin_page, done_url, page_url
from linka.entrypoints.web.auth import WebActor
from linka.entrypoints.web.errors import redirect
from linka.entrypoints.web.navigation import require_admin_section

SECTION = "mailboxes"
LetterPath = Annotated[str, PathParameter(max_length=24)]
MailPath = Annotated[int, PathParameter(ge=1, le=2**63 - 1)]
LetterStatus = Annotated[Literal["pending", "retried", "all"] | None, QueryParameter()]
PREVIEW_BYTES = 64 * 1024

REASON_LABELS: dict[str, str] = {
    "no_mailbox": N_("No mailbox takes the address"),
    "unparseable": N_("Not a readable email"),
    "failed": N_("Taking it in failed"),
    "throttled": N_("Too many from one sender"),
}
STATUS_LABELS: dict[str, str] = {
    "pending": N_("Waiting"),
    "retried": N_("Taken in"),
    "discarded": N_("Discarded"),
}
KIND_LABELS: dict[str, str] = {
    "reply": N_("Reply mail"),
    "forward": N_("Forwarded mail"),
    "ack": N_("Acknowledgement"),
    "invitation": N_("Invitation"),
    "password_reset": N_("Password reset"),
}


@get("/admin/dead-letters")
async def dead_letters_page(
    request: Request[Any, Any, Any], actor: WebActor, status: LetterStatus = None, cursor: Cursor = None
) -> Template:
    require_admin_section(actor, SECTION)
    chosen = status or "pending"
    async with runtime_of(request).db.read_session() as session:
        letters = await queries.list_dead_letters(
            session, actor, status=None if chosen == "all" else chosen, cursor=cursor, limit=PAGE_SIZE
        )
    next_url = ""
    if letters.next_cursor:
        next_url = page_url("/admin/dead-letters", status=status, cursor=letters.next_cursor)
    return admin_page(
        request,
        "admin/dead_letters.html",
        {
            "letters": letters.items,
            "status": chosen,
            "reason_labels": REASON_LABELS,
            "status_labels": STATUS_LABELS,
            "next_url": next_url,
            "mail_tab": "dead_letters",
        },
        actor=actor,
        section=SECTION,
    )


async def _letter_page(
    request: Request[Any, Any, Any], actor: WebActor, letter_id: str, error: Invalid | None = None
) -> Template:
    runtime = runtime_of(request)
    async with runtime.db.read_session() as session:
        letter = await queries.dead_letter_by_public_id(session, actor, letter_id)
        view = (await queries.dead_letter_outs(session, [letter]))[0]
    preview, cut = "", False
    if runtime.blobs.exists(letter.raw_sha256):
        raw = await asyncio.to_thread(runtime.blobs.read_bytes, letter.raw_sha256)
        preview, cut = raw[:PREVIEW_BYTES].decode("utf-8", errors="replace"), len(raw) > PREVIEW_BYTES
    return admin_page(
        request,
        "admin/dead_letter.html",
        {
            "letter": view,
            "preview": preview,
            "preview_cut": cut,
            "reason_labels": REASON_LABELS,
            "status_labels": STATUS_LABELS,
            "mail_tab": "dead_letters",
        },
        actor=actor,
        section=SECTION,
        error=error,
    )


@get("/admin/dead-letters/{letter_id:str}")
async def dead_letter_page(
    request: Request[Any, Any, Any], actor: WebActor, letter_id: LetterPath
) -> Template:
    require_admin_section(actor, SECTION)
    return await _letter_page(request, actor, letter_id)


@get("/admin/dead-letters/{letter_id:str}/raw")
async def download_dead_letter(
    request: Request[Any, Any, Any], actor: WebActor, letter_id: LetterPath
) -> Stream:
    require_admin_section(actor, SECTION)
    runtime = runtime_of(request)
    async with runtime.db.read_session() as session:
        letter = await queries.dead_letter_by_public_id(session, actor, letter_id)
    return raw_email_download(runtime, letter.raw_sha256, letter.size, f"{letter.public_id}.eml")


@post("/admin/dead-letters/{letter_id:str}/retry")
async def retry_letter(
    request: Request[Any, Any, Any], actor: WebActor, letter_id: LetterPath
) -> Response[Any]:
    require_admin_section(actor, SECTION)
    try:
        received = await retry_dead_letter(runtime_of(request), actor, letter_id)
    except Invalid as error:
        return await _letter_page(request, actor, letter_id, error)
    done = "still_failing" if received.outcome == "dead_letter" else "retried"
    return redirect(request, done_url(f"/admin/dead-letters/{letter_id}", done))


@post("/admin/dead-letters/{letter_id:str}/discard")
async def discard_letter(
    request: Request[Any, Any, Any], actor: WebActor, letter_id: LetterPath
) -> Response[Any]:
    require_admin_section(actor, SECTION)
    runtime = runtime_of(request)
    async with runtime.uow(actor) as uow:
        sha256 = await dead_letter_actions.discard_dead_letter(uow, dead_letter_id=letter_id)
    async with runtime.db.read_session() as session:
        await runtime.blobs.sweep_unreferenced(session, [sha256])
    return redirect(request, done_url("/admin/dead-letters", "discarded"))


@get("/admin/outgoing-mail")
async def failed_mail_page(
    request: Request[Any, Any, Any], actor: WebActor, cursor: Cursor = None
) -> Template:
    require_admin_section(actor, SECTION)
    async with runtime_of(request).db.read_session() as session:
        failed = await delivery_queries.failed_mail(session, actor, cursor=cursor, limit=PAGE_SIZE)
    next_url = page_url("/admin/outgoing-mail", cursor=failed.next_cursor) if failed.next_cursor else ""
    return admin_page(
        request,
        "admin/outgoing_mail.html",
        {"mails": failed.items, "kind_labels": KIND_LABELS, "next_url": next_url, "mail_tab": "outgoing"},
        actor=actor,
        section=SECTION,
    )


@post("/admin/outgoing-mail/{mail_id:int}/retry")
async def retry_mail(request: Request[Any, Any, Any], actor: WebActor, mail_id: MailPath) -> Response[Any]:
    require_admin_section(actor, SECTION)
    try:
        async with runtime_of(request).uow(actor) as uow:
            await delivery_actions.retry_mail(uow, mail_id=mail_id)
    except Invalid as error:
        # Sent meanwhile: nothing to do again, say why on the list.
        async with runtime_of(request).db.read_session() as session:
            failed = await delivery_queries.failed_mail(session, actor, limit=PAGE_SIZE)
        return admin_page(
            request,
            "admin/outgoing_mail.html",
            {"mails": failed.items, "kind_labels": KIND_LABELS, "next_url": "", "mail_tab": "outgoing"},
            actor=actor,
            section=SECTION,
            error=error,
        )
    return redirect(request, done_url("/admin/outgoing-mail", "queued"))


routes = [
    dead_letters_page,
    dead_letter_page,
    download_dead_letter,
    retry_letter,
    discard_letter,
    failed_mail_page,
    retry_mail,
]
