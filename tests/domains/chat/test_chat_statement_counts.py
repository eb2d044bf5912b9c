"""SQL statements of the live chat's hot paths, pinned exactly: an agent accepting a ring, a visitor's line
and an agent's line (what the widget and the agent socket call per message). A line costs the same
whether it is the chat's first or its tenth. A failing pin prints the statements."""

from __future__ import annotations

from linka.domains.chat import actions, routing
from linka.entrypoints.runtime import Runtime
from tests.entrypoints.web.test_chats_page import VISITOR, connect_agents, visit
from tests.entrypoints.web.ticket_helpers import actor_of
from tests.personas import Personas
from tests.query_counter import Statements, counting_statements

# Accepting: the chat, locked and re-read; the agent's ring, accepted; the other rings; the chat taken
# (state, participant: who is present, the new one); the ticket assigned (ticket, history, update, the
# assignee's name); the "joined" line (ticket, chat's numbering, line, who is present, everyone who was,
# their names); the chat's frame for the agents (ticket code, department, contact, email); the
# department's queue routed on (the next waiting chat). PostgreSQL first takes the department's advisory
# lock, which serialises routing there (SQLite has one writer at a time).
ACCEPT = {"sqlite": 23, "postgresql": 24}
# A visitor's line: their chat, locked and re-read; the key seen before? the contact's name; the ticket;
# the chat's numbering, the ticket's times, the line, the visitor's activity; who is present (to tell).
VISITOR_LINE = 10
# An agent's line: the chat, locked and re-read; the key seen before? who is present; the ticket; the
# chat's numbering, the ticket's reply metrics, the line; the author's name for the frame.
AGENT_LINE = 9


async def test_accepting_a_ring_and_each_line_cost_a_fixed_number_of_statements(
    runtime: Runtime, personas: Personas
) -> None:
    await connect_agents(runtime, personas.support_agent)
    visitor = await visit(runtime, personas)
    async with runtime.uow(VISITOR) as uow:
        chat = await actions.start_chat(
            uow,
            visitor_id=visitor.id,
            fields={"name": "Petra Malá", "email": "petra@example.test"},
            first_key="start",
            first_text="Tiskárna hoří",
        )
        chat_id = chat.public_id
    sara = await actor_of(runtime, personas.support_agent)

    with counting_statements(runtime.db) as accepted:
        async with runtime.uow(sara) as uow:
            await routing.accept_chat(uow, chat_public_id=chat_id)
    visitor_lines: list[Statements] = []
    agent_lines: list[Statements] = []
    for number in range(10):
        with counting_statements(runtime.db) as seen:
            async with runtime.uow(VISITOR) as uow:
                line, _ = await actions.post_visitor_line(
                    uow, visitor_id=visitor.id, key=f"visitor-{number}", text=f"Pořád hoří {number}"
                )
        assert line is not None
        visitor_lines.append(seen)
        with counting_statements(runtime.db) as seen:
            async with runtime.uow(sara) as uow:
                line, _ = await actions.post_agent_line(
                    uow, chat_public_id=chat_id, key=f"agent-{number}", text=f"Hasím {number}"
                )
        assert line is not None
        agent_lines.append(seen)

    assert accepted.count == ACCEPT[runtime.db.dialect], "\n".join(accepted.sql)
    for seen in (visitor_lines[0], visitor_lines[-1]):
        assert seen.count == VISITOR_LINE, "\n".join(seen.sql)
    for seen in (agent_lines[0], agent_lines[-1]):
        assert seen.count == AGENT_LINE, "\n".join(seen.sql)
