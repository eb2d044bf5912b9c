"""Writes to a ticket's thread: replies, internal notes, forwards, customers' messages and the system
lines other actions leave (transfer, resolve, postpone, split, merged).

Each adds one message group with its messages, moves `last_activity_at`, writes a history entry and
records `TicketThreadChanged`. Mail is never sent here: a reply or forward queues an `outgoing_mail`
row (mail domain) that the worker delivers. HTML bodies are stored sanitised (nh3); everything is
validated before anything is written, and a failure rolls the whole unit of work back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import nh3
from sqlalchemy import select

from linka.core.errors import Invalid
from linka.core.ids import public_id
from linka.core.permissions import require_write
from linka.core.uow import UnitOfWork
from linka.domains.contacts import queries as contacts_queries
from linka.domains.mail import actions as mail_actions
from linka.domains.tickets import draft_actions, queries, thread_queries
from linka.domains.tickets.actions import create_ticket
from linka.domains.tickets.events import TicketThreadChanged
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.search import html_text
from linka.domains.tickets.status_changes import change_status
from linka.domains.tickets.statuses import REOPENED_BY_CUSTOMER, Channel, Priority, Status, check_transition
from linka.domains.tickets.thread_files import record_attachments
from linka.domains.tickets.thread_models import Attachment, Message, MessageGroup
from linka.domains.tickets.thread_schemas import (
    CUSTOMER_KINDS,
    HTML_MAX,
    MAX_ATTACHMENTS,
    MAX_RECIPIENTS,
    SYSTEM_LINE_KINDS,
    TEXT_MAX,
    GroupKind,
    MessageKind,
    NewAttachment,
)

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Inline images of an HTML body point at their attachment by Content-ID.
_URL_SCHEMES = nh3.ALLOWED_URL_SCHEMES | {"cid"}
_CHANNEL_OF = {
    GroupKind.INCOMING_EMAIL: Channel.EMAIL,
    GroupKind.FORWARD_REPLY: Channel.EMAIL,
    GroupKind.CHAT: Channel.CHAT,
    GroupKind.CALL: Channel.CALL,
}
FORM_FIELD_MAX = 200
FORWARD_SEPARATOR = "---------- Forwarded message ----------"
# A customer writing to a ticket in these starts a new one linked to it (the old one stays as it is).
STARTS_FOLLOW_UP = frozenset({Status.CLOSED, Status.SPAM, Status.DELETED})


# Remote images of a received mail arrive held back (mail/htmlbody.py moves their address to
# `data-remote-src`); the address is kept so the agent may still choose to load them.
_ATTRIBUTES = {**nh3.ALLOWED_ATTRIBUTES, "img": {*nh3.ALLOWED_ATTRIBUTES["img"], "data-remote-src"}}


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "data-remote-src" and not value.strip().lower().startswith(("http://", "https://")):
        return None
    return value


def sanitise_html(html: str) -> str:
    """HTML safe to show in the agent app: no scripts, event handlers, styles that escape, or
    javascript: links."""
    return nh3.clean(
        html.replace("\x00", ""),
        attributes=_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes=_URL_SCHEMES,
    )


def _text(field: str, value: str | None, max_length: int = TEXT_MAX) -> str:
    cleaned = (value or "").replace("\x00", "").strip()  # PostgreSQL text cannot hold NUL
    if len(cleaned) > max_length:
        raise Invalid(field, "at most %(max)s characters", values={"max": max_length})
    return cleaned


def _html(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > HTML_MAX:
        raise Invalid("html", "at most %(max)s characters", values={"max": HTML_MAX})
    return sanitise_html(value) or None


def _address(field: str, value: str) -> str:
    address = value.strip().lower()
    if len(address) > 254 or not _EMAIL.fullmatch(address):
        raise Invalid(field, "not an email address: %(value)s", values={"value": value[:60]})
    return address


def _addresses(field: str, values: Sequence[str], *, exclude: Sequence[str] = ()) -> list[str]:
    if len(values) > MAX_RECIPIENTS:
        raise Invalid(field, "at most %(max)s addresses", values={"max": MAX_RECIPIENTS})
    found = [_address(field, value) for value in values]
    return [a for a in dict.fromkeys(found) if a not in exclude]


def _plain(html: str | None) -> str:
    """A plain-text version of an HTML body (the email channel may render a better one)."""
    return " ".join(html_text(html or "").split())


def _mail_subject(ticket: Ticket, prefix: str = "") -> str:
    return f"{prefix}{ticket.subject} [#{ticket.code}]".strip()


# ---- the parts every group shares ----------------------------------------------------------------


@dataclass
class _Part:
    kind: MessageKind
    body: str = ""
    field_name: str | None = None
    attachment_id: int | None = None


async def _add_group(
    uow: UnitOfWork,
    ticket: Ticket,
    kind: GroupKind,
    parts: Sequence[_Part],
    *,
    is_internal: bool,
    author_contact_id: int | None = None,
    subject: str = "",
    recipients: dict[str, list[str]] | None = None,
    email_message_id: str | None = None,
    history: dict[str, Any] | None = None,
    line: dict[str, str] | None = None,
) -> MessageGroup:
    """One group with its messages; moves the ticket's activity, writes history, records the event."""
    group = MessageGroup(
        public_id=public_id("mg"),
        ticket_id=ticket.id,
        kind=kind.value,
        is_internal=is_internal,
        author_agent_id=uow.actor.agent_id if author_contact_id is None else None,
        author_contact_id=author_contact_id,
        origin=uow.actor.origin.value,
        subject=subject[:500],
        recipients=recipients or {},
        email_message_id=email_message_id,
        line=line,
        created_at=uow.now,
    )
    uow.session.add(group)
    await uow.session.flush()
    uow.session.add_all(
        Message(
            group_id=group.id,
            ticket_id=ticket.id,
            kind=part.kind.value,
            position=position,
            body=part.body,
            field_name=part.field_name,
            attachment_id=part.attachment_id,
        )
        for position, part in enumerate(parts)
    )
    ticket.last_activity_at = ticket.updated_at = uow.now
    await uow.session.flush()
    uow.history(
        "ticket",
        ticket.id,
        "message_added",
        after={"group": group.public_id, "kind": kind.value, "internal": is_internal, **(history or {})},
    )
    uow.record(TicketThreadChanged(ticket_id=ticket.id, group_id=group.id, kind=kind.value))
    return group


def _file_parts(files: Sequence[Attachment]) -> list[_Part]:
    return [_Part(MessageKind.FILE, body=file.filename, attachment_id=file.id) for file in files]


async def _agent_content(
    uow: UnitOfWork, ticket: Ticket, text: str, attachment_ids: Sequence[str], html: str | None = None
) -> tuple[str, str | None, list[Attachment]]:
    """Validated text, sanitised HTML and the named uploads of this ticket; refuses an empty message."""
    body = _text("text", text)
    markup = _html(html)
    if len(attachment_ids) > MAX_ATTACHMENTS:
        raise Invalid("attachment_ids", "at most %(max)s files", values={"max": MAX_ATTACHMENTS})
    files = await thread_queries.attachments_of_ticket(uow.session, ticket.id, attachment_ids)
    if not body and markup is None and not files:
        raise Invalid("text", "write something or attach a file")
    return body, markup, files


# ---- agents: reply, note, forward ----------------------------------------------------------------


async def reply(
    uow: UnitOfWork,
    *,
    code: str,
    text: str,
    html: str | None = None,
    attachment_ids: Sequence[str] = (),
    to: str | None = None,
    cc: Sequence[str] | None = None,
) -> MessageGroup:
    """Answer the customer: an outgoing-email group and one queued mail to the contact's primary
    address (or `to`) with the ticket's CCs (or `cc`). The ticket becomes answered; a closed one is
    locked (409), as the transition table says."""
    require_write(uow.actor)
    ticket = await queries.workable_ticket(uow.session, uow.actor, code)
    body, markup, files = await _agent_content(uow, ticket, text, attachment_ids, html)
    check_transition(ticket.status, Status.ANSWERED)
    contact = (await contacts_queries.contact_summaries(uow.session, [ticket.contact_id]))[ticket.contact_id]
    _, contact_name, contact_email = contact
    if to is not None:
        to_address = _address("to", to)
    elif contact_email is not None:
        to_address = contact_email
    else:
        raise Invalid("to", "the contact has no email address: give one")
    if cc is None:
        cc_ids = await queries.cc_contact_ids(uow.session, ticket.id)
        summaries = await contacts_queries.contact_summaries(uow.session, cc_ids)
        defaults = [email for _, _, email in summaries.values() if email]
        copies = _addresses("cc", defaults, exclude=[to_address])
    else:
        copies = _addresses("cc", cc, exclude=[to_address])
    subject = _mail_subject(ticket)
    parts = [_Part(MessageKind.TEXT, body)] if body else []
    if markup is not None:
        parts.append(_Part(MessageKind.HTML, markup))
    group = await _add_group(
        uow,
        ticket,
        GroupKind.OUTGOING_EMAIL,
        [*parts, *_file_parts(files)],
        is_internal=False,
        subject=subject,
        recipients={"to": [to_address], "cc": copies},
        history={"to": [to_address], "cc": copies, "attachments": [file.public_id for file in files]},
    )
    in_reply_to, references = await thread_queries.email_thread_of_ticket(uow.session, ticket.id)
    mail = await mail_actions.queue_ticket_mail(
        uow,
        kind="reply",
        ticket_id=ticket.id,
        department_id=ticket.department_id,
        group_id=group.id,
        in_reply_to=in_reply_to,
        references=references,
        to_address=to_address,
        to_name=contact_name if to_address == contact_email else "",
        cc=copies,
        subject=subject,
        text=body or _plain(markup),
        html=markup,
        language=ticket.language,
    )
    group.email_message_id = mail.message_id
    change_status(uow, ticket, Status.ANSWERED)
    ticket.first_agent_reply_at = ticket.first_agent_reply_at or uow.now
    ticket.last_agent_reply_at = uow.now
    ticket.agent_reply_count += 1
    await draft_actions.discard_sent_draft(uow, ticket_id=ticket.id)  # what was drafted is sent
    return group


async def add_note(
    uow: UnitOfWork, *, code: str, text: str, attachment_ids: Sequence[str] = ()
) -> MessageGroup:
    """An internal note for colleagues: never mailed, never shown to the customer; the status stays."""
    require_write(uow.actor)
    ticket = await queries.workable_ticket(uow.session, uow.actor, code)
    body, _, files = await _agent_content(uow, ticket, text, attachment_ids)
    parts = [_Part(MessageKind.TEXT, body)] if body else []
    group = await _add_group(
        uow,
        ticket,
        GroupKind.INTERNAL_NOTE,
        [*parts, *_file_parts(files)],
        is_internal=True,
        history={"attachments": [file.public_id for file in files]},
    )
    await draft_actions.discard_sent_draft(uow, ticket_id=ticket.id)
    return group


async def _latest_conversation_group(uow: UnitOfWork, ticket_id: int) -> MessageGroup | None:
    kinds = [kind.value for kind in (*CUSTOMER_KINDS, GroupKind.OUTGOING_EMAIL)]
    query = (
        select(MessageGroup)
        .where(
            MessageGroup.ticket_id == ticket_id,
            MessageGroup.kind.in_(kinds),
            MessageGroup.is_internal.is_(False),
        )
        .order_by(MessageGroup.created_at.desc(), MessageGroup.id.desc())
        .limit(1)
    )
    return (await uow.session.execute(query)).scalar_one_or_none()


async def forward(
    uow: UnitOfWork, *, code: str, to: Sequence[str], text: str = "", group_id: str | None = None
) -> MessageGroup:
    """Send a message of the thread (the group `group_id`, by default the latest one from or to the
    customer) with its files to other addresses. Agents see the forward; the customer does not. One mail
    per address; the status stays. Replies come back as forward-reply groups (email channel)."""
    require_write(uow.actor)
    ticket = await queries.workable_ticket(uow.session, uow.actor, code)
    body = _text("text", text)
    addresses = _addresses("to", to)
    if not addresses:
        raise Invalid("to", "give at least one address")
    source: MessageGroup | None
    if group_id is not None:
        source = await thread_queries.group_of_ticket(uow.session, ticket.id, group_id, field="group_id")
        if source.is_internal:
            raise Invalid("group_id", "internal notes and system entries are not forwarded")
    else:
        source = await _latest_conversation_group(uow, ticket.id)
    if source is None:
        raise Invalid("group_id", "the ticket has no message to forward")
    messages = await thread_queries.messages_of_group(uow.session, source.id)
    texts = [m.body for m in messages if m.kind == MessageKind.TEXT.value]
    if not texts:
        texts = [_plain(m.body) for m in messages if m.kind == MessageKind.HTML.value]
    quoted = "\n\n".join(part for part in texts if part)
    file_ids = [m.attachment_id for m in messages if m.attachment_id is not None]
    files = await _attachments_by_id(uow, file_ids)
    parts = [_Part(MessageKind.TEXT, body)] if body else []
    if quoted:
        parts.append(_Part(MessageKind.QUOTED, quoted))
    subject = _mail_subject(ticket, "Fwd: ")
    group = await _add_group(
        uow,
        ticket,
        GroupKind.FORWARD,
        [*parts, *_file_parts(files)],
        is_internal=True,
        subject=subject,
        recipients={"to": addresses},
        history={"to": addresses, "forwarded": source.public_id},
    )
    mail_text = f"{body}\n\n{FORWARD_SEPARATOR}\n{quoted}".strip() + "\n"
    for address in addresses:
        mail = await mail_actions.queue_ticket_mail(
            uow,
            kind="forward",
            ticket_id=ticket.id,
            department_id=ticket.department_id,
            group_id=group.id,
            to_address=address,
            subject=subject,
            text=mail_text,
            language=ticket.language,
        )
        # Replies to any of the forwards find the ticket through outgoing_mail; the group keeps one.
        group.email_message_id = group.email_message_id or mail.message_id
    await draft_actions.discard_sent_draft(uow, ticket_id=ticket.id)
    return group


async def _attachments_by_id(uow: UnitOfWork, ids: Sequence[int]) -> list[Attachment]:
    if not ids:
        return []
    rows = await uow.session.execute(select(Attachment).where(Attachment.id.in_(set(ids))))
    found = {attachment.id: attachment for attachment in rows.scalars()}
    return [found[key] for key in dict.fromkeys(ids) if key in found]


# ---- customers (called by the channels) -----------------------------------------------------------


@dataclass(frozen=True)
class Posted:
    """Where a customer's message landed: its ticket (a new follow-up one when the old was closed)."""

    ticket: Ticket
    group: MessageGroup
    follow_up: bool = False
    duplicate: bool = False


async def add_customer_message(
    uow: UnitOfWork,
    *,
    code: str,
    text: str,
    html: str | None = None,
    quoted: str | None = None,
    kind: GroupKind = GroupKind.INCOMING_EMAIL,
    attachments: Sequence[NewAttachment] = (),
    form_fields: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
    email_message_id: str | None = None,
    author_contact_id: int | None = None,
    reopen: bool = True,
) -> Posted:
    """A message from the customer (email, chat, call; or a forward reply from whoever got a forward).
    Answered, postponed and resolved tickets reopen (unless `reopen` is off: an auto-reply, suspected
    spam); a closed, spam or deleted ticket stays as it is and the message starts a new ticket linked
    to it (`follow_up_of_id`). A Message-ID seen before is not recorded twice (a redelivered email).
    `author_contact_id` names who wrote when it is not the ticket's contact (a colleague in copy).
    Files must already be in the blob store."""
    require_write(uow.actor)
    kind = GroupKind(kind)
    if kind not in CUSTOMER_KINDS:
        raise Invalid(
            "kind", "must be one of %(choices)s", values={"choices": ", ".join(sorted(CUSTOMER_KINDS))}
        )
    ticket = await queries.workable_ticket(uow.session, uow.actor, code)
    message_id = (email_message_id or "").strip()[:255] or None
    if message_id is not None:
        seen = await uow.session.execute(
            select(MessageGroup).where(MessageGroup.email_message_id == message_id).limit(1)
        )
        earlier = seen.scalar_one_or_none()
        if earlier is not None:
            landed = await uow.session.get(Ticket, earlier.ticket_id)
            assert landed is not None
            return Posted(ticket=landed, group=earlier, duplicate=True)
    body, markup, quote = _text("text", text), _html(html), _text("quoted", quoted)
    fields = list(form_fields.items()) if isinstance(form_fields, Mapping) else list(form_fields or ())
    if len(attachments) > MAX_ATTACHMENTS:
        raise Invalid("attachments", "at most %(max)s files", values={"max": MAX_ATTACHMENTS})
    follow_up = Status(ticket.status) in STARTS_FOLLOW_UP
    if follow_up:
        ticket = await create_ticket(
            uow,
            subject=ticket.subject,
            contact_id=ticket.contact_id,
            department_id=ticket.department_id,
            channel=_CHANNEL_OF[kind],
            language=ticket.language,
            priority=Priority(ticket.priority),
            follow_up_of_id=ticket.id,
        )
    files = await record_attachments(uow, ticket, attachments)
    parts = [_Part(MessageKind.TEXT, body)] if body else []
    if markup is not None:
        parts.append(_Part(MessageKind.HTML, markup))
    if quote:
        parts.append(_Part(MessageKind.QUOTED, quote))
    parts += [
        _Part(
            MessageKind.FORM_FIELD,
            _text("form_fields", value),
            field_name=_text("form_fields", label, FORM_FIELD_MAX) or "?",
        )
        for label, value in fields
    ]
    from_customer = kind is not GroupKind.FORWARD_REPLY
    author = author_contact_id if author_contact_id is not None else ticket.contact_id
    group = await _add_group(
        uow,
        ticket,
        kind,
        [*parts, *_file_parts(files)],
        is_internal=False,
        author_contact_id=author if from_customer else None,
        subject=ticket.subject,
        email_message_id=message_id,
        history={"attachments": [file.public_id for file in files]},
    )
    if reopen and Status(ticket.status) in REOPENED_BY_CUSTOMER:
        change_status(uow, ticket, Status.OPEN)
    if from_customer:
        ticket.last_customer_message_at = uow.now
        ticket.customer_message_count += 1
    return Posted(ticket=ticket, group=group, follow_up=follow_up)


# ---- other actions' entries -----------------------------------------------------------------------


async def add_system_line(
    uow: UnitOfWork, *, ticket_id: int, kind: GroupKind, text: str, line: dict[str, str]
) -> MessageGroup:
    """A line in the thread about something another action did ("Transferred to Sales by Sára"). The
    calling action has checked permissions and loaded the ticket; agents see the line, customers not.
    `text` is the line in English; `line` its event and values, for showing it in other languages."""
    require_write(uow.actor)
    kind = GroupKind(kind)
    if kind not in SYSTEM_LINE_KINDS:
        raise ValueError(f"{kind} is not a system line kind")
    ticket = await uow.session.get(Ticket, ticket_id)
    if ticket is None:
        raise ValueError(f"no ticket {ticket_id}")
    body = _text("text", text, 2000)
    return await _add_group(uow, ticket, kind, [_Part(MessageKind.SYSTEM, body)], is_internal=True, line=line)
