"""Chat routing over real sockets with a frozen clock: who is rung, when the ring moves on, the limits,
breathing time, the previous agent, queue positions and missed chats. Visitors and agents are real
WebSocket clients of the served app; the worker's routing turn runs when the test moves the clock."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import select

from linka.core.clock import FrozenClock
from linka.core.permissions import SYSTEM, DepartmentRole
from linka.domains.accounts import actions as accounts
from linka.domains.tickets.models import Ticket
from linka.entrypoints.runtime import Runtime
from tests.entrypoints.realtime.conftest import AgentSocket, agent_socket
from tests.entrypoints.widget.chat_helpers import (
    VisitorSocket,
    chat_row,
    configure_button,
    set_online,
    visitor_socket,
)
from tests.entrypoints.widget.chat_helpers import route_now as route_now
from tests.personas import Person, Personas
from tests.served_app import Served
from tests.served_app import served as served


async def advance(served: Served, runtime: Runtime, clock: FrozenClock, seconds: float) -> None:
    """Time passes: the agents' apps keep beating (they are still connected), the worker routes."""
    clock.advance(seconds=seconds)
    await served.app.state.chat_heartbeat.beat_once()
    await route_now(runtime)


@contextlib.asynccontextmanager
async def agents(served: Served, *people: Person) -> AsyncIterator[list[AgentSocket]]:
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(agent_socket(served, person)) for person in people]


@contextlib.asynccontextmanager
async def visitors(served: Served, button: str, count: int) -> AsyncIterator[list[VisitorSocket]]:
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(visitor_socket(served, button)) for _ in range(count)]


async def accept(agent: AgentSocket, chat: str) -> None:
    await agent.next_of("chat_ring", chat=chat)
    await agent.send({"type": "chat_accept", "chat": chat})
    await agent.next_of("chat_ring_end", chat=chat, reason="accepted")


async def test_average_utilisation_rings_the_least_busy_and_moves_on_when_the_ring_runs_out(
    served: Served, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    sara, viktor = personas.support_agent, personas.support_supervisor
    await configure_button(runtime, personas, routing_method="average", ring_seconds=30)
    await set_online(runtime, sara, viktor)
    async with (
        agents(served, sara, viktor) as (sara_app, viktor_app),
        visitors(served, personas.support_chat_button.public_id, 2) as (first, second),
    ):
        one = await first.start("First")
        await accept(sara_app, one["id"])  # both idle: the first in a stable order is rung

        two = await second.start("Second")
        ring = await viktor_app.next_of("chat_ring", chat=two["id"])  # Sára runs a chat, Viktor none
        await sara_app.nothing_of("chat_ring")

        await advance(served, runtime, frozen_clock, 29)
        await viktor_app.nothing_of("chat_ring_end")
        await advance(served, runtime, frozen_clock, 2)  # 31 s: the ring ran out
        assert (await viktor_app.next_of("chat_ring_end", chat=two["id"]))["reason"] == "expired"
        await sara_app.next_of("chat_ring", chat=two["id"])
        assert ring["expires_at"] < frozen_clock.now().isoformat()


async def test_ring_to_all_rings_everyone_and_the_first_to_accept_takes_it(
    served: Served, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    sara, viktor = personas.support_agent, personas.support_supervisor
    await configure_button(runtime, personas, routing_method="ring_all")
    await set_online(runtime, sara, viktor)
    async with (
        agents(served, sara, viktor) as (sara_app, viktor_app),
        visitor_socket(served, personas.support_chat_button.public_id) as visitor,
    ):
        chat = await visitor.start()
        await sara_app.next_of("chat_ring", chat=chat["id"])
        await viktor_app.next_of("chat_ring", chat=chat["id"])
        await viktor_app.send({"type": "chat_accept", "chat": chat["id"]})
        assert (await sara_app.next_of("chat_ring_end", chat=chat["id"]))["reason"] == "taken"
        await sara_app.send({"type": "chat_accept", "chat": chat["id"]})  # too late
        assert (await sara_app.next_of("chat_error", chat=chat["id"]))["code"] == "taken"
        assert (await visitor.next_state("active"))["agent"] == {"name": viktor.name}
    assert (await chat_row(runtime, chat["id"])).agent_id == viktor.id


async def test_max_utilisation_fills_one_agent_before_the_next(
    served: Served, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    sara, viktor = personas.support_agent, personas.support_supervisor
    await configure_button(runtime, personas, routing_method="max", max_chats_per_agent=2)
    await set_online(runtime, sara, viktor)
    async with (
        agents(served, sara, viktor) as (sara_app, viktor_app),
        visitors(served, personas.support_chat_button.public_id, 3) as people,
    ):
        chats = [await people[0].start("One")]
        await accept(sara_app, chats[0]["id"])
        chats.append(await people[1].start("Two"))
        await accept(sara_app, chats[1]["id"])  # Sára still has a free slot: she gets it
        chats.append(await people[2].start("Three"))
        await viktor_app.next_of("chat_ring", chat=chats[2]["id"])  # Sára is full now
        await sara_app.nothing_of("chat_ring")


async def test_priorities_ring_the_highest_first_and_a_decline_moves_on_at_once(
    served: Served, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    sara, viktor = personas.support_agent, personas.support_supervisor
    await configure_button(
        runtime, personas, routing_method="priority", agent_priorities={sara.id: 1, viktor.id: 10}
    )
    await set_online(runtime, sara, viktor)
    async with (
        agents(served, sara, viktor) as (sara_app, viktor_app),
        visitor_socket(served, personas.support_chat_button.public_id) as visitor,
    ):
        chat = await visitor.start()
        await viktor_app.next_of("chat_ring", chat=chat["id"])
        await sara_app.nothing_of("chat_ring")
        await viktor_app.send({"type": "chat_decline", "chat": chat["id"]})
        assert (await viktor_app.next_of("chat_ring_end", chat=chat["id"]))["reason"] == "declined"
        await sara_app.next_of("chat_ring", chat=chat["id"])  # no waiting for the ring time


async def test_random_rings_only_agents_available_for_chats_in_the_department(
    served: Served, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    sara, viktor, sandor = personas.support_agent, personas.support_supervisor, personas.sales_agent
    await configure_button(runtime, personas, routing_method="random")
    # Sándor is online but works Sales; the admin is online but no member; Viktor is a member with
    # chats switched off there. Only Sára may be rung.
    await set_online(runtime, sara, viktor, sandor, personas.admin)
    async with runtime.uow(SYSTEM) as uow:
        await accounts.set_membership(
            uow,
            department_id=personas.departments["support"],
            agent_id=viktor.id,
            role=DepartmentRole.SUPERVISOR,
            chats=False,
        )
    async with (
        agents(served, sara, viktor, sandor, personas.admin) as apps,
        visitors(served, personas.support_chat_button.public_id, 2) as (first, second),
    ):
        one = await first.start("One")
        two = await second.start("Two")
        await apps[0].next_of("chat_ring", chat=one["id"])
        for others in apps[1:]:
            await others.nothing_of("chat_ring")
        # Sára is ringing for the first chat: one ring at a time; the second waits, second in line.
        assert two["position"] == 2
        await apps[0].send({"type": "chat_accept", "chat": one["id"]})
        await apps[0].next_of("chat_ring", chat=two["id"])


async def test_max_chats_and_breathing_time_hold_the_next_chat_back(
    served: Served, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    sara = personas.support_agent
    await configure_button(runtime, personas, max_chats_per_agent=1, breathing_seconds=60)
    await set_online(runtime, sara)
    async with (
        agents(served, sara) as (sara_app,),
        visitors(served, personas.support_chat_button.public_id, 2) as (first, second),
    ):
        one = await first.start("One")
        await accept(sara_app, one["id"])
        two = await second.start("Two")
        assert two["position"] == 1
        await sara_app.nothing_of("chat_ring")  # her one slot is taken

        await sara_app.send({"type": "chat_seen", "chat": one["id"], "seq": 1})
        await first.send({"type": "end"})
        await first.next_state("ended")
        await advance(served, runtime, frozen_clock, 30)
        await sara_app.nothing_of("chat_ring")  # breathing
        await advance(served, runtime, frozen_clock, 31)
        await sara_app.next_of("chat_ring", chat=two["id"])


async def test_queue_positions_move_up_and_a_chat_nobody_takes_is_missed_as_a_new_ticket(
    served: Served, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    await configure_button(runtime, personas, missed_after_seconds=120)
    async with visitors(served, personas.support_chat_button.public_id, 3) as people:
        assert people[0].welcome["online"] is False  # nobody is available
        chats = [await person.start(f"Chat {n}") for n, person in enumerate(people)]
        assert [chat["position"] for chat in chats] == [1, 2, 3]

        await people[0].send({"type": "end"})  # the first gives up waiting
        assert (await people[0].next_state("missed"))["position"] is None
        await people[1].next_of("queue", position=1)
        await people[2].next_of("queue", position=2)

        await advance(served, runtime, frozen_clock, 121)
        await people[1].next_state("missed")
        missed = await people[2].next_line(event="missed")
        assert missed["author"] == "system"

    async with runtime.db.read_session() as session:
        ticket_ids = [(await chat_row(runtime, chat["id"])).ticket_id for chat in chats]
        statuses = (
            (await session.execute(select(Ticket.status).where(Ticket.id.in_(ticket_ids)))).scalars().all()
        )
    assert sorted(statuses) == ["new", "new", "new"]


async def test_the_agent_who_served_the_visitor_before_is_rung_first(
    served: Served, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    sara, viktor = personas.support_agent, personas.support_supervisor
    await configure_button(runtime, personas, routing_method="average", prefer_previous_agent=True)
    await set_online(runtime, viktor)
    button = personas.support_chat_button.public_id
    async with agents(served, sara, viktor) as (sara_app, viktor_app):
        async with visitor_socket(served, button) as visitor:
            first = await visitor.start("Before", email="returning@example.test")
            await accept(viktor_app, first["id"])
            await visitor.send({"type": "end"})
            await visitor.next_state("ended")
            token = visitor.welcome["token"]
        await set_online(runtime, sara)
        async with visitor_socket(served, button, token=token) as again:
            second = await again.start("Again", email="returning@example.test")
            # Both idle, Sára first in a stable order, but Viktor served this contact before.
            await viktor_app.next_of("chat_ring", chat=second["id"])
            await sara_app.nothing_of("chat_ring")


async def test_handing_a_chat_to_a_colleague_and_sending_it_to_another_department(
    served: Served, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    from linka.domains.chat import actions

    sara, viktor = personas.support_agent, personas.support_supervisor
    await set_online(runtime, sara, viktor)
    async with (
        agents(served, sara, viktor) as (sara_app, viktor_app),
        visitor_socket(served, personas.support_chat_button.public_id) as visitor,
    ):
        chat = await visitor.start()
        await accept(sara_app, chat["id"])
        async with runtime.uow(await _actor(runtime, sara)) as uow:
            await actions.transfer_chat(uow, chat_public_id=chat["id"], agent_id=viktor.id)
        state = await viktor_app.next_of("chat_state")
        assert state["chat"]["agent"] == {"name": viktor.name}
        await visitor.next_line(event="joined", values={"agent": viktor.name})
        await viktor_app.send({"type": "chat_send", "chat": chat["id"], "key": "v1", "text": "Viktor here"})
        await viktor_app.next_of("chat_ack", key="v1")
        await sara_app.send({"type": "chat_send", "chat": chat["id"], "key": "s1", "text": "Still me?"})
        assert (await sara_app.next_of("chat_error", key="s1"))["code"] == "not_yours"

        async with runtime.uow(await _actor(runtime, viktor)) as uow:
            await actions.transfer_chat(
                uow, chat_public_id=chat["id"], department_id=personas.departments["sales"]
            )
        moved = await visitor.next_state("queued")
        assert moved["agent"] is None
    row = await chat_row(runtime, chat["id"])
    assert (row.department_id, row.state) == (personas.departments["sales"], "queued")
    async with runtime.db.read_session() as session:
        ticket = await session.get(Ticket, row.ticket_id)
        assert ticket is not None
        assert (ticket.department_id, ticket.assignee_id) == (personas.departments["sales"], None)
        assert ticket.transfer_count == 2


async def _actor(runtime: Runtime, person: Person):  # type: ignore[no-untyped-def]
    from linka.core.permissions import Origin
    from linka.domains.accounts import queries as accounts_queries

    async with runtime.db.read_session() as session:
        agent = await accounts_queries.active_agent(session, person.id)
        return await accounts_queries.build_actor(session, agent, origin=Origin.WEB)


async def test_a_chat_the_visitor_leaves_silent_ends_after_the_inactivity_time(
    served: Served, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    sara = personas.support_agent
    await configure_button(runtime, personas, inactivity_minutes=2, end_status="resolved")
    await set_online(runtime, sara)
    async with (
        agents(served, sara) as (sara_app,),
        visitor_socket(served, personas.support_chat_button.public_id) as visitor,
    ):
        chat = await visitor.start()
        await accept(sara_app, chat["id"])
        await advance(served, runtime, frozen_clock, 60)
        await visitor.say("Still here")  # a line from the visitor restarts the count
        await advance(served, runtime, frozen_clock, 100)
        assert (await chat_row(runtime, chat["id"])).state == "active"  # 100 s since the last line
        await advance(served, runtime, frozen_clock, 21)
        ended = await visitor.next_line(event="ended")
        assert ended["values"] == {"by": "inactivity"}
        await visitor.next_state("ended")
    row = await chat_row(runtime, chat["id"])
    assert (row.state, row.ended_by) == ("ended", "inactivity")
    async with runtime.db.read_session() as session:
        ticket = await session.get(Ticket, row.ticket_id)
        assert ticket is not None
        assert ticket.status == "resolved"
