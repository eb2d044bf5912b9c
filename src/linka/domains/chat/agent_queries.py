"""Reads for the agent side of live chat: the agent app's chat pages and the REST API.

Who sees a chat is one rule (queries.may_see_chat / visible_chat): agents in it, its owner, and readers
or more of its department; admins see all. `visible_chat_condition` is the same rule in SQL, so the
list can never show a chat whose detail answers 404. Everything here loads what it shows in a fixed
number of queries, whatever the number of chats or lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.errors import Invalid
from linka.core.pagination import Page, check_limit, decode_cursor, encode_cursor
from linka.core.permissions import Actor, DepartmentRole
from linka.domains.accounts.models import Agent, Department, DepartmentMember
from linka.domains.chat import queries
from linka.domains.chat.constants import ChatState
from linka.domains.chat.models import Chat, ChatAgentState, ChatButton, ChatParticipant, Visitor
from linka.domains.chat.wire import Line
from linka.domains.contacts.models import Contact, ContactEmail
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.thread_models import Message, MessageGroup
from linka.domains.tickets.thread_schemas import GroupKind, MessageKind

# Lines of one chat shown at once (the agent app, the API's detail); older ones are in the ticket.
LINES_SHOWN = 500
ONLINE_VISITORS_MAX = 200
STATES = tuple(state.value for state in ChatState)


# ---- who sees which chat ------------------------------------------------------------------------


def visible_chat_condition(actor: Actor) -> ColumnElement[bool]:
    """queries.may_see_chat in SQL: chats the agent is in now, owns, or of departments they read."""
    if actor.is_admin:
        return true()
    if actor.agent_id is None:
        return false()
    in_chat = select(ChatParticipant.chat_id).where(
        ChatParticipant.agent_id == actor.agent_id, ChatParticipant.left_at.is_(None)
    )
    conditions: list[ColumnElement[bool]] = [
        and_(Chat.agent_id.is_not(None), Chat.agent_id == actor.agent_id),
        Chat.id.in_(in_chat),
    ]
    departments = actor.departments_at_least(DepartmentRole.READER)
    if departments:
        conditions.append(Chat.department_id.in_(departments))
    return or_(*conditions)


async def visible_chat(session: AsyncSession, actor: Actor, public_id: str) -> Chat:
    return await queries.visible_chat(session, actor, public_id)


# ---- a chat with everything around it ------------------------------------------------------------


@dataclass
class ChatPerson:
    agent_id: int
    public_id: str
    name: str
    role: str = "owner"


@dataclass
class ChatSummary:
    """A chat and what is shown with it: its ticket, department, owner, visitor and who is in it."""

    chat: Chat
    ticket_code: str
    department_public_id: str
    department_name: str
    owner: ChatPerson | None
    contact_public_id: str | None
    contact_name: str
    contact_email: str | None
    visitor: Visitor | None
    participants: list[ChatPerson] = field(default_factory=list)

    @property
    def participant_ids(self) -> list[int]:
        return [person.agent_id for person in self.participants]


async def chat_summaries(session: AsyncSession, chats: Sequence[Chat]) -> list[ChatSummary]:
    """Summaries of `chats` in six queries, whatever their number."""
    if not chats:
        return []
    chat_ids = [chat.id for chat in chats]
    rows = await session.execute(
        select(Ticket.id, Ticket.code).where(Ticket.id.in_({c.ticket_id for c in chats}))
    )
    tickets = {int(ticket_id): code for ticket_id, code in rows.all()}
    departments = {
        int(row[0]): (row[1], row[2])
        for row in (
            await session.execute(
                select(Department.id, Department.public_id, Department.name).where(
                    Department.id.in_({c.department_id for c in chats})
                )
            )
        ).all()
    }
    contact_ids = {c.contact_id for c in chats}
    contacts = {
        int(row[0]): (row[1], row[2])
        for row in (
            await session.execute(
                select(Contact.id, Contact.public_id, Contact.name).where(Contact.id.in_(contact_ids))
            )
        ).all()
    }
    emails: dict[int, str] = {}
    for contact_id, email in (
        await session.execute(
            select(ContactEmail.contact_id, ContactEmail.email)
            .where(ContactEmail.contact_id.in_(contact_ids))
            .order_by(ContactEmail.contact_id, ContactEmail.id)
        )
    ).all():
        emails.setdefault(int(contact_id), email)
    visitor_ids = {c.visitor_id for c in chats if c.visitor_id is not None}
    visitors = (
        {
            v.id: v
            for v in (await session.execute(select(Visitor).where(Visitor.id.in_(visitor_ids)))).scalars()
        }
        if visitor_ids
        else {}
    )
    # The owner may have left (the chat ended): their name comes with the participants' rows.
    people = await session.execute(
        select(ChatParticipant.chat_id, ChatParticipant.left_at, Agent.id, Agent.public_id, Agent.name)
        .join(Agent, Agent.id == ChatParticipant.agent_id)
        .where(ChatParticipant.chat_id.in_(chat_ids))
        .order_by(ChatParticipant.chat_id, ChatParticipant.joined_at, ChatParticipant.id)
    )
    present: dict[int, list[ChatPerson]] = defaultdict(list)
    names: dict[int, tuple[str, str]] = {}
    for chat_id, left_at, agent_id, agent_public_id, agent_name in people.all():
        names[int(agent_id)] = (agent_public_id, agent_name)
        if left_at is None:
            present[int(chat_id)].append(ChatPerson(int(agent_id), agent_public_id, agent_name))
    summaries = []
    for chat in chats:
        for person in present[chat.id]:
            person.role = "owner" if person.agent_id == chat.agent_id else "invited"
        owner = None
        if chat.agent_id is not None and chat.agent_id in names:
            owner = ChatPerson(chat.agent_id, *names[chat.agent_id])
        contact = contacts.get(chat.contact_id, (None, ""))
        department = departments.get(chat.department_id, ("", ""))
        summaries.append(
            ChatSummary(
                chat=chat,
                ticket_code=tickets.get(chat.ticket_id, ""),
                department_public_id=department[0],
                department_name=department[1],
                owner=owner,
                contact_public_id=contact[0],
                contact_name=contact[1],
                contact_email=emails.get(chat.contact_id),
                visitor=visitors.get(chat.visitor_id) if chat.visitor_id is not None else None,
                participants=present[chat.id],
            )
        )
    return summaries


async def list_chats(
    session: AsyncSession,
    actor: Actor,
    *,
    state: str | None = None,
    department: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[ChatSummary]:
    """Chats the actor may see, newest first, a keyset page at a time (by id, the primary key)."""
    limit = check_limit(limit)
    query = select(Chat).where(visible_chat_condition(actor)).order_by(Chat.id.desc()).limit(limit + 1)
    if state is not None:
        if state not in STATES:
            raise Invalid("state", "must be one of %(choices)s", values={"choices": ", ".join(STATES)})
        query = query.where(Chat.state == state)
    if department is not None:
        found = await session.execute(select(Department.id).where(Department.public_id == department))
        department_id = found.scalar_one_or_none()
        if department_id is None:
            raise Invalid("department", "no such department")
        query = query.where(Chat.department_id == department_id)
    after = decode_cursor(cursor)
    if after is not None:
        try:
            query = query.where(Chat.id < int(after[0]))
        except (TypeError, ValueError) as exc:
            raise Invalid("cursor", "not a cursor this API handed out") from exc
    chats = list((await session.execute(query)).scalars())
    more = len(chats) > limit
    chats = chats[:limit]
    return Page(
        items=await chat_summaries(session, chats),
        next_cursor=encode_cursor([chats[-1].id]) if more and chats else None,
    )


async def chat_with_lines(
    session: AsyncSession, actor: Actor, public_id: str, *, since: int = 0, limit: int = LINES_SHOWN
) -> tuple[ChatSummary, list[Line]]:
    """One chat the actor may see, with its lines after number `since`."""
    chat = await visible_chat(session, actor, public_id)
    [summary] = await chat_summaries(session, [chat])
    return summary, (await lines_of_chats(session, [summary], since=since, limit=limit))[chat.id]


# ---- lines and internal notes ---------------------------------------------------------------------


async def lines_of_chats(
    session: AsyncSession, summaries: Sequence[ChatSummary], *, since: int = 0, limit: int = LINES_SHOWN
) -> dict[int, list[Line]]:
    """Chat id → its lines after `since` (at most the last `limit`), in one query."""
    found: dict[int, list[Line]] = {summary.chat.id: [] for summary in summaries}
    if not summaries:
        return found
    by_group = {summary.chat.group_id: summary for summary in summaries}
    condition = or_(
        *(
            and_(
                Message.group_id == summary.chat.group_id,
                Message.position > max(since, summary.chat.last_seq - limit),
            )
            for summary in summaries
        )
    )
    for message, agent_public_id, agent_name, attachment in (
        await session.execute(queries.lines_query(condition))
    ).all():
        summary = by_group[message.group_id]
        found[summary.chat.id].append(
            queries.line_of(
                message,
                agent_public_id,
                agent_name,
                attachment,
                summary.contact_name,
                summary.chat.started_at,
            )
        )
    return found


async def lines_of_chat_groups(
    session: AsyncSession, group_public_ids: Sequence[str]
) -> dict[str, list[Line]]:
    """Chat group (public id) → its lines, for a ticket's thread (the caller checked the ticket). Visitor
    lines carry no name here: the thread shows the group's contact. One query."""
    found: dict[str, list[Line]] = {group_id: [] for group_id in group_public_ids}
    if not group_public_ids:
        return found
    rows = await session.execute(
        queries.lines_query(
            and_(MessageGroup.public_id.in_(group_public_ids), MessageGroup.kind == GroupKind.CHAT.value)
        )
        .add_columns(MessageGroup.public_id)
        .join(MessageGroup, MessageGroup.id == Message.group_id)
    )
    for message, agent_public_id, agent_name, attachment, group_id in rows.all():
        started = message.sent_at or datetime.min.replace(tzinfo=UTC)
        found[group_id].append(queries.line_of(message, agent_public_id, agent_name, attachment, "", started))
    return found


@dataclass(frozen=True)
class ChatNote:
    """An internal note on the chat's ticket, written while the chat ran (agents only)."""

    group_id: str
    at: datetime
    author: str
    text: str


async def notes_of_chats(session: AsyncSession, chats: Sequence[Chat]) -> dict[int, list[ChatNote]]:
    """Chat id → internal notes on its ticket since the chat started, oldest first (one query)."""
    found: dict[int, list[ChatNote]] = {chat.id: [] for chat in chats}
    if not chats:
        return found
    by_ticket = {chat.ticket_id: chat for chat in chats}
    rows = await session.execute(
        select(
            MessageGroup.public_id, MessageGroup.ticket_id, MessageGroup.created_at, Agent.name, Message.body
        )
        .join(Message, Message.group_id == MessageGroup.id)
        .outerjoin(Agent, Agent.id == MessageGroup.author_agent_id)
        .where(
            MessageGroup.ticket_id.in_(by_ticket),
            MessageGroup.kind == GroupKind.INTERNAL_NOTE.value,
            Message.kind == MessageKind.TEXT.value,
        )
        .order_by(MessageGroup.created_at, MessageGroup.id, Message.position)
    )
    for group_public_id, ticket_id, created_at, author, body in rows.all():
        chat = by_ticket[ticket_id]
        if created_at >= chat.started_at:
            found[chat.id].append(ChatNote(group_public_id, created_at, author or "", body))
    return found


async def note_of_group(session: AsyncSession, group_id: int) -> ChatNote | None:
    """A note just written (the agent app shows it in the chat at once)."""
    notes = await session.execute(
        select(MessageGroup.public_id, MessageGroup.created_at, Agent.name, Message.body)
        .join(Message, Message.group_id == MessageGroup.id)
        .outerjoin(Agent, Agent.id == MessageGroup.author_agent_id)
        .where(MessageGroup.id == group_id, Message.kind == MessageKind.TEXT.value)
        .limit(1)
    )
    row = notes.first()
    return ChatNote(row[0], row[1], row[2] or "", row[3]) if row is not None else None


# ---- the agent's chats and colleagues --------------------------------------------------------------


async def my_running_chats(session: AsyncSession, actor: Actor) -> list[Chat]:
    """Active chats the agent is in now (owner or invited), oldest accepted first."""
    if actor.agent_id is None:
        return []
    return await queries.running_chats_of_agent(session, actor.agent_id)


@dataclass(frozen=True)
class Colleague:
    department_id: int
    agent_id: int
    public_id: str
    name: str
    works_tickets: bool  # may be invited into the department's chats
    available_for_chats: bool  # may be handed a chat of the department now


async def chat_colleagues(
    session: AsyncSession, department_ids: Sequence[int], now: datetime
) -> list[Colleague]:
    """Solvers or more of these departments, by name, with whether each may be invited into a chat
    there (actions.invite_to_chat) and handed one now (queries.available_agents_query). One query."""
    if not department_ids:
        return []
    rows = await session.execute(
        select(
            DepartmentMember.department_id,
            Agent.id,
            Agent.public_id,
            Agent.name,
            DepartmentMember.tickets,
            DepartmentMember.chats,
            DepartmentMember.paused,
            Agent.availability,
            ChatAgentState.connected_until,
        )
        .join(Agent, Agent.id == DepartmentMember.agent_id)
        .outerjoin(ChatAgentState, ChatAgentState.agent_id == Agent.id)
        .where(
            DepartmentMember.department_id.in_(set(department_ids)),
            DepartmentMember.role.in_(queries.SOLVER_ROLES),
            Agent.is_active.is_(True),
        )
        .order_by(Agent.name, Agent.id)
    )
    return [
        Colleague(
            department_id=int(department_id),
            agent_id=int(agent_id),
            public_id=public_id,
            name=name,
            works_tickets=bool(tickets),
            available_for_chats=bool(chats)
            and not paused
            and availability == "online"
            and connected_until is not None
            and connected_until > now,
        )
        for department_id, agent_id, public_id, name, tickets, chats, paused, availability, connected_until in rows
    ]


async def all_departments(session: AsyncSession) -> list[tuple[int, str, str]]:
    """(id, public id, name) of every department, by name: where a chat may be sent."""
    rows = await session.execute(
        select(Department.id, Department.public_id, Department.name).order_by(Department.name, Department.id)
    )
    return [(int(department_id), public_id, name) for department_id, public_id, name in rows.all()]


async def chat_departments_of(session: AsyncSession, actor: Actor) -> list[str]:
    """Names of the departments whose chats ring this agent (solver or more, chats on, not paused)."""
    if actor.agent_id is None:
        return []
    rows = await session.execute(
        select(Department.name)
        .join(DepartmentMember, DepartmentMember.department_id == Department.id)
        .where(
            DepartmentMember.agent_id == actor.agent_id,
            DepartmentMember.chats.is_(True),
            DepartmentMember.paused.is_(False),
            DepartmentMember.role.in_(queries.SOLVER_ROLES),
        )
        .order_by(Department.name)
    )
    return list(rows.scalars())


# ---- visitors on the sites -------------------------------------------------------------------------


@dataclass(frozen=True)
class OnlineVisitor:
    visitor: Visitor
    button_public_id: str
    button_name: str
    department_id: int
    department_public_id: str
    contact_name: str | None
    chatting: bool


async def online_visitors(
    session: AsyncSession, actor: Actor, now: datetime, *, limit: int = ONLINE_VISITORS_MAX
) -> list[OnlineVisitor]:
    """Visitors on the sites of buttons whose department the agent may see (queries.online_visitors),
    with their button's department and whether they are chatting now. One query."""
    limit = max(1, min(limit, ONLINE_VISITORS_MAX))
    chatting = select(Chat.id).where(Chat.visitor_id == Visitor.id, Chat.state.in_(queries.RUNNING)).exists()
    query = (
        select(
            Visitor,
            ChatButton.public_id,
            ChatButton.name,
            ChatButton.department_id,
            Department.public_id,
            Contact.name,
            chatting,
        )
        .join(ChatButton, ChatButton.id == Visitor.button_id)
        .join(Department, Department.id == ChatButton.department_id)
        .outerjoin(Contact, Contact.id == Visitor.contact_id)
        .where(Visitor.last_seen_at >= now - queries.VISITOR_ONLINE)
        .order_by(Visitor.last_seen_at.desc(), Visitor.id.desc())
        .limit(limit)
    )
    if not actor.is_admin:
        query = query.where(
            ChatButton.department_id.in_(actor.departments_at_least(DepartmentRole.READER) or [0])
        )
    return [
        OnlineVisitor(
            visitor, button_public_id, button_name, int(department_id), department_public_id, name, bool(busy)
        )
        for visitor, button_public_id, button_name, department_id, department_public_id, name, busy in (
            await session.execute(query)
        ).all()
    ]
