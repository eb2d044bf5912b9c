"""The agent app's live connection with real WebSocket clients against a real server: ticket changes
reach exactly the agents allowed to see the ticket, assignments notify the assignee, presence shows who
views or writes on a ticket, and strangers are turned away."""

from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from linka.core.permissions import Origin, system_actor
from linka.domains.accounts import agent_actions
from linka.domains.accounts.schemas import NotificationSettings
from linka.domains.tickets import routing_actions, status_actions, thread_actions
from linka.domains.tickets.statuses import Status
from linka.entrypoints.runtime import Runtime
from tests.entrypoints.realtime.conftest import agent_socket
from tests.outbound_mail import actor_for
from tests.personas import Personas
from tests.served_app import Served, serve

SYSTEM = system_actor(Origin.SYSTEM)


async def test_a_change_reaches_only_agents_who_may_see_the_ticket(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    support_code = personas.ticket_codes["karel"]
    sales_code = personas.ticket_codes["eva"]
    async with (
        agent_socket(served, personas.support_agent) as support,
        agent_socket(served, personas.sales_agent) as sales,
        agent_socket(served, personas.admin) as admin,
    ):
        async with runtime.uow(SYSTEM) as uow:
            await thread_actions.add_note(uow, code=support_code, text="Printer parts ordered.")
        assert (await support.next_of("tickets"))["codes"] == [support_code]
        assert (await admin.next_of("tickets"))["codes"] == [support_code]

        async with runtime.uow(SYSTEM) as uow:
            await status_actions.set_ticket_status(uow, code=sales_code, status=Status.RESOLVED)
        assert (await sales.next_of("tickets"))["codes"] == [sales_code]
        assert (await admin.next_of("tickets"))["codes"] == [sales_code]
        # The Sales agent heard of the Sales ticket and never of the Support one; and vice versa.
        await sales.nothing_of("tickets")
        assert all(support_code not in m["codes"] for m in sales.received if m["type"] == "tickets")
        await support.nothing_of("tickets")


async def test_a_transfer_tells_the_old_and_the_new_department(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    async with (
        agent_socket(served, personas.support_agent) as support,
        agent_socket(served, personas.sales_agent) as sales,
    ):
        async with runtime.uow(SYSTEM) as uow:
            await routing_actions.transfer_ticket(uow, code=code, department_id=personas.departments["sales"])
        assert code in (await support.next_of("tickets"))["codes"]  # it left their list
        assert code in (await sales.next_of("tickets"))["codes"]  # it arrived in theirs


async def test_the_assignee_is_notified_unless_they_took_it_themselves(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    supervisor = await actor_for(runtime.db, personas.support_supervisor)
    agent = await actor_for(runtime.db, personas.support_agent)
    async with agent_socket(served, personas.support_agent) as support:
        async with runtime.uow(supervisor) as uow:
            await routing_actions.assign_ticket(uow, code=code, agent_id=personas.support_agent.id)
        notice = await support.next_of("notify")
        assert notice["ticket"] == code
        assert notice["text"] == f"Tiket {code} vám byl přidělen"  # Sára works in Czech

        async with runtime.uow(agent) as uow:
            await routing_actions.unassign_ticket(uow, code=code)
        async with runtime.uow(agent) as uow:
            await routing_actions.assign_ticket(uow, code=code, agent_id=personas.support_agent.id)
        await support.next_of("tickets")
        await support.nothing_of("notify")


async def test_agents_on_one_ticket_see_each_other_view_and_write(served: Served, personas: Personas) -> None:
    code = personas.ticket_codes["karel"]
    async with (
        agent_socket(served, personas.support_agent) as sara,
        agent_socket(served, personas.support_supervisor) as viktor,
    ):
        await sara.send({"type": "view", "ticket": code})
        assert (await sara.next_of("presence", ticket=code))["agents"] == []
        await viktor.send({"type": "view", "ticket": code})
        seen_by_sara = await sara.next_of(
            "presence", ticket=code, agents=[{"name": "Viktor Dvořák", "typing": False}]
        )
        assert seen_by_sara["ticket"] == code
        await viktor.next_of("presence", ticket=code, agents=[{"name": "Sára Nováková", "typing": False}])

        await viktor.send({"type": "view", "ticket": code, "typing": True})
        await sara.next_of("presence", ticket=code, agents=[{"name": "Viktor Dvořák", "typing": True}])

        await viktor.send({"type": "leave"})
        await sara.next_of("presence", ticket=code, agents=[])


async def test_presence_stays_within_who_may_see_the_ticket(served: Served, personas: Personas) -> None:
    code = personas.ticket_codes["karel"]  # Support
    async with (
        agent_socket(served, personas.support_agent) as sara,
        agent_socket(served, personas.sales_agent) as sandor,
    ):
        await sara.send({"type": "view", "ticket": code})
        await sara.next_of("presence", ticket=code)
        await sandor.send({"type": "view", "ticket": code})  # not his to see: ignored
        await sandor.nothing_of("presence")
        await sara.nothing_of("presence")


async def test_sockets_without_a_session_or_from_another_site_are_refused(
    served: Served, personas: Personas
) -> None:
    from websockets.asyncio.client import connect

    async with connect(served.ws_url, origin=served.url) as anonymous:  # type: ignore[arg-type]
        with pytest.raises(ConnectionClosed) as closed:
            await anonymous.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401

    with pytest.raises((ConnectionClosed, InvalidStatus)):
        async with agent_socket(served, personas.support_agent, origin="http://evil.example") as stranger:
            await stranger.connection.recv()


@pytest.mark.redis
async def test_two_servers_on_redis_behave_as_one(
    runtime: Runtime, personas: Personas, settings: object
) -> None:
    """A change committed through one server process reaches a socket on another through Redis."""
    from linka.entrypoints.asgi import create_app
    from linka.entrypoints.runtime import build_runtime
    from tests.databases import redis_url_or_skip

    redis_url = redis_url_or_skip()
    shared = runtime.settings.model_copy(update={"redis_url": redis_url})
    first_runtime = build_runtime(shared, db=runtime.db)
    second_runtime = build_runtime(shared, db=runtime.db)
    code = personas.ticket_codes["karel"]
    async with (
        serve(create_app(runtime=first_runtime)),
        serve(create_app(runtime=second_runtime)) as second,
        agent_socket(second, personas.support_agent) as sara,
    ):
        async with first_runtime.uow(SYSTEM) as uow:
            await thread_actions.add_note(uow, code=code, text="Written on the first server.")
        assert (await sara.next_of("tickets"))["codes"] == [code]


async def test_no_browser_notice_for_an_agent_who_turned_them_off(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    sara = await actor_for(runtime.db, personas.support_agent)
    async with runtime.uow(sara) as uow:
        await agent_actions.set_notification_settings(
            uow, settings=NotificationSettings(assigned_browser=False, assigned_email=False)
        )
    supervisor = await actor_for(runtime.db, personas.support_supervisor)
    async with agent_socket(served, personas.support_agent) as support:
        async with runtime.uow(supervisor) as uow:
            await routing_actions.assign_ticket(uow, code=code, agent_id=personas.support_agent.id)
        assert code in (await support.next_of("tickets"))["codes"]  # the list still refreshes
        await support.nothing_of("notify")
