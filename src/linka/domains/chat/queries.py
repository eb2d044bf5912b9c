"""Reads of the chat domain. Visitors are known by their token only; agents see chats they are in, and
chats and visitors of departments they may see (the same rule as tickets)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.errors import NotFound
from linka.core.permissions import Actor, DepartmentRole, department_role_at_least
from linka.domains.accounts.models import Agent, Department, DepartmentMember
from linka.domains.chat.constants import ChatState, OfferOutcome
from linka.domains.chat.models import (
    Chat,
    ChatAgentState,
    ChatButton,
    ChatOffer,
    ChatParticipant,
    Visitor,
)
from linka.domains.chat.wire import Line
from linka.domains.contacts.models import Contact, ContactEmail
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.thread_models import Attachment, Message

RUNNING = (ChatState.QUEUED.value, ChatState.ACTIVE.value)
# An ended chat still shows in the widget (to rate it, to mail the transcript) for this long.
RECENT_END = timedelta(minutes=30)
# A visitor counts as on the site while their widget's heartbeat is this fresh.
VISITOR_ONLINE = timedelta(seconds=90)
SOLVER_ROLES = tuple(role.value for role in DepartmentRole if role.at_least(DepartmentRole.SOLVER))


async def visitor_by_token(session: AsyncSession, button_id: int, token: str) -> Visitor | None:
    found = await session.execute(
        select(Visitor).where(Visitor.token == token, Visitor.button_id == button_id)
    )
    return found.scalar_one_or_none()


async def online_visitor(session: AsyncSession, public_id: str, now: datetime) -> Visitor | None:
    found = await session.execute(
        select(Visitor).where(Visitor.public_id == public_id, Visitor.last_seen_at >= now - VISITOR_ONLINE)
    )
    return found.scalar_one_or_none()


async def current_chat_of_visitor(session: AsyncSession, visitor_id: int, now: datetime) -> Chat | None:
    """The visitor's running chat, else the one that just ended (still to rate)."""
    found = await session.execute(
        select(Chat)
        .where(
            Chat.visitor_id == visitor_id,
            or_(Chat.state.in_(RUNNING), Chat.ended_at >= now - RECENT_END),
        )
        .order_by(Chat.started_at.desc(), Chat.id.desc())
        .limit(1)
    )
    return found.scalar_one_or_none()


async def chat_by_public_id(session: AsyncSession, public_id: str) -> Chat:
    found = (await session.execute(select(Chat).where(Chat.public_id == public_id))).scalar_one_or_none()
    if found is None:
        raise NotFound("no such chat")
    return found


def may_see_chat(actor: Actor, chat: Chat, participant_ids: Sequence[int]) -> bool:
    return (
        actor.agent_id in participant_ids
        or actor.agent_id == chat.agent_id
        or department_role_at_least(actor, chat.department_id, DepartmentRole.READER)
    )


async def participant_ids(session: AsyncSession, chat_id: int, *, present_only: bool = True) -> list[int]:
    query = select(ChatParticipant.agent_id).where(ChatParticipant.chat_id == chat_id)
    if present_only:
        query = query.where(ChatParticipant.left_at.is_(None))
    return [int(agent_id) for agent_id in (await session.execute(query)).scalars()]


async def visible_chat(session: AsyncSession, actor: Actor, public_id: str) -> Chat:
    """A chat the agent is in, or one of a department they may see."""
    chat = await chat_by_public_id(session, public_id)
    if not may_see_chat(actor, chat, await participant_ids(session, chat.id)):
        raise NotFound("no such chat")
    return chat


async def lines(session: AsyncSession, chat: Chat, *, since: int = 0, limit: int = 500) -> list[Line]:
    """The chat's lines after number `since`, in order, with authors' names and files."""
    rows = await session.execute(
        lines_query(and_(Message.group_id == chat.group_id, Message.position > since)).limit(limit)
    )
    visitor_name = await contact_name(session, chat.contact_id)
    return [
        line_of(message, agent_public_id, agent_name, attachment, visitor_name, chat.started_at)
        for message, agent_public_id, agent_name, attachment in rows.all()
    ]


def line_of(
    message: Message,
    agent_public_id: str | None,
    agent_name: str | None,
    attachment: Attachment | None,
    visitor_name: str,
    started_at: datetime,
) -> Line:
    """A chat line as the sockets and pages show it, from its message row and what that refers to."""
    author = (
        "agent"
        if message.author_agent_id is not None
        else "system"
        if message.kind == "system"
        else "visitor"
    )
    return Line(
        seq=message.position,
        at=message.sent_at or started_at,
        kind=message.kind,
        text=message.body if message.kind != "form_field" else f"{message.field_name}: {message.body}",
        author=author,
        author_id=agent_public_id,
        name=agent_name or (visitor_name if author == "visitor" else ""),
        key=message.client_key,
        meta=message.meta,
        file_id=attachment.public_id if attachment is not None else None,
        file_name=attachment.filename if attachment is not None else "",
        file_size=attachment.size if attachment is not None else 0,
        file_type=attachment.mime_type if attachment is not None else "",
    )


def lines_query(condition: ColumnElement[bool]) -> Any:
    return (
        select(Message, Agent.public_id, Agent.name, Attachment)
        .outerjoin(Agent, Agent.id == Message.author_agent_id)
        .outerjoin(Attachment, Attachment.id == Message.attachment_id)
        .where(condition)
        .order_by(Message.group_id, Message.position)
    )


async def contact_name(session: AsyncSession, contact_id: int) -> str:
    name = (await session.execute(select(Contact.name).where(Contact.id == contact_id))).scalar_one_or_none()
    return name or ""


async def contact_summary(session: AsyncSession, contact_id: int) -> dict[str, Any]:
    row = (
        await session.execute(select(Contact.public_id, Contact.name).where(Contact.id == contact_id))
    ).one_or_none()
    email = (
        await session.execute(
            select(ContactEmail.email)
            .where(ContactEmail.contact_id == contact_id)
            .order_by(ContactEmail.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if row is None:
        return {"id": None, "name": "", "email": email}
    return {"id": row[0], "name": row[1], "email": email}


async def queue_position(session: AsyncSession, chat: Chat) -> int | None:
    """1 for the next chat the department's agents will get; none when the chat is not waiting."""
    if chat.state != ChatState.QUEUED:
        return None
    ahead = await session.execute(
        select(func.count())
        .select_from(Chat)
        .where(
            Chat.department_id == chat.department_id,
            Chat.state == ChatState.QUEUED.value,
            or_(Chat.queued_at < chat.queued_at, and_(Chat.queued_at == chat.queued_at, Chat.id < chat.id)),
        )
    )
    return int(ahead.scalar_one()) + 1


async def agent_names(session: AsyncSession, agent_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Agent id → (public id, name)."""
    if not agent_ids:
        return {}
    rows = await session.execute(select(Agent.id, Agent.public_id, Agent.name).where(Agent.id.in_(agent_ids)))
    return {int(agent_id): (public, name) for agent_id, public, name in rows.all()}


async def department_name(session: AsyncSession, department_id: int) -> str:
    name = await session.execute(select(Department.name).where(Department.id == department_id))
    return name.scalar_one_or_none() or ""


async def ticket_code(session: AsyncSession, ticket_id: int) -> str:
    return (await session.execute(select(Ticket.code).where(Ticket.id == ticket_id))).scalar_one()


# ---- agents' availability for chats ---------------------------------------------------------------


def available_agents_query(department_id: int, now: datetime, *, agent_id: int | None = None) -> Any:
    """Agents who may be offered a chat of this department now: solvers or more in it, taking chats
    there and not paused, online, with the app connected, and active. Columns: agent id, the number of
    chats they are running, when their last chat ended."""
    running = (
        select(ChatParticipant.agent_id, func.count().label("running"))
        .join(Chat, Chat.id == ChatParticipant.chat_id)
        .where(ChatParticipant.left_at.is_(None), Chat.state == ChatState.ACTIVE.value)
        .group_by(ChatParticipant.agent_id)
        .subquery()
    )
    query = (
        select(
            Agent.id,
            func.coalesce(running.c.running, 0),
            ChatAgentState.last_chat_ended_at,
        )
        .join(DepartmentMember, DepartmentMember.agent_id == Agent.id)
        .join(ChatAgentState, ChatAgentState.agent_id == Agent.id)
        .outerjoin(running, running.c.agent_id == Agent.id)
        .where(
            DepartmentMember.department_id == department_id,
            DepartmentMember.chats.is_(True),
            DepartmentMember.paused.is_(False),
            DepartmentMember.role.in_(SOLVER_ROLES),
            Agent.is_active.is_(True),
            Agent.availability == "online",
            ChatAgentState.connected_until > now,
        )
    )
    return query.where(Agent.id == agent_id) if agent_id is not None else query


async def anyone_available(session: AsyncSession, department_id: int, now: datetime) -> bool:
    found = await session.execute(available_agents_query(department_id, now).limit(1))
    return found.first() is not None


async def pending_offers_of_agent(session: AsyncSession, agent_id: int, now: datetime) -> list[ChatOffer]:
    found = await session.execute(
        select(ChatOffer).where(
            ChatOffer.agent_id == agent_id,
            ChatOffer.outcome == OfferOutcome.PENDING.value,
            ChatOffer.expires_at > now,
        )
    )
    return list(found.scalars())


async def running_chats_of_agent(session: AsyncSession, agent_id: int) -> list[Chat]:
    found = await session.execute(
        select(Chat)
        .join(ChatParticipant, ChatParticipant.chat_id == Chat.id)
        .where(
            ChatParticipant.agent_id == agent_id,
            ChatParticipant.left_at.is_(None),
            Chat.state == ChatState.ACTIVE.value,
        )
        .order_by(Chat.accepted_at, Chat.id)
    )
    return list(found.scalars().unique())


async def online_visitors(
    session: AsyncSession, actor: Actor, now: datetime, *, limit: int = 200
) -> list[Any]:
    """Visitors on the sites of buttons whose department the agent may see, most recent first: rows of
    (Visitor, button name, contact name)."""
    query = (
        select(Visitor, ChatButton.name, Contact.name)
        .join(ChatButton, ChatButton.id == Visitor.button_id)
        .outerjoin(Contact, Contact.id == Visitor.contact_id)
        .where(Visitor.last_seen_at >= now - VISITOR_ONLINE)
        .order_by(Visitor.last_seen_at.desc(), Visitor.id.desc())
        .limit(limit)
    )
    if not actor.is_admin:
        query = query.where(
            ChatButton.department_id.in_(actor.departments_at_least(DepartmentRole.READER) or [0])
        )
    return list((await session.execute(query)).all())


async def visitor_attachment(
    session: AsyncSession, attachment_public_id: str, token: str
) -> Attachment | None:
    """A file of a chat of the visitor holding `token`."""
    found = await session.execute(
        select(Attachment)
        .join(Chat, Chat.ticket_id == Attachment.ticket_id)
        .join(Visitor, Visitor.id == Chat.visitor_id)
        .where(Attachment.public_id == attachment_public_id, Visitor.token == token)
        .limit(1)
    )
    return found.scalar_one_or_none()
