"""A chat from start to end over real sockets: the visitor's widget connection and the agent app's,
against the app served by uvicorn. What is asserted is what each side receives and what is stored."""

from __future__ import annotations

from sqlalchemy import select

from linka.core.clock import FrozenClock
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.thread_models import Message
from linka.entrypoints.runtime import Runtime
from tests.entrypoints.realtime.conftest import agent_socket
from tests.entrypoints.widget.chat_helpers import agent_line, chat_row, set_online, visitor_socket
from tests.personas import Personas
from tests.served_app import Served
from tests.served_app import served as served


async def test_a_chat_from_the_first_line_to_the_rating(
    served: Served, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    button = personas.support_chat_button.public_id
    await set_online(runtime, personas.support_agent)
    async with (
        agent_socket(served, personas.support_agent) as sara,
        visitor_socket(served, button) as visitor,
    ):
        assert visitor.welcome["online"] is True
        assert visitor.welcome["config"]["button"] == button
        chat = await visitor.start("My printer is on fire", name="Petra Malá")
        assert chat["state"] == "queued"

        ring = await sara.next_of("chat_ring", chat=chat["id"])
        assert ring["text"] == "My printer is on fire"
        assert ring["visitor"] == "Petra Malá"
        await sara.send({"type": "chat_accept", "chat": chat["id"]})
        taken = await visitor.next_state("active")
        assert taken["agent"] == {"name": personas.support_agent.name}
        joined = await visitor.next_line(event="joined")
        assert joined["values"] == {"agent": personas.support_agent.name}

        await sara.send({"type": "chat_send", "chat": chat["id"], "key": "a1", "text": "Unplug it 🔌 now"})
        ack = await sara.next_of("chat_ack", key="a1")
        line = await visitor.next_line(author="agent")
        assert line["text"] == "Unplug it 🔌 now"
        assert line["seq"] == ack["seq"]

        await visitor.say("Done, thanks!")
        heard = await agent_line(sara, chat["id"], author="visitor")
        assert heard["text"] == "Done, thanks!"

        await visitor.send({"type": "end"})
        await visitor.next_state("ended")
        await visitor.send({"type": "rate", "rating": "good", "comment": "Quick!"})
        await visitor.next_of("rated")

    stored = await chat_row(runtime, chat["id"])
    assert (stored.state, stored.rating, stored.rating_comment) == ("ended", "good", "Quick!")
    async with runtime.db.read_session() as session:
        ticket = await session.get(Ticket, stored.ticket_id)
        assert ticket is not None
        assert (ticket.status, ticket.channel, ticket.assignee_id) == (
            "answered",
            "chat",
            personas.support_agent.id,
        )
        texts = (
            (
                await session.execute(
                    select(Message.body).where(Message.group_id == stored.group_id).order_by(Message.position)
                )
            )
            .scalars()
            .all()
        )
    assert "My printer is on fire" in texts
    assert "Unplug it 🔌 now" in texts
    assert "Done, thanks!" in texts
