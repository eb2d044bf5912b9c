"""A chat's life: started by a visitor (a ticket with status `chatting`), lines both ways, seen marks,
handed over or sent to another department, a colleague invited, ended by either side or by silence.
Routing (who is rung, accepting, declining, missing) is in routing.py; the visitor's own records
(visits, the offline form, rating, transcript) in visitor_actions.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update

from linka.core.errors import Forbidden, Invalid
from linka.core.ids import public_id
from linka.core.permissions import DepartmentRole, department_role_at_least, require_write
from linka.core.uow import UnitOfWork
from linka.domains.accounts import queries as accounts_queries
from linka.domains.chat import queries, routing
from linka.domains.chat.constants import MAX_MESSAGE_CHARS, ChatState, OfferOutcome, PrechatKind
from linka.domains.chat.errors import ChatNotRunning, NoChat, TooLong
from linka.domains.chat.events import ChatEnded, ChatStarted
from linka.domains.chat.lines import append_line, append_system_line, locked_chat, signal, signal_state
from linka.domains.chat.models import Chat, ChatButton, ChatOffer, ChatParticipant, Visitor
from linka.domains.chat.wire import Line
from linka.domains.contacts import actions as contacts_actions
from linka.domains.tickets import chat_thread
from linka.domains.tickets.actions import create_ticket
from linka.domains.tickets.statuses import Channel, Status
from linka.domains.tickets.thread_schemas import MessageKind, NewAttachment

KEY_MAX = 64
FIELD_MAX = 500
SUBJECT_WORDS = 80


def clean_text(text: Any, *, field: str = "text") -> str:
    """A line as typed, trimmed; empty or over the limit is refused (counted in characters, so an
    emoji is one, never split)."""
    if not isinstance(text, str):
        raise Invalid(field, "must be text")
    text = text.replace("\x00", "").strip()
    if not text:
        raise Invalid(field, "must not be empty")
    if len(text) > MAX_MESSAGE_CHARS:
        raise TooLong(field, "at most %(max)s characters", values={"max": MAX_MESSAGE_CHARS})
    return text


def clean_key(key: Any) -> str:
    if not isinstance(key, str) or not 1 <= len(key) <= KEY_MAX:
        raise Invalid("key", "a key of 1 to %(max)s characters", values={"max": KEY_MAX})
    return key


def prechat_answers(
    button: ChatButton, fields: Mapping[str, Any], language: str
) -> list[tuple[str, str, str]]:
    """The pre-chat form checked against the button: (key, label, value) of each answered field."""
    answers: list[tuple[str, str, str]] = []
    for spec in button.prechat_fields or []:
        key = str(spec.get("key", ""))
        raw = fields.get(key, "")
        value = raw.strip() if isinstance(raw, str) else ""
        label_texts = spec.get("label") or {}
        label = str(label_texts.get(language) or label_texts.get("en") or key)
        if not value:
            if spec.get("required"):
                raise Invalid(f"fields.{key}", "please fill this in")
            continue
        if len(value) > FIELD_MAX:
            raise Invalid(f"fields.{key}", "at most %(max)s characters", values={"max": FIELD_MAX})
        if spec.get("kind") == PrechatKind.SELECT and value not in (spec.get("options") or []):
            raise Invalid(f"fields.{key}", "choose one of the options")
        answers.append((key, label, value))
    return answers


async def contact_for_visitor(uow: UnitOfWork, visitor: Visitor, answers: list[tuple[str, str, str]]) -> int:
    """The contact behind the chat: by the email given, else the visitor's earlier one, else a new one."""
    by_key = {key: value for key, _, value in answers}
    name = by_key.get("name", "")
    for key, _, value in answers:
        if key == "email" or ("@" in value and key.endswith("email")):
            contact = await contacts_actions.contact_for_email(
                uow, email=value, name=name, language=visitor.language, field=f"fields.{key}"
            )
            return contact.id
    if visitor.contact_id is not None:
        return visitor.contact_id
    contact = await contacts_actions.create_contact(
        uow, name=name or f"Visitor {visitor.public_id[3:9].upper()}", language=visitor.language
    )
    return contact.id


async def start_chat(
    uow: UnitOfWork,
    *,
    visitor_id: int,
    fields: Mapping[str, Any],
    first_key: str | None = None,
    first_text: str | None = None,
) -> Chat:
    """The visitor starts a chat (or gets their running one back: a second `start` is not a second
    chat). It becomes a ticket with status `chatting` in the button's department and is routed now."""
    require_write(uow.actor)
    visitor = await uow.session.get(Visitor, visitor_id)
    if visitor is None:
        raise Invalid("visitor", "unknown visitor")
    running = await queries.current_chat_of_visitor(uow.session, visitor.id, uow.now)
    if running is not None and running.state in queries.RUNNING:
        return running
    button = await uow.session.get(ChatButton, visitor.button_id)
    if button is None or not button.enabled:
        raise Invalid("button", "this chat button is switched off")
    text = clean_text(first_text) if first_text is not None else None
    key = clean_key(first_key) if text is not None else None
    answers = prechat_answers(button, fields, visitor.language)
    await routing.lock_department(uow, button.department_id)
    contact_id = await contact_for_visitor(uow, visitor, answers)
    visitor.contact_id = contact_id
    subject = (text or "").split("\n")[0][:SUBJECT_WORDS] or f"Chat: {button.name}"
    ticket = await create_ticket(
        uow,
        subject=subject,
        contact_id=contact_id,
        department_id=button.department_id,
        channel=Channel.CHAT,
        language=visitor.language,
        status=Status.CHATTING,
        contact_found_by_address=True,
    )
    group = await chat_thread.open_chat_group(
        uow, ticket=ticket, form_fields=[(label, value) for _, label, value in answers]
    )
    chat = Chat(
        public_id=public_id("ch"),
        ticket_id=ticket.id,
        group_id=group.id,
        button_id=button.id,
        department_id=button.department_id,
        visitor_id=visitor.id,
        contact_id=contact_id,
        language=visitor.language,
        state=ChatState.QUEUED.value,
        started_at=uow.now,
        queued_at=uow.now,
        last_visitor_activity_at=uow.now,
        next_routing_at=uow.now,
        last_seq=len(answers),
    )
    uow.session.add(chat)
    await uow.session.flush()
    uow.history("chat", chat.id, "started", after={"chat": chat.public_id, "ticket": ticket.code})
    uow.record(ChatStarted(chat_id=chat.id, ticket_id=ticket.id, department_id=chat.department_id))
    if text is not None:
        name = await queries.contact_name(uow.session, contact_id)
        await append_line(
            uow,
            chat,
            kind=MessageKind.TEXT,
            text=text,
            from_visitor=True,
            key=key,
            author_name=name,
            participants=[],
        )
    await signal_state(uow, chat)
    await routing.route_department_queue(uow, chat.department_id, locked=True)
    return chat


async def _visitor_chat(uow: UnitOfWork, visitor_id: int) -> Chat:
    chat = await queries.current_chat_of_visitor(uow.session, visitor_id, uow.now)
    if chat is None:
        raise NoChat("chat", "no chat is running")
    return chat


async def post_visitor_line(
    uow: UnitOfWork, *, visitor_id: int, key: Any, text: Any = None, file: NewAttachment | None = None
) -> tuple[Line | None, int]:
    """A line (or a file) from the visitor into their running chat. Stored once per key: a resend
    returns (None, the number it was stored under)."""
    require_write(uow.actor)
    key = clean_key(key)
    body = clean_text(text) if file is None else file.filename
    chat = await _visitor_chat(uow, visitor_id)
    chat = await locked_chat(uow, chat.id)
    earlier = await chat_thread.chat_line_by_key(uow, group_id=chat.group_id, key=key)
    if earlier is not None:
        return None, earlier.position
    if chat.state not in queries.RUNNING:
        raise ChatNotRunning("chat", "this chat has ended")
    name = await queries.contact_name(uow.session, chat.contact_id)
    kind = MessageKind.FILE if file is not None else MessageKind.TEXT
    line = await append_line(
        uow, chat, kind=kind, text=body, from_visitor=True, key=key, author_name=name, file=file
    )
    return line, line.seq


async def post_agent_line(
    uow: UnitOfWork, *, chat_public_id: str, key: Any, text: Any
) -> tuple[Line | None, int]:
    """A line from an agent in the chat (its owner or an invited colleague)."""
    require_write(uow.actor)
    key, body = clean_key(key), clean_text(text)
    chat = await queries.chat_by_public_id(uow.session, chat_public_id)
    chat = await locked_chat(uow, chat.id)
    earlier = await chat_thread.chat_line_by_key(uow, group_id=chat.group_id, key=key)
    if earlier is not None:
        return None, earlier.position
    present = await queries.participant_ids(uow.session, chat.id)
    if chat.state != ChatState.ACTIVE.value:
        # Everyone has left an ended chat: whoever was in it is told it ended, not that it isn't theirs.
        if uow.actor.agent_id in await queries.participant_ids(uow.session, chat.id, present_only=False):
            raise ChatNotRunning("chat", "this chat has ended")
        raise Forbidden("you are not in this chat")
    if uow.actor.agent_id not in present:
        raise Forbidden("you are not in this chat")
    line = await append_line(
        uow,
        chat,
        kind=MessageKind.TEXT,
        text=body,
        author_agent_id=uow.actor.agent_id,
        author_name=uow.actor.name,
        key=key,
        participants=present,
    )
    return line, line.seq


async def mark_seen(
    uow: UnitOfWork, *, chat_public_id: str | None = None, visitor_id: int | None = None, seq: int
) -> None:
    """The visitor (by `visitor_id`) or an agent in the chat has seen lines up to `seq`."""
    if visitor_id is not None:
        chat = await _visitor_chat(uow, visitor_id)
    else:
        chat = await queries.chat_by_public_id(uow.session, chat_public_id or "")
        if uow.actor.agent_id not in await queries.participant_ids(uow.session, chat.id):
            raise Forbidden("you are not in this chat")
    seq = min(int(seq), chat.last_seq)
    if visitor_id is not None and seq > chat.visitor_seen_seq:
        await uow.session.execute(
            update(Chat).where(Chat.id == chat.id, Chat.visitor_seen_seq < seq).values(visitor_seen_seq=seq)
        )
        signal(
            uow,
            chat,
            agents=await queries.participant_ids(uow.session, chat.id),
            agent_frame={"type": "chat_seen", "chat": chat.public_id, "seq": seq},
        )
    elif visitor_id is None and seq > chat.agent_seen_seq:
        await uow.session.execute(
            update(Chat).where(Chat.id == chat.id, Chat.agent_seen_seq < seq).values(agent_seen_seq=seq)
        )
        signal(uow, chat, visitor_frame={"type": "seen", "seq": seq})


async def end_chat(
    uow: UnitOfWork, *, chat_public_id: str | None = None, visitor_id: int | None = None, by: str
) -> Chat:
    """End a chat: by the visitor (`visitor_id`), by an agent in it, or by silence (the worker). A chat
    still waiting in the queue that the visitor leaves is missed: its ticket stays `new` for a reply."""
    require_write(uow.actor)
    if visitor_id is not None:
        chat = await _visitor_chat(uow, visitor_id)
    else:
        chat = await queries.chat_by_public_id(uow.session, chat_public_id or "")
    if by == "agent":
        present = await queries.participant_ids(uow.session, chat.id)
        if uow.actor.agent_id not in present and not department_role_at_least(
            uow.actor, chat.department_id, DepartmentRole.SUPERVISOR
        ):
            raise Forbidden("you are not in this chat")
    await routing.lock_department(uow, chat.department_id)
    chat = await locked_chat(uow, chat.id)
    if chat.state not in queries.RUNNING:
        return chat
    chat.ended_by = by
    if chat.state == ChatState.QUEUED.value:
        pending = (
            await uow.session.execute(
                select(ChatOffer).where(
                    ChatOffer.chat_id == chat.id, ChatOffer.outcome == OfferOutcome.PENDING.value
                )
            )
        ).scalars()
        await routing.miss_chat(uow, chat, offers=list(pending))
        uow.record(ChatEnded(chat_id=chat.id, ticket_id=chat.ticket_id, missed=True))
        await routing.route_department_queue(uow, chat.department_id, locked=True)
        return chat
    present = await queries.participant_ids(uow.session, chat.id)
    button = await uow.session.get(ChatButton, chat.button_id)
    who = uow.actor.name if by == "agent" else "the visitor" if by == "visitor" else "inactivity"
    await append_system_line(
        uow, chat, text=f"Chat ended by {who}", event="ended", by=by, participants=present
    )
    chat.state, chat.ended_at, chat.next_routing_at = ChatState.ENDED.value, uow.now, None
    await uow.session.execute(
        update(ChatParticipant)
        .where(ChatParticipant.chat_id == chat.id, ChatParticipant.left_at.is_(None))
        .values(left_at=uow.now)
    )
    await routing.mark_chat_ended_for(uow, present)
    ticket = await chat_thread.chat_ticket(uow, chat.ticket_id, lock=True)
    chat_thread.set_chat_ticket_status(uow, ticket, Status(button.end_status if button else "answered"))
    chat_thread.chat_finished(uow, ticket_id=chat.ticket_id, group_id=chat.group_id)
    uow.record(ChatEnded(chat_id=chat.id, ticket_id=chat.ticket_id, agent_ids=tuple(present)))
    await signal_state(uow, chat, extra_agents=present)
    await routing.route_department_queue(uow, chat.department_id, locked=True)
    return chat


async def _owned_chat(uow: UnitOfWork, chat_public_id: str) -> Chat:
    """A running chat the actor owns, or supervises the department of."""
    chat = await queries.chat_by_public_id(uow.session, chat_public_id)
    if chat.agent_id != uow.actor.agent_id and not department_role_at_least(
        uow.actor, chat.department_id, DepartmentRole.SUPERVISOR
    ):
        raise Forbidden("only the agent in the chat or a supervisor does this")
    if chat.state != ChatState.ACTIVE.value:
        raise ChatNotRunning("chat", "this chat is not running")
    return chat


async def transfer_chat(
    uow: UnitOfWork, *, chat_public_id: str, agent_id: int | None = None, department_id: int | None = None
) -> Chat:
    """Hand the chat to a colleague (who must be available for chats in its department), or send it to
    another department's queue (it is rung there like a new chat; the visitor keeps their chat)."""
    require_write(uow.actor)
    if (agent_id is None) == (department_id is None):
        raise Invalid("agent_id", "name an agent or a department")
    chat = await _owned_chat(uow, chat_public_id)
    await routing.lock_department(uow, chat.department_id)
    if department_id is not None and department_id != chat.department_id:
        if not await accounts_queries.department_exists(uow.session, department_id):
            raise Invalid("department_id", "no such department")
        await routing.lock_department(uow, department_id)
    chat = await locked_chat(uow, chat.id)
    if agent_id is not None:
        if agent_id == chat.agent_id:
            raise Invalid("agent_id", "this agent already has the chat")
        available = await uow.session.execute(
            queries.available_agents_query(chat.department_id, uow.now, agent_id=agent_id)
        )
        if available.first() is None:
            raise Invalid("agent_id", "this agent is not available for chats in the department")
        await routing.take_over(uow, chat, agent_id=agent_id)
        return chat
    assert department_id is not None
    previous = chat.agent_id
    present = await queries.participant_ids(uow.session, chat.id)
    target = await queries.department_name(uow.session, department_id)
    await append_system_line(
        uow,
        chat,
        text=f"Transferred to {target}",
        event="transferred",
        department=target,
        participants=present,
    )
    await uow.session.execute(
        update(ChatParticipant)
        .where(ChatParticipant.chat_id == chat.id, ChatParticipant.left_at.is_(None))
        .values(left_at=uow.now)
    )
    await routing.mark_chat_ended_for(uow, present)
    chat.department_id, chat.agent_id = department_id, None
    chat.state, chat.queued_at, chat.next_routing_at = ChatState.QUEUED.value, uow.now, uow.now
    chat.routing_round += 1
    ticket = await chat_thread.chat_ticket(uow, chat.ticket_id, lock=True)
    await chat_thread.route_chat_ticket(uow, ticket, department_id=department_id, assignee_id=None)
    await signal_state(uow, chat, extra_agents=[*present, *([previous] if previous else [])])
    await routing.route_department_queue(uow, department_id, locked=True)
    return chat


async def invite_to_chat(uow: UnitOfWork, *, chat_public_id: str, agent_id: int) -> Chat:
    """Bring a colleague into the chat to help; they see it at once and may write, then leave."""
    require_write(uow.actor)
    chat = await _owned_chat(uow, chat_public_id)
    chat = await locked_chat(uow, chat.id)
    present = await queries.participant_ids(uow.session, chat.id)
    if agent_id in present:
        raise Invalid("agent_id", "this agent is already in the chat")
    if not await accounts_queries.agent_works_tickets_in(uow.session, agent_id, chat.department_id):
        raise Invalid("agent_id", "this agent does not work tickets of the department")
    uow.session.add(ChatParticipant(chat_id=chat.id, agent_id=agent_id, role="invited", joined_at=uow.now))
    name = (await queries.agent_names(uow.session, [agent_id])).get(agent_id, ("", "?"))[1]
    await append_system_line(
        uow,
        chat,
        text=f"{name} joined the chat",
        event="joined",
        agent=name,
        participants=[*present, agent_id],
    )
    await signal_state(uow, chat)
    return chat


async def leave_chat(uow: UnitOfWork, *, chat_public_id: str) -> Chat:
    """An invited colleague leaves (the owner ends or hands over instead)."""
    require_write(uow.actor)
    chat = await queries.chat_by_public_id(uow.session, chat_public_id)
    chat = await locked_chat(uow, chat.id)
    if chat.agent_id == uow.actor.agent_id:
        raise Invalid("chat", "you have the chat: end it or hand it over")
    left = await uow.session.execute(
        update(ChatParticipant)
        .where(
            ChatParticipant.chat_id == chat.id,
            ChatParticipant.agent_id == uow.actor.agent_id,
            ChatParticipant.left_at.is_(None),
        )
        .values(left_at=uow.now)
    )
    if not getattr(left, "rowcount", 0):
        raise Invalid("chat", "you are not in this chat")
    present = await queries.participant_ids(uow.session, chat.id)
    await append_system_line(
        uow,
        chat,
        text=f"{uow.actor.name} left the chat",
        event="left",
        agent=uow.actor.name,
        participants=present,
    )
    await signal_state(uow, chat, extra_agents=[uow.actor.agent_id] if uow.actor.agent_id else [])
    return chat
