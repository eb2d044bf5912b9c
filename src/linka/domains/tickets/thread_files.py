"""Attachments on a ticket: the rows that name a blob (the bytes are in core/blobs.py).

An agent uploads a file first (`add_attachment`: a row on the ticket, in no message yet) and then names
it in a reply or note; a channel hands in files it already stored (`record_attachments`). Filenames and
MIME types are cleaned here, once, so every reader can trust them.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from collections.abc import Sequence

from linka.core.errors import Invalid
from linka.core.ids import public_id
from linka.core.permissions import require_write
from linka.core.uow import UnitOfWork
from linka.domains.tickets import queries
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.thread_models import Attachment
from linka.domains.tickets.thread_schemas import NewAttachment

FILENAME_MAX = 255
_MIME = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
GENERIC_MIME = "application/octet-stream"


def clean_filename(name: str | None) -> str:
    """The last path component, without control or direction-changing characters, at most 255
    characters (the extension kept); "attachment" when nothing is left."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    if base in {"", ".", ".."}:
        return "attachment"
    if len(base) > FILENAME_MAX:
        stem, dot, extension = base.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            base = stem[: FILENAME_MAX - len(extension) - 1] + "." + extension
        else:
            base = base[:FILENAME_MAX]
    return base


def clean_mime_type(value: str | None, filename: str) -> str:
    """`type/subtype` in lower case without parameters; guessed from the filename when missing,
    malformed or generic."""
    base = (value or "").split(";", 1)[0].strip().lower()
    if _MIME.fullmatch(base) and base != GENERIC_MIME:
        return base
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    return guessed.lower() if guessed and _MIME.fullmatch(guessed.lower()) else GENERIC_MIME


def _new_row(uow: UnitOfWork, ticket_id: int, file: NewAttachment) -> Attachment:
    if not _SHA256.fullmatch(file.sha256):
        raise ValueError("an attachment names its blob by SHA-256 hex digest")
    if file.size < 0 or file.size > 2**31 - 1:
        raise Invalid("file", "size out of range")
    filename = clean_filename(file.filename)
    content_id = (file.content_id or "").strip().strip("<>")[:255] or None
    return Attachment(
        public_id=public_id("at"),
        ticket_id=ticket_id,
        sha256=file.sha256,
        size=file.size,
        filename=filename,
        mime_type=clean_mime_type(file.mime_type, filename),
        content_id=content_id,
        created_at=uow.now,
    )


async def add_attachment(uow: UnitOfWork, *, code: str, file: NewAttachment) -> Attachment:
    """An uploaded file on a ticket the actor may work, ready to be named in a reply or note by its id.
    The bytes are already in the blob store; if this fails, the caller sweeps them."""
    require_write(uow.actor)
    ticket = await queries.workable_ticket(uow.session, uow.actor, code)
    if file.size == 0:
        raise Invalid("file", "is empty")
    attachment = _new_row(uow, ticket.id, file)
    uow.session.add(attachment)
    await uow.session.flush()
    uow.history(
        "ticket",
        ticket.id,
        "attachment_uploaded",
        after={"attachment": attachment.public_id, "filename": attachment.filename, "size": attachment.size},
    )
    return attachment


async def record_attachments(
    uow: UnitOfWork, ticket: Ticket, files: Sequence[NewAttachment]
) -> list[Attachment]:
    """Rows for files a channel received with a message (the caller adds the file messages)."""
    rows = [_new_row(uow, ticket.id, file) for file in files]
    uow.session.add_all(rows)
    if rows:
        await uow.session.flush()
    return rows
