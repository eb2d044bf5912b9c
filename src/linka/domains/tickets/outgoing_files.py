"""What the mail worker needs from a ticket to send one of its mails: the files of the thread group the
mail was written in (they become the mail's attachments) and the ticket's department (to pick a
mailbox when the one the mail was queued for is gone). Read-only; the worker runs as the system."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linka.domains.tickets.models import Ticket
from linka.domains.tickets.thread_models import Attachment, Message
from linka.domains.tickets.thread_schemas import MessageKind


async def files_of_group(session: AsyncSession, group_id: int) -> list[tuple[str, str, str]]:
    """(filename, MIME type, SHA-256 of the blob) of the group's files, in the group's order."""
    rows = await session.execute(
        select(Attachment.filename, Attachment.mime_type, Attachment.sha256)
        .join(Message, Message.attachment_id == Attachment.id)
        .where(Message.group_id == group_id, Message.kind == MessageKind.FILE.value)
        .order_by(Message.position, Message.id)
    )
    return [(str(name), str(mime), str(sha256)) for name, mime, sha256 in rows.all()]


async def department_of_ticket(session: AsyncSession, ticket_id: int) -> int | None:
    found = await session.execute(select(Ticket.department_id).where(Ticket.id == ticket_id))
    department_id = found.scalar_one_or_none()
    return int(department_id) if department_id is not None else None
