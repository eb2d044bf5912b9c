"""Who gets a chat. Waiting chats of a department are routed in queue order: each is offered (rung) to
the agent the button's method picks among those available, or to all of them (ring to all); an offer
runs out after the ring time and the chat moves on; a chat nobody takes in time is missed and its
ticket goes to `new`.

Available: solver or more in the department, taking chats there and not paused, online, the agent app
connected (a heartbeat, chat_agent_states), fewer running chats than the button allows, the breathing
time since their last chat passed, and not ringing for another chat. Every agent is offered a chat once
per round; when all have been tried, a new round starts.

Everything that changes who holds or waits for a chat of a department first takes that department's
routing lock (a PostgreSQL advisory lock for the transaction), so two processes never offer one chat
twice nor hand one agent two rings; SQLite has one writer at a time anyway.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, cast, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.errors import Forbidden
from linka.core.uow import UnitOfWork
from linka.domains.accounts.models import DepartmentMember
from linka.domains.chat import queries
from linka.domains.chat.constants import ChatState, OfferOutcome, RoutingMethod
from linka.domains.chat.errors import NotOffered
from linka.domains.chat.lines import append_system_line, locked_chat, signal, signal_state
from linka.domains.chat.models import Chat, ChatAgentState, ChatButton, ChatOffer, ChatParticipant
from linka.domains.tickets import chat_thread
from linka.domains.tickets.statuses import Status

ROUTING_LOCK = 7301  # first key of the department's advisory lock (the second is the department id)
# A waiting chat nobody can take is looked at again this often (capacity may have freed up).
REQUEUE_CHECK = timedelta(seconds=5)
_random = random.Random()


@dataclass(frozen=True)
class Candidate:
    agent_id: int
    running: int
    last_ended: datetime | None


async def lock_department(uow: UnitOfWork, department_id: int) -> None:
    if uow.dialect == "postgresql":
        await uow.session.execute(
            select(func.pg_advisory_xact_lock(literal(ROUTING_LOCK), cast(literal(department_id), Integer)))
        )


def _deadline(chat: Chat, button: ChatButton) -> datetime:
    return chat.queued_at + timedelta(seconds=button.missed_after_seconds)


async def _ringing_agents(uow: UnitOfWork) -> set[int]:
    rows = await uow.session.execute(
        select(ChatOffer.agent_id).where(
            ChatOffer.outcome == OfferOutcome.PENDING.value, ChatOffer.expires_at > uow.now
        )
    )
    return {int(agent_id) for agent_id in rows.scalars()}


async def _offers_of(uow: UnitOfWork, chat: Chat) -> list[ChatOffer]:
    rows = await uow.session.execute(select(ChatOffer).where(ChatOffer.chat_id == chat.id))
    return list(rows.scalars())


async def _available(uow: UnitOfWork, chat: Chat, button: ChatButton, ringing: set[int]) -> list[Candidate]:
    rows = await uow.session.execute(queries.available_agents_query(chat.department_id, uow.now))
    in_chat = set(await queries.participant_ids(uow.session, chat.id))
    breathing = timedelta(seconds=button.breathing_seconds)
    return [
        Candidate(int(agent_id), int(running), last_ended)
        for agent_id, running, last_ended in rows.all()
        if running < button.max_chats_per_agent
        and (last_ended is None or last_ended + breathing <= uow.now)
        and agent_id not in ringing
        and agent_id not in in_chat
    ]


def choose(
    method: RoutingMethod, candidates: Sequence[Candidate], priorities: dict[str, int]
) -> list[Candidate]:
    """The agents to ring, best first (ring to all: all of them)."""
    if not candidates:
        return []
    if method is RoutingMethod.RING_ALL:
        return list(candidates)
    if method is RoutingMethod.RANDOM:
        return [_random.choice(list(candidates))]
    if method is RoutingMethod.MAX:
        return [min(candidates, key=lambda c: (-c.running, c.agent_id))]
    if method is RoutingMethod.PRIORITY:
        return [min(candidates, key=lambda c: (-priorities.get(str(c.agent_id), 0), *_naive_least_busy(c)))]
    return [min(candidates, key=_naive_least_busy)]


def _naive_least_busy(candidate: Candidate) -> tuple[int, float, int]:
    ended = candidate.last_ended.timestamp() if candidate.last_ended is not None else float("-inf")
    return (candidate.running, ended, candidate.agent_id)


async def _previous_agent(uow: UnitOfWork, chat: Chat) -> int | None:
    """Who last took a chat of this contact."""
    found = await uow.session.execute(
        select(Chat.agent_id)
        .where(Chat.contact_id == chat.contact_id, Chat.id != chat.id, Chat.agent_id.is_not(None))
        .order_by(Chat.started_at.desc(), Chat.id.desc())
        .limit(1)
    )
    return found.scalar_one_or_none()


async def ring_frame(
    session: AsyncSession, chat: Chat, *, expires_at: datetime, ring_all: bool
) -> dict[str, Any]:
    """What an agent's app shows of a chat rung to them (also re-shown when their app reconnects)."""
    first = await queries.lines(session, chat, limit=20)
    text = next((line.text for line in first if line.author == "visitor" and line.kind == "text"), "")
    return {
        "type": "chat_ring",
        "chat": chat.public_id,
        "ticket": await queries.ticket_code(session, chat.ticket_id),
        "department": await queries.department_name(session, chat.department_id),
        "visitor": await queries.contact_name(session, chat.contact_id),
        "text": text[:300],
        "expires_at": expires_at.isoformat(),
        "ring_all": ring_all,
    }


async def _ring(uow: UnitOfWork, chat: Chat, button: ChatButton, agent_ids: Sequence[int]) -> datetime:
    expires = uow.now + timedelta(seconds=button.ring_seconds)
    uow.session.add_all(
        ChatOffer(
            chat_id=chat.id,
            agent_id=agent_id,
            round=chat.routing_round,
            offered_at=uow.now,
            expires_at=expires,
        )
        for agent_id in agent_ids
    )
    frame = await ring_frame(
        uow.session, chat, expires_at=expires, ring_all=button.routing_method == RoutingMethod.RING_ALL
    )
    signal(uow, chat, agents=agent_ids, agent_frame=frame)
    return expires


def _end_rings(
    uow: UnitOfWork, chat: Chat, offers: Sequence[ChatOffer], outcome: OfferOutcome, reason: str
) -> None:
    for offer in offers:
        offer.outcome, offer.answered_at = outcome.value, uow.now
    if offers:
        signal(
            uow,
            chat,
            agents=[offer.agent_id for offer in offers],
            agent_frame={"type": "chat_ring_end", "chat": chat.public_id, "reason": reason},
        )


async def _route_one(uow: UnitOfWork, chat: Chat, button: ChatButton, ringing: set[int]) -> None:
    offers = await _offers_of(uow, chat)
    pending = [offer for offer in offers if offer.outcome == OfferOutcome.PENDING.value]
    _end_rings(
        uow,
        chat,
        [offer for offer in pending if offer.expires_at <= uow.now],
        OfferOutcome.EXPIRED,
        "expired",
    )
    pending = [offer for offer in pending if offer.expires_at > uow.now]
    deadline = _deadline(chat, button)
    if deadline <= uow.now:
        await miss_chat(uow, chat, offers=pending)
        return
    if pending:
        chat.next_routing_at = min(deadline, *(offer.expires_at for offer in pending))
        return
    tried = {offer.agent_id for offer in offers if offer.round == chat.routing_round}
    available = await _available(uow, chat, button, ringing)
    untried = [candidate for candidate in available if candidate.agent_id not in tried]
    if available and not untried:
        chat.routing_round += 1  # everyone had their turn: ring them again
        untried = available
    chosen: list[Candidate] = []
    if button.prefer_previous_agent and untried:
        previous = await _previous_agent(uow, chat)
        chosen = [candidate for candidate in untried if candidate.agent_id == previous]
    if not chosen:
        chosen = choose(RoutingMethod(button.routing_method), untried, button.agent_priorities or {})
    if chosen:
        agent_ids = [candidate.agent_id for candidate in chosen]
        ringing.update(agent_ids)
        chat.next_routing_at = min(deadline, await _ring(uow, chat, button, agent_ids))
    else:
        chat.next_routing_at = min(deadline, uow.now + REQUEUE_CHECK)


async def route_department_queue(uow: UnitOfWork, department_id: int, *, locked: bool = False) -> None:
    """Route every waiting chat of the department, oldest first, and tell each visitor their place."""
    if not locked:
        await lock_department(uow, department_id)
    waiting = list(
        (
            await uow.session.execute(
                select(Chat)
                .where(Chat.department_id == department_id, Chat.state == ChatState.QUEUED.value)
                .order_by(Chat.queued_at, Chat.id)
                .execution_options(populate_existing=True)
            )
        ).scalars()
    )
    if not waiting:
        return
    buttons = {
        button.id: button
        for button in (
            await uow.session.execute(
                select(ChatButton).where(ChatButton.id.in_({chat.button_id for chat in waiting}))
            )
        ).scalars()
    }
    ringing = await _ringing_agents(uow)
    for chat in waiting:
        await _route_one(uow, chat, buttons[chat.button_id], ringing)
    for position, chat in enumerate(
        (chat for chat in waiting if chat.state == ChatState.QUEUED.value), start=1
    ):
        signal(uow, chat, visitor_frame={"type": "queue", "position": position})


async def route_due_chats(uow: UnitOfWork, *, limit: int = 50) -> int:
    """The worker's turn: departments with a waiting chat due for a look (an offer ran out, the chat
    is about to be missed, capacity may have freed), and running chats silent for too long."""
    due = await uow.session.execute(
        select(Chat.department_id)
        .where(Chat.state == ChatState.QUEUED.value, Chat.next_routing_at <= uow.now)
        .group_by(Chat.department_id)
        .limit(limit)
    )
    departments = [int(department_id) for department_id in due.scalars()]
    for department_id in departments:
        await route_department_queue(uow, department_id)
    return len(departments) + await end_inactive_chats(uow, limit=limit)


async def end_inactive_chats(uow: UnitOfWork, *, limit: int = 50) -> int:
    from linka.domains.chat.actions import end_chat  # the ending is the actions' (it routes the queue)

    rows = await uow.session.execute(
        select(Chat.public_id, Chat.last_visitor_activity_at, ChatButton.inactivity_minutes)
        .join(ChatButton, ChatButton.id == Chat.button_id)
        .where(Chat.state == ChatState.ACTIVE.value)
        .order_by(Chat.last_visitor_activity_at)
        .limit(limit * 4)
    )
    silent = [
        public_id for public_id, last, minutes in rows.all() if last + timedelta(minutes=minutes) <= uow.now
    ][:limit]
    for public_id in silent:
        await end_chat(uow, chat_public_id=public_id, by="inactivity")
    return len(silent)


# ---- an agent answers a ring ----------------------------------------------------------------------


async def _my_offer(uow: UnitOfWork, chat: Chat) -> ChatOffer | None:
    found = await uow.session.execute(
        select(ChatOffer).where(
            ChatOffer.chat_id == chat.id,
            ChatOffer.agent_id == uow.actor.agent_id,
            ChatOffer.outcome == OfferOutcome.PENDING.value,
        )
    )
    return found.scalar_one_or_none()


async def accept_chat(uow: UnitOfWork, *, chat_public_id: str) -> Chat:
    """The agent takes a chat rung to them: it is theirs, the ticket is assigned to them, other rings
    stop. Too late (someone else took it, the ring ran out) is a Conflict."""
    if uow.actor.agent_id is None:
        raise Forbidden("only an agent takes chats")
    chat = await queries.chat_by_public_id(uow.session, chat_public_id)
    await lock_department(uow, chat.department_id)
    chat = await locked_chat(uow, chat.id)
    offer = await _my_offer(uow, chat)
    if chat.state != ChatState.QUEUED.value:
        if offer is not None:
            _end_rings(uow, chat, [offer], OfferOutcome.WITHDRAWN, "taken")
        raise NotOffered("chat", "this chat was taken by someone else")
    if offer is None or offer.expires_at <= uow.now:
        raise NotOffered("chat", "this chat is no longer offered to you")
    offer.outcome, offer.answered_at = OfferOutcome.ACCEPTED.value, uow.now
    others = [
        o for o in await _offers_of(uow, chat) if o.outcome == OfferOutcome.PENDING.value and o.id != offer.id
    ]
    _end_rings(uow, chat, others, OfferOutcome.WITHDRAWN, "taken")
    signal(
        uow,
        chat,
        agents=[offer.agent_id],
        agent_frame={"type": "chat_ring_end", "chat": chat.public_id, "reason": "accepted"},
    )
    await take_over(uow, chat, agent_id=uow.actor.agent_id)
    await route_department_queue(uow, chat.department_id, locked=True)
    return chat


async def take_over(uow: UnitOfWork, chat: Chat, *, agent_id: int) -> None:
    """Make the agent the chat's owner (accepted, or handed over): participant, ticket assignee, line."""
    previous = chat.agent_id
    chat.state, chat.agent_id, chat.next_routing_at = ChatState.ACTIVE.value, agent_id, None
    chat.accepted_at = chat.accepted_at or uow.now
    if previous is not None and previous != agent_id:
        await uow.session.execute(
            update(ChatParticipant)
            .where(
                ChatParticipant.chat_id == chat.id,
                ChatParticipant.agent_id == previous,
                ChatParticipant.left_at.is_(None),
            )
            .values(left_at=uow.now)
        )
        await mark_chat_ended_for(uow, [previous])
    present = await queries.participant_ids(uow.session, chat.id)
    if agent_id not in present:
        uow.session.add(ChatParticipant(chat_id=chat.id, agent_id=agent_id, role="owner", joined_at=uow.now))
        present.append(agent_id)
    ticket = await chat_thread.chat_ticket(uow, chat.ticket_id, lock=True)
    await chat_thread.route_chat_ticket(uow, ticket, department_id=chat.department_id, assignee_id=agent_id)
    name = (await queries.agent_names(uow.session, [agent_id])).get(agent_id, ("", "?"))[1]
    await append_system_line(
        uow, chat, text=f"{name} joined the chat", event="joined", agent=name, participants=present
    )
    await signal_state(uow, chat, extra_agents=[previous] if previous else [])


async def decline_chat(uow: UnitOfWork, *, chat_public_id: str) -> None:
    """The agent declines a ring: it moves on to the next agent at once."""
    chat = await queries.chat_by_public_id(uow.session, chat_public_id)
    await lock_department(uow, chat.department_id)
    chat = await locked_chat(uow, chat.id)
    offer = await _my_offer(uow, chat)
    if offer is None:
        raise NotOffered("chat", "this chat is no longer offered to you")
    _end_rings(uow, chat, [offer], OfferOutcome.DECLINED, "declined")
    await route_department_queue(uow, chat.department_id, locked=True)


async def miss_chat(uow: UnitOfWork, chat: Chat, *, offers: Sequence[ChatOffer] = ()) -> None:
    """Nobody took the chat in time (or the visitor left the queue): the ticket waits as `new`."""
    _end_rings(uow, chat, offers, OfferOutcome.WITHDRAWN, "withdrawn")
    chat.state, chat.ended_at, chat.next_routing_at = ChatState.MISSED.value, uow.now, None
    chat.ended_by = chat.ended_by or "missed"
    ticket = await chat_thread.chat_ticket(uow, chat.ticket_id, lock=True)
    chat_thread.set_chat_ticket_status(uow, ticket, Status.NEW)
    await append_system_line(uow, chat, text="Nobody took the chat", event="missed", participants=[])
    chat_thread.chat_finished(uow, ticket_id=chat.ticket_id, group_id=chat.group_id)
    await signal_state(uow, chat)


async def mark_chat_ended_for(uow: UnitOfWork, agent_ids: Sequence[int]) -> None:
    """Breathing time starts for these agents now."""
    for agent_id in agent_ids:
        state = await uow.session.get(ChatAgentState, agent_id)
        if state is None:
            uow.session.add(ChatAgentState(agent_id=agent_id, last_chat_ended_at=uow.now))
        else:
            state.last_chat_ended_at = uow.now


# ---- agents' connection heartbeat ---------------------------------------------------------------


async def keep_agents_connected(uow: UnitOfWork, agent_ids: Sequence[int], *, until: datetime) -> list[int]:
    """The agent app's sockets are open: these agents can be rung until `until`. Returns the agents
    who were not connected before (their departments' queues are worth routing now)."""
    if not agent_ids:
        return []
    found = {
        state.agent_id: state
        for state in (
            await uow.session.execute(select(ChatAgentState).where(ChatAgentState.agent_id.in_(agent_ids)))
        ).scalars()
    }
    fresh: list[int] = []
    for agent_id in agent_ids:
        state = found.get(agent_id)
        if state is None:
            uow.session.add(ChatAgentState(agent_id=agent_id, connected_until=until))
            fresh.append(agent_id)
            continue
        if state.connected_until is None or state.connected_until <= uow.now:
            fresh.append(agent_id)
        state.connected_until = until
    return fresh


async def route_queues_of_agents(uow: UnitOfWork, agent_ids: Sequence[int]) -> None:
    """Agents became available: route the queues of the departments they take chats in."""
    rows = await uow.session.execute(
        select(DepartmentMember.department_id)
        .where(DepartmentMember.agent_id.in_(agent_ids), DepartmentMember.chats.is_(True))
        .distinct()
    )
    for department_id in sorted(int(d) for d in rows.scalars()):
        await route_department_queue(uow, department_id)
