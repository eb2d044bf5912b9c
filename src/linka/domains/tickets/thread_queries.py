"""Reads of a ticket's thread and attachments, with the actor's permissions applied: whoever may see a
ticket sees its whole thread (internal notes too: they are for agents) and may download its files;
anyone else gets 404. A page of the thread loads in a constant number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.errors import Invalid, NotFound
from linka.core.pagination import check_limit, decode_cursor, encode_cursor
from linka.core.permissions import Actor
from linka.domains.accounts import queries as accounts_queries
from linka.domains.contacts import queries as contacts_queries
from linka.domains.mail import queries as mail_queries
from linka.domains.tickets import queries
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.thread_models import Attachment, Message, MessageGroup
from linka.domains.tickets.thread_schemas import (
    CUSTOMER_KINDS,
    AttachmentOut,
    AuthorOut,
    GroupKind,
    GroupOut,
    MessageOut,
    ThreadPage,
)


def attachment_out(attachment: Attachment) -> AttachmentOut:
    return AttachmentOut(
        id=attachment.public_id,
        filename=attachment.filename,
        size=attachment.size,
        mime_type=attachment.mime_type,
        content_id=attachment.content_id,
        created_at=attachment.created_at,
    )


async def thread_page(
    session: AsyncSession, actor: Actor, code: str, *, cursor: str | None = None, limit: int | None = None
) -> ThreadPage:
    """The thread of a ticket the actor may see, oldest group first, keyset-paginated by group."""
    ticket = await queries.visible_ticket(session, actor, code)
    size = check_limit(limit)
    query = select(MessageGroup).where(MessageGroup.ticket_id == ticket.id)
    after = _typed_cursor(decode_cursor(cursor, arity=2))
    if after is not None:
        query = query.where(tuple_(MessageGroup.created_at, MessageGroup.id) > tuple_(*after))
    query = query.order_by(MessageGroup.created_at, MessageGroup.id).limit(size + 1)
    groups = list((await session.execute(query)).scalars())
    next_cursor = None
    if len(groups) > size:
        groups = groups[:size]
        last = groups[-1]
        next_cursor = encode_cursor([last.created_at.isoformat(), last.id])
    return ThreadPage(items=await group_outs(session, groups), next_cursor=next_cursor)


def _typed_cursor(values: list[Any] | None) -> tuple[datetime, int] | None:
    if values is None:
        return None
    try:
        at, key = datetime.fromisoformat(values[0]), int(values[1])
    except (TypeError, ValueError):
        raise Invalid("cursor", "not a cursor this API handed out") from None
    if at.tzinfo is None:
        raise Invalid("cursor", "not a cursor this API handed out")
    return at, key


async def group_outs(session: AsyncSession, groups: Sequence[MessageGroup]) -> list[GroupOut]:
    """Groups as the API shows them, with messages, files, authors and the delivery status of their
    mails: five queries, whatever the number of groups (messages, attachments, agents, contacts,
    outgoing mail)."""
    if not groups:
        return []
    group_ids = [group.id for group in groups]
    rows = await session.execute(
        select(Message)
        .where(Message.group_id.in_(group_ids))
        .order_by(Message.group_id, Message.position, Message.id)
    )
    messages: dict[int, list[Message]] = defaultdict(list)
    for message in rows.scalars():
        messages[message.group_id].append(message)
    attachment_ids = [m.attachment_id for ms in messages.values() for m in ms if m.attachment_id is not None]
    attachments: dict[int, Attachment] = {}
    if attachment_ids:
        found = await session.execute(select(Attachment).where(Attachment.id.in_(set(attachment_ids))))
        attachments = {attachment.id: attachment for attachment in found.scalars()}
    agents = await accounts_queries.agent_summaries(
        session, [group.author_agent_id for group in groups if group.author_agent_id is not None]
    )
    contacts = await contacts_queries.contact_summaries(
        session, [group.author_contact_id for group in groups if group.author_contact_id is not None]
    )
    deliveries = await mail_queries.deliveries_of_groups(session, group_ids)
    result = []
    for group in groups:
        author = AuthorOut(name="Linka")
        if group.author_agent_id is not None and group.author_agent_id in agents:
            public_id, name = agents[group.author_agent_id]
            author = AuthorOut(agent_id=public_id, name=name)
        elif group.author_contact_id is not None and group.author_contact_id in contacts:
            public_id, name, email = contacts[group.author_contact_id]
            author = AuthorOut(contact_id=public_id, name=name or email or "")
        result.append(
            GroupOut(
                id=group.public_id,
                kind=group.kind,
                is_internal=group.is_internal,
                origin=group.origin,
                subject=group.subject,
                recipients=dict(group.recipients or {}),
                author=author,
                created_at=group.created_at,
                messages=[
                    MessageOut(
                        kind=message.kind,
                        body=message.body,
                        field_name=message.field_name,
                        attachment=attachment_out(attachments[message.attachment_id])
                        if message.attachment_id in attachments
                        else None,
                    )
                    for message in messages.get(group.id, [])
                ],
                deliveries=deliveries.get(group.id, []),
                line=dict(group.line) if group.line else None,
            )
        )
    return result


async def downloadable_attachment(session: AsyncSession, actor: Actor, public_id: str) -> Attachment:
    """An attachment of a ticket the actor may see; 404 otherwise (whether or not it exists)."""
    query = (
        select(Attachment)
        .join(Ticket, Ticket.id == Attachment.ticket_id)
        .where(Attachment.public_id == public_id, queries.visible_ticket_condition(actor))
    )
    attachment = (await session.execute(query)).scalar_one_or_none()
    if attachment is None:
        raise NotFound("attachment")
    return attachment


async def attachments_of_ticket(
    session: AsyncSession, ticket_id: int, public_ids: Sequence[str], *, field: str = "attachment_ids"
) -> list[Attachment]:
    """The attachments named, in the order given; Invalid(field) when one is not of this ticket."""
    if not public_ids:
        return []
    rows = await session.execute(
        select(Attachment).where(Attachment.public_id.in_(set(public_ids)), Attachment.ticket_id == ticket_id)
    )
    found = {attachment.public_id: attachment for attachment in rows.scalars()}
    missing = [public_id for public_id in public_ids if public_id not in found]
    if missing:
        raise Invalid(
            field,
            "not a file uploaded to this ticket: %(choices)s",
            values={"choices": ", ".join(missing[:5])},
        )
    unique = list(dict.fromkeys(public_ids))
    return [found[public_id] for public_id in unique]


async def group_of_ticket(
    session: AsyncSession, ticket_id: int, public_id: str, *, field: str
) -> MessageGroup:
    query = select(MessageGroup).where(
        MessageGroup.public_id == public_id, MessageGroup.ticket_id == ticket_id
    )
    group = (await session.execute(query)).scalar_one_or_none()
    if group is None:
        raise Invalid(field, "no such message group on this ticket")
    return group


async def messages_of_group(session: AsyncSession, group_id: int) -> list[Message]:
    rows = await session.execute(
        select(Message).where(Message.group_id == group_id).order_by(Message.position, Message.id)
    )
    return list(rows.scalars())


async def blob_hashes_of_tickets(session: AsyncSession, ticket_ids: Iterable[int]) -> list[str]:
    """The blobs the tickets' attachments use: collect them before a purge, sweep them after commit."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return []
    rows = await session.execute(select(Attachment.sha256).where(Attachment.ticket_id.in_(ids)).distinct())
    return sorted(str(value) for value in rows.scalars())


async def email_thread_of_ticket(session: AsyncSession, ticket_id: int) -> tuple[str | None, list[str]]:
    """(In-Reply-To, References) for a new mail on this ticket: the customer's latest Message-ID, and
    the Message-IDs of the ticket's emails so far, oldest first (the newest 20)."""
    rows = await session.execute(
        select(MessageGroup.kind, MessageGroup.email_message_id)
        .where(MessageGroup.ticket_id == ticket_id, MessageGroup.email_message_id.is_not(None))
        .order_by(MessageGroup.created_at.desc(), MessageGroup.id.desc())
        .limit(20)
    )
    found = [(str(kind), str(message_id)) for kind, message_id in rows.all()]
    incoming = next((mid for kind, mid in found if kind == GroupKind.INCOMING_EMAIL.value), None)
    return incoming, [mid for _, mid in reversed(found)]


async def email_in_threads(session: AsyncSession, message_ids: Sequence[str]) -> tuple[str, GroupKind] | None:
    """(ticket code, group kind) of the thread entry with one of these email Message-IDs (the first of
    them found, in the order given: callers put the most specific first)."""
    wanted = [mid for mid in dict.fromkeys(message_ids) if mid][:50]
    if not wanted:
        return None
    rows = await session.execute(
        select(MessageGroup.email_message_id, Ticket.code, MessageGroup.kind)
        .join(Ticket, Ticket.id == MessageGroup.ticket_id)
        .where(MessageGroup.email_message_id.in_(wanted))
    )
    found = {str(mid): (str(code), GroupKind(kind)) for mid, code, kind in rows.all()}
    return next((found[mid] for mid in wanted if mid in found), None)


# What a writer must not miss: the customer's messages and colleagues' replies, notes and forwards.
_WORTH_A_WARNING = frozenset(
    {*CUSTOMER_KINDS, GroupKind.OUTGOING_EMAIL, GroupKind.INTERNAL_NOTE, GroupKind.FORWARD}
)


async def groups_written_since(
    session: AsyncSession, ticket_id: int, seen_group_id: str | None, *, agent_id: int | None
) -> list[MessageGroup]:
    """Messages added to the ticket after the group `seen_group_id` (None or "": the ticket had no
    messages) by the customer or by someone other than `agent_id`, oldest first: a writer who saw only
    up to that group would answer without them. System lines do not count. A group no longer on the
    ticket (split off) leaves nothing to compare with: no warning."""
    query = select(MessageGroup).where(
        MessageGroup.ticket_id == ticket_id,
        MessageGroup.kind.in_([kind.value for kind in _WORTH_A_WARNING]),
    )
    if agent_id is not None:
        query = query.where(
            or_(MessageGroup.author_agent_id.is_(None), MessageGroup.author_agent_id != agent_id)
        )
    if seen_group_id:
        seen = (
            await session.execute(
                select(MessageGroup.created_at, MessageGroup.id).where(
                    MessageGroup.public_id == seen_group_id, MessageGroup.ticket_id == ticket_id
                )
            )
        ).first()
        if seen is None:
            return []
        query = query.where(tuple_(MessageGroup.created_at, MessageGroup.id) > tuple_(seen[0], seen[1]))
    rows = await session.execute(query.order_by(MessageGroup.created_at, MessageGroup.id).limit(20))
    return list(rows.scalars())


async def latest_group_id(session: AsyncSession, ticket_id: int) -> str | None:
    """The public id of the ticket's newest thread group (what a writer has seen up to)."""
    query = (
        select(MessageGroup.public_id)
        .where(MessageGroup.ticket_id == ticket_id)
        .order_by(MessageGroup.created_at.desc(), MessageGroup.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()
