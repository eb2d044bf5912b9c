"""A live chat's conversation in its ticket's thread: one message group of kind `chat` that grows a line
at a time. The chat domain numbers the lines (Message.position) under its own row lock and calls these
functions; they write the rows and keep the ticket's metric columns current.

Unlike other thread writes, a single line records no TicketThreadChanged event: a chat can add hundreds
of lines a minute and the search document is rewritten when the chat ends (the chat domain records the
event then), not once per line.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from linka.core.ids import public_id
from linka.core.permissions import require_write
from linka.core.uow import UnitOfWork
from linka.domains.tickets import routing_actions
from linka.domains.tickets.events import TicketThreadChanged
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.status_changes import change_status
from linka.domains.tickets.statuses import Status
from linka.domains.tickets.thread_files import record_attachments
from linka.domains.tickets.thread_models import Attachment, Message, MessageGroup
from linka.domains.tickets.thread_schemas import GroupKind, MessageKind, NewAttachment

FIELD_LABEL_MAX = 200
FIELD_VALUE_MAX = 2000


async def open_chat_group(
    uow: UnitOfWork, *, ticket: Ticket, form_fields: Sequence[tuple[str, str]] = ()
) -> MessageGroup:
    """The chat's group, holding the pre-chat form's answers as its first lines (positions 1…n)."""
    require_write(uow.actor)
    group = MessageGroup(
        public_id=public_id("mg"),
        ticket_id=ticket.id,
        kind=GroupKind.CHAT.value,
        is_internal=False,
        author_contact_id=ticket.contact_id,
        origin=uow.actor.origin.value,
        subject=ticket.subject,
        created_at=uow.now,
    )
    uow.session.add(group)
    await uow.session.flush()
    uow.session.add_all(
        Message(
            group_id=group.id,
            ticket_id=ticket.id,
            kind=MessageKind.FORM_FIELD.value,
            position=position,
            body=value[:FIELD_VALUE_MAX],
            field_name=label[:FIELD_LABEL_MAX] or "?",
            sent_at=uow.now,
        )
        for position, (label, value) in enumerate(form_fields, start=1)
    )
    uow.history("ticket", ticket.id, "message_added", after={"group": group.public_id, "kind": "chat"})
    uow.record(TicketThreadChanged(ticket_id=ticket.id, group_id=group.id, kind=GroupKind.CHAT.value))
    return group


async def chat_line_by_key(uow: UnitOfWork, *, group_id: int, key: str) -> Message | None:
    """The line a sender already stored under this key (a resend after a reconnect)."""
    found = await uow.session.execute(
        select(Message).where(Message.group_id == group_id, Message.client_key == key).limit(1)
    )
    return found.scalar_one_or_none()


async def add_chat_line(
    uow: UnitOfWork,
    *,
    ticket: Ticket,
    group_id: int,
    position: int,
    kind: MessageKind,
    body: str,
    author_agent_id: int | None = None,
    from_visitor: bool = False,
    key: str | None = None,
    meta: dict[str, str] | None = None,
    file: NewAttachment | None = None,
) -> tuple[Message, Attachment | None]:
    """One line: the visitor's (`from_visitor`), an agent's (`author_agent_id`) or the system's. The
    ticket's metrics move: the first agent line is the chat's first answer (one chat, one reply)."""
    require_write(uow.actor)
    attachment = (await record_attachments(uow, ticket, [file]))[0] if file is not None else None
    line = Message(
        group_id=group_id,
        ticket_id=ticket.id,
        kind=kind.value,
        position=position,
        body=body,
        attachment_id=attachment.id if attachment is not None else None,
        author_agent_id=author_agent_id,
        sent_at=uow.now,
        client_key=key,
        meta=meta,
    )
    uow.session.add(line)
    ticket.last_activity_at = ticket.updated_at = uow.now
    if from_visitor:
        if ticket.last_customer_message_at is None:
            ticket.customer_message_count += 1
        ticket.last_customer_message_at = uow.now
    elif author_agent_id is not None:
        if ticket.first_agent_reply_at is None:
            ticket.first_agent_reply_at = uow.now
            ticket.agent_reply_count += 1
        ticket.last_agent_reply_at = uow.now
    await uow.session.flush()
    return line, attachment


def chat_finished(uow: UnitOfWork, *, ticket_id: int, group_id: int) -> None:
    """The conversation is complete: its search document is rewritten and lists refresh once."""
    uow.record(TicketThreadChanged(ticket_id=ticket_id, group_id=group_id, kind=GroupKind.CHAT.value))


async def chat_ticket(uow: UnitOfWork, ticket_id: int, *, lock: bool = False) -> Ticket:
    """The ticket of a chat (the chat domain has checked who may act on it)."""
    query = select(Ticket).where(Ticket.id == ticket_id)
    return (await uow.session.execute(query.with_for_update() if lock else query)).scalar_one()


def set_chat_ticket_status(uow: UnitOfWork, ticket: Ticket, status: Status) -> None:
    """A chat ended (answered, resolved…) or was missed (new): the ticket follows, through the one
    transition table."""
    change_status(uow, ticket, status)


async def route_chat_ticket(
    uow: UnitOfWork, ticket: Ticket, *, department_id: int, assignee_id: int | None
) -> None:
    """A chat was taken, handed over or sent to another department: its ticket goes along (metrics,
    history, the transfer line and the event, as any routing change)."""
    await routing_actions.route_ticket(uow, ticket, department_id=department_id, assignee_id=assignee_id)
