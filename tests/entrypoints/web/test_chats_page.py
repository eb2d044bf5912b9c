"""The agent's chat pages: /chats shows a tab per running chat with its conversation, notes and what the
agent may do; the form posts (note, hand over, invite, leave, end) land in the database through the chat
domain's actions; /chats/visitors lists who is on the sites and invites them; the ticket page shows a
chat line by line. Chats are started and accepted through the real actions (as the widget and the
agent socket do); query counts of the two pages are pinned."""

from __future__ import annotations

import secrets
from datetime import timedelta

from linka.core import clock
from linka.core.permissions import Actor, Origin, system_actor
from linka.domains.chat import actions, routing, visitor_actions
from linka.domains.chat.models import Chat, ChatButton, ChatParticipant, Visitor
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.thread_models import MessageGroup
from linka.entrypoints.runtime import Runtime
from tests.conftest import AppClient
from tests.entrypoints.web.ticket_helpers import actor_of, rows
from tests.entrypoints.web.web_helpers import post_form, sign_in, text_of
from tests.entrypoints.widget.chat_helpers import set_online
from tests.personas import Person, Personas
from tests.query_counter import counting_statements

VISITOR = Actor(origin=Origin.CHAT, name="Visitor")


async def connect_agents(runtime: Runtime, *people: Person) -> None:
    """Online, with the app open (what the agent socket's heartbeat records)."""
    await set_online(runtime, *people)
    async with runtime.uow(system_actor(Origin.CHAT)) as uow:
        await routing.keep_agents_connected(
            uow, [person.id for person in people], until=clock.now() + timedelta(hours=1)
        )


async def visit(
    runtime: Runtime, personas: Personas, *, language: str = "cs", url: str = "https://shop.example/cart"
) -> Visitor:
    async with runtime.uow(VISITOR) as uow:
        button = await uow.session.get(ChatButton, personas.support_chat_button.id)
        assert button is not None
        return await visitor_actions.record_visit(
            uow,
            button=button,
            token=None,
            language=language,
            page={"url": url, "title": "Košík", "referrer": "https://search.example/?q=tiskarna"},
        )


async def running_chat(
    runtime: Runtime,
    personas: Personas,
    *,
    agent: Person | None = None,
    text: str = "Tiskárna hoří",
    name: str = "Petra Malá",
) -> str:
    """A visitor starts a chat and `agent` (Sára) accepts the ring; returns the chat's public id."""
    agent = agent or personas.support_agent
    await connect_agents(runtime, agent)
    visitor = await visit(runtime, personas)
    async with runtime.uow(VISITOR) as uow:
        chat = await actions.start_chat(
            uow,
            visitor_id=visitor.id,
            fields={"name": name, "email": f"{secrets.token_hex(4)}@example.test"},
            first_key=secrets.token_hex(4),
            first_text=text,
        )
        chat_id = chat.public_id
    async with runtime.uow(await actor_of(runtime, agent)) as uow:
        await routing.accept_chat(uow, chat_public_id=chat_id)
    return chat_id


async def agent_says(runtime: Runtime, person: Person, chat_id: str, text: str) -> int:
    async with runtime.uow(await actor_of(runtime, person)) as uow:
        _, seq = await actions.post_agent_line(
            uow, chat_public_id=chat_id, key=secrets.token_hex(4), text=text
        )
    return seq


async def chat_of(runtime: Runtime, chat_id: str) -> Chat:
    [chat] = await rows(runtime, Chat, Chat.public_id == chat_id)
    return chat


async def test_the_page_shows_each_running_chat_in_a_tab(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    first = await running_chat(runtime, personas, text="Tiskárna hoří", name="Petra Malá")
    second = await running_chat(runtime, personas, text="Kde je faktura?", name="Jan Král")
    await agent_says(runtime, personas.support_agent, first, "Hned to zkontroluji")
    await sign_in(client, personas.support_agent)

    response = await client.get(f"/chats?chat={second}")

    assert response.status_code == 200, response.text[:2000]
    html = response.text
    assert f'data-chat-tab="{first}"' in html
    assert f'data-chat-tab="{second}"' in html
    assert f'id="chat-tab-{second}" aria-controls="chat-panel-{second}" aria-selected="true"' in html
    assert f'id="chat-panel-{first}"' in html
    seen = text_of(html)
    # Sára reads Czech: the system line of her joining is in Czech, lines as written.
    assert "Tiskárna hoří" in seen
    assert "Kde je faktura?" in seen
    assert "Hned to zkontroluji" in seen
    assert "Sára Nováková se připojil(a) k chatu" in seen
    assert 'x-data="chatComposer"' in html
    chat = await chat_of(runtime, first)
    [ticket] = await rows(runtime, Ticket, Ticket.id == chat.ticket_id)
    assert f'href="/tickets/{ticket.code}"' in html
    assert f'data-code="{ticket.code}"' in html  # the composer's canned messages come from the ticket
    assert 'href="/chats"' in html  # in the navigation
    assert 'id="chat-rings"' in html


async def test_an_agent_without_chats_is_told_so(client: AppClient, personas: Personas) -> None:
    await sign_in(client, personas.sales_agent)
    response = await client.get("/chats")
    assert response.status_code == 200
    assert "data-chats-empty>" in response.text  # shown, not hidden
    assert "Nincs folyamatban lévő csevegése" in text_of(response.text)


async def _statements(client: AppClient, runtime: Runtime, path: str) -> int:
    with counting_statements(runtime.db) as seen:
        response = await client.get(path)
    assert response.status_code == 200, response.text[:1000]
    return seen.count


# Session and actor, the agent's running chats, their summaries (tickets, departments, contacts,
# emails, visitors, agents), lines, notes, colleagues, departments and the agent's own public id.
CHATS_PAGE_STATEMENTS = 15


async def test_the_chats_page_loads_in_the_same_number_of_queries_for_one_chat_or_three(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    chat = await running_chat(runtime, personas)
    await sign_in(client, personas.support_agent)
    one = await _statements(client, runtime, "/chats")
    for number in range(2):
        other = await running_chat(runtime, personas, text=f"Dotaz {number}", name=f"Host {number}")
        for line in range(5):
            await agent_says(runtime, personas.support_agent, other, f"Odpověď {line}")
    async with runtime.uow(await actor_of(runtime, personas.support_agent)) as uow:
        await actions.invite_to_chat(uow, chat_public_id=chat, agent_id=personas.support_supervisor.id)
    three = await _statements(client, runtime, "/chats")
    assert one == three == CHATS_PAGE_STATEMENTS


async def test_a_note_is_internal_on_the_ticket_and_shown_in_the_chat(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    chat_id = await running_chat(runtime, personas)
    await sign_in(client, personas.support_agent)

    response = await post_form(
        client, f"/chats/{chat_id}/note", {"text": "Zákazník má starou verzi"}, headers={"hx-request": "true"}
    )

    assert response.status_code == 200, response.text
    assert "Zákazník má starou verzi" in response.text
    assert "chat-line note" in response.text
    chat = await chat_of(runtime, chat_id)
    [note] = await rows(
        runtime, MessageGroup, MessageGroup.ticket_id == chat.ticket_id, MessageGroup.kind == "internal_note"
    )
    assert note.is_internal
    page = text_of((await client.get(f"/chats?chat={chat_id}")).text)
    assert "Zákazník má starou verzi" in page
    empty = await post_form(client, f"/chats/{chat_id}/note", {"text": " "}, headers={"hx-request": "true"})
    assert empty.status_code == 422
    assert 'role="alert"' in empty.text


async def test_handing_over_inviting_leaving_and_ending(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    chat_id = await running_chat(runtime, personas)
    viktor = personas.support_supervisor
    await sign_in(client, personas.support_agent)

    invited = await post_form(client, f"/chats/{chat_id}/invite", {"agent": viktor.public_id})
    assert invited.status_code == 303
    assert invited.headers["location"] == f"/chats?chat={chat_id}&done=invited"
    chat = await chat_of(runtime, chat_id)
    present = await rows(
        runtime, ChatParticipant, ChatParticipant.chat_id == chat.id, ChatParticipant.left_at.is_(None)
    )
    assert {(p.agent_id, p.role) for p in present} == {
        (personas.support_agent.id, "owner"),
        (viktor.id, "invited"),
    }

    # Viktor sees the chat in his tabs and may leave it.
    viktor_client = AppClient(client.app)
    async with viktor_client:
        await sign_in(viktor_client, viktor)
        assert f'data-chat-tab="{chat_id}"' in (await viktor_client.get("/chats")).text
        left = await post_form(viktor_client, f"/chats/{chat_id}/leave")
        assert left.status_code == 303
        assert left.headers["location"] == "/chats?done=left"

    # A colleague who is not available for chats cannot be handed the chat: the page says why.
    refused = await post_form(client, f"/chats/{chat_id}/transfer", {"to": f"agent:{viktor.public_id}"})
    assert refused.status_code == 422
    assert "tento agent" in text_of(refused.text).lower() or "agent" in text_of(refused.text).lower()
    await connect_agents(runtime, viktor)
    handed = await post_form(client, f"/chats/{chat_id}/transfer", {"to": f"agent:{viktor.public_id}"})
    assert handed.status_code == 303
    assert handed.headers["location"] == "/chats?done=transferred"
    chat = await chat_of(runtime, chat_id)
    assert (chat.state, chat.agent_id) == ("active", viktor.id)
    [ticket] = await rows(runtime, Ticket, Ticket.id == chat.ticket_id)
    assert ticket.assignee_id == viktor.id

    # Sára is out of it now: the chat is no longer her tab, and she may not end it.
    assert f'data-chat-tab="{chat_id}"' not in (await client.get("/chats")).text
    assert (await post_form(client, f"/chats/{chat_id}/end")).status_code == 403

    viktor_client = AppClient(client.app)
    async with viktor_client:
        await sign_in(viktor_client, viktor)
        ended = await post_form(viktor_client, f"/chats/{chat_id}/end")
        assert ended.status_code == 303
        assert ended.headers["location"] == "/chats?done=ended"
    chat = await chat_of(runtime, chat_id)
    assert (chat.state, chat.ended_by) == ("ended", "agent")


async def test_sending_a_chat_to_another_departments_queue(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    chat_id = await running_chat(runtime, personas)
    await sign_in(client, personas.support_agent)
    sales = personas.department_public_ids["sales"]
    unclear = await post_form(client, f"/chats/{chat_id}/transfer", {"to": "nowhere"})
    assert unclear.status_code == 422
    assert "vyberte kolegu nebo oddělení" in text_of(unclear.text)
    response = await post_form(client, f"/chats/{chat_id}/transfer", {"to": f"department:{sales}"})
    assert response.status_code == 303
    chat = await chat_of(runtime, chat_id)
    assert (chat.state, chat.department_id, chat.agent_id) == ("queued", personas.departments["sales"], None)
    # Sára reads Support only: the chat waiting in Sales is not hers to see any more.
    assert (await post_form(client, f"/chats/{chat_id}/end")).status_code == 404


async def test_another_departments_chat_is_not_found(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    chat_id = await running_chat(runtime, personas)
    await sign_in(client, personas.sales_agent)
    assert (await client.get(f"/chats/{chat_id}/tab")).status_code == 404
    assert (await client.get(f"/chats/{chat_id}/lines")).status_code == 404
    assert (await post_form(client, f"/chats/{chat_id}/note", {"text": "x"})).status_code == 404
    assert (await post_form(client, f"/chats/{chat_id}/end")).status_code == 404
    page = await client.get(f"/chats?chat={chat_id}")
    assert chat_id not in page.text


async def test_fragments_for_a_new_tab_and_for_catching_up(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    chat_id = await running_chat(runtime, personas)
    seq = await agent_says(runtime, personas.support_agent, chat_id, "Zkuste ji vypnout")
    await sign_in(client, personas.support_agent)
    tab = await client.get(f"/chats/{chat_id}/tab", headers={"hx-request": "true"})
    assert tab.status_code == 200
    assert 'role="tab"' in tab.text
    assert 'role="tabpanel"' in tab.text
    lines = await client.get(f"/chats/{chat_id}/lines?since={seq - 1}", headers={"hx-request": "true"})
    assert lines.status_code == 200
    assert text_of(lines.text).count("Zkuste ji vypnout") == 1
    assert "Tiskárna hoří" not in lines.text


async def test_a_line_without_javascript(client: AppClient, runtime: Runtime, personas: Personas) -> None:
    chat_id = await running_chat(runtime, personas)
    await sign_in(client, personas.support_agent)
    response = await post_form(client, f"/chats/{chat_id}/send", {"text": "Dobrý den"})
    assert response.status_code == 303
    chat = await chat_of(runtime, chat_id)
    async with runtime.db.read_session() as session:
        from linka.domains.chat import queries

        lines = await queries.lines(session, chat)
    assert [line.text for line in lines if line.author == "agent"] == ["Dobrý den"]


async def test_the_ticket_page_shows_a_chat_line_by_line(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    chat_id = await running_chat(runtime, personas, text="Tiskárna hoří", name="Petra Malá")
    await agent_says(runtime, personas.support_agent, chat_id, "Vypněte ji prosím")
    chat = await chat_of(runtime, chat_id)
    [ticket] = await rows(runtime, Ticket, Ticket.id == chat.ticket_id)
    await sign_in(client, personas.support_agent)

    html = (await client.get(f"/tickets/{ticket.code}")).text

    assert 'class="chat-transcript"' in html
    seen = text_of(html)
    assert "Petra Malá" in seen
    assert "Sára Nováková Vypněte ji prosím" in seen or "Sára Nováková" in seen
    assert seen.index("Tiskárna hoří") < seen.index("Vypněte ji prosím")


async def test_visitors_on_the_site_and_an_invitation(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    visitor = await visit(runtime, personas, language="hu", url="https://shop.example/pricing")
    await running_chat(runtime, personas)  # a second visitor, chatting
    await sign_in(client, personas.support_agent)
    with counting_statements(runtime.db) as seen:
        page = await client.get("/chats/visitors")
    assert page.status_code == 200
    assert seen.count == VISITORS_PAGE_STATEMENTS
    html = page.text
    assert "https://shop.example/pricing" in html
    assert "search.example" in html
    assert f'action="/chats/visitors/{visitor.public_id}/invite"' in html
    assert "Segíthetek valamiben?" in html  # the invitation is offered in the visitor's language
    assert "Chat probíhá" in text_of(html)  # the other one is chatting: no invitation for them

    sent = await post_form(
        client, f"/chats/visitors/{visitor.public_id}/invite", {"text": "Potřebujete pomoc?"}
    )
    assert sent.status_code == 303
    [stored] = await rows(runtime, Visitor, Visitor.id == visitor.id)
    assert stored.invited_at is not None

    # Rita reads Sales only: Support's visitors are not hers to see or invite.
    other = AppClient(client.app)
    async with other:
        await sign_in(other, personas.sales_reader)
        assert visitor.public_id not in (await other.get("/chats/visitors")).text
        refused = await post_form(other, f"/chats/visitors/{visitor.public_id}/invite", {"text": "Hi"})
        assert refused.status_code == 404


# Session and actor, and one query for the visitors with their buttons and chats.
VISITORS_PAGE_STATEMENTS = 4


async def test_the_top_bar_says_where_chats_ring(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.support_agent)
    assert 'hx-get="/chats/availability"' in (await client.get("/tickets")).text
    offline = text_of((await client.get("/chats/availability")).text)
    assert offline == "Chaty nedostáváte, dokud nejste online"
    await set_online(runtime, personas.support_agent)
    online = text_of((await client.get("/chats/availability")).text)
    assert online == "Online pro chaty: Support"
