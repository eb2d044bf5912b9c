"""/api/v1/chats: the chats an agent may see (listed in keyset pages, one with its lines), a line written
as an agent in the chat (it reaches the visitor's widget), ending, handing over, inviting and leaving,
and the visitors on the sites with an invitation. Errors are JSON naming the field."""

from __future__ import annotations

import httpx

from linka.domains.chat.models import Chat, ChatParticipant, Visitor
from linka.entrypoints.runtime import Runtime
from tests.conftest import AppClient, bearer
from tests.entrypoints.web.test_chats_page import agent_says, connect_agents, running_chat, visit
from tests.entrypoints.web.ticket_helpers import rows
from tests.entrypoints.widget.chat_helpers import visitor_socket
from tests.personas import Personas
from tests.served_app import Served
from tests.served_app import served as served


async def _chat(runtime: Runtime, chat_id: str) -> Chat:
    [chat] = await rows(runtime, Chat, Chat.public_id == chat_id)
    return chat


async def test_listing_shows_only_chats_one_may_see_a_page_at_a_time(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    first = await running_chat(runtime, personas, name="Petra Malá")
    second = await running_chat(runtime, personas, name="Jan Král")
    sara = bearer(personas.support_agent)

    page = (await client.get("/api/v1/chats?limit=1", headers=sara)).json()
    assert [item["id"] for item in page["items"]] == [second]  # newest first
    assert page["items"][0]["visitor"]["name"] == "Jan Král"
    assert page["items"][0]["agent"]["name"] == personas.support_agent.name
    assert page["items"][0]["participants"] == [
        {"id": personas.support_agent.public_id, "name": personas.support_agent.name, "role": "owner"}
    ]
    rest = (await client.get(f"/api/v1/chats?limit=1&cursor={page['next_cursor']}", headers=sara)).json()
    assert [item["id"] for item in rest["items"]] == [first]
    assert rest["next_cursor"] is None

    support = personas.department_public_ids["support"]
    active = (await client.get(f"/api/v1/chats?state=active&department={support}", headers=sara)).json()
    assert {item["id"] for item in active["items"]} == {first, second}
    assert (await client.get("/api/v1/chats?state=ended", headers=sara)).json()["items"] == []
    # Sándor works Sales: Support's chats are not there for him.
    assert (await client.get("/api/v1/chats", headers=bearer(personas.sales_agent))).json()["items"] == []
    assert (
        await client.get(f"/api/v1/chats/{first}", headers=bearer(personas.sales_agent))
    ).status_code == 404

    wrong = await client.get("/api/v1/chats?department=dp_nowhere", headers=sara)
    assert wrong.status_code == 422
    assert "department" in wrong.json()["error"]["fields"]
    assert (await client.get("/api/v1/chats?state=lost", headers=sara)).status_code in (400, 422)


async def test_one_chat_with_its_lines(client: AppClient, runtime: Runtime, personas: Personas) -> None:
    chat_id = await running_chat(runtime, personas, text="Tiskárna hoří")
    seq = await agent_says(runtime, personas.support_agent, chat_id, "Vypněte ji")

    body = (await client.get(f"/api/v1/chats/{chat_id}", headers=bearer(personas.support_agent))).json()

    assert body["state"] == "active"
    lines = body["lines"]
    assert [line["kind"] for line in lines if line["author"] == "visitor"][-1] == "text"
    assert any(
        line["event"] == "joined" and line["values"] == {"agent": personas.support_agent.name}
        for line in lines
    )
    mine = lines[-1]
    assert (mine["seq"], mine["author"], mine["author_id"], mine["text"]) == (
        seq,
        "agent",
        personas.support_agent.public_id,
        "Vypněte ji",
    )
    later = (
        await client.get(f"/api/v1/chats/{chat_id}?since={seq - 1}", headers=bearer(personas.support_agent))
    ).json()
    assert [line["text"] for line in later["lines"]] == ["Vypněte ji"]


async def test_a_line_from_the_api_reaches_the_visitor(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    await connect_agents(runtime, personas.support_agent)
    async with visitor_socket(served, personas.support_chat_button.public_id) as visitor:
        chat = await visitor.start("Potřebuji pomoc", name="Petra")
        chat_id = chat["id"]
        async with httpx.AsyncClient(base_url=served.url) as http:
            sara = bearer(personas.support_agent)
            # Not taken yet: only an agent in the chat writes to it.
            assert (
                await http.post(f"/api/v1/chats/{chat_id}/lines", json={"text": "x"}, headers=sara)
            ).status_code == 403
            from linka.domains.chat import routing
            from tests.entrypoints.web.ticket_helpers import actor_of

            async with runtime.uow(await actor_of(runtime, personas.support_agent)) as uow:
                await routing.accept_chat(uow, chat_public_id=chat_id)
            response = await http.post(
                f"/api/v1/chats/{chat_id}/lines",
                json={"text": "Dobrý den, jak pomohu?", "key": "api-1"},
                headers=sara,
            )
            assert response.status_code == 201, response.text
            ack = response.json()
            assert ack["key"] == "api-1"
            line = await visitor.next_line(author="agent")
            assert (line["text"], line["seq"]) == ("Dobrý den, jak pomohu?", ack["seq"])
            again = await http.post(
                f"/api/v1/chats/{chat_id}/lines",
                json={"text": "Dobrý den, jak pomohu?", "key": "api-1"},
                headers=sara,
            )
            assert again.json()["seq"] == ack["seq"]  # the same key is stored once
            empty = await http.post(f"/api/v1/chats/{chat_id}/lines", json={"text": "  "}, headers=sara)
            assert empty.status_code == 422
            assert set(empty.json()["error"]["fields"]) == {"text"}
            unknown = await http.post(
                f"/api/v1/chats/{chat_id}/lines", json={"text": "a", "colour": 1}, headers=sara
            )
            assert unknown.status_code == 422
            assert "colour" in unknown.json()["error"]["fields"]
            ended = await http.post(f"/api/v1/chats/{chat_id}/end", headers=sara)
            assert ended.status_code == 200
            assert ended.json()["state"] == "ended"
            await visitor.next_state("ended")
            late = await http.post(
                f"/api/v1/chats/{chat_id}/lines", json={"text": "Ještě něco"}, headers=sara
            )
            # Sára was in the chat: she is told it ended (409), not that it is not hers.
            assert late.status_code == 409
            assert "ended" in late.json()["error"]["fields"]["chat"]


async def test_handing_over_inviting_and_leaving(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    chat_id = await running_chat(runtime, personas)
    sara, viktor = bearer(personas.support_agent), bearer(personas.support_supervisor)
    url = f"/api/v1/chats/{chat_id}"

    both = await client.post(
        f"{url}/transfer",
        json={
            "agent_id": personas.support_supervisor.public_id,
            "department_id": personas.department_public_ids["sales"],
        },
        headers=sara,
    )
    assert both.status_code == 422
    assert "agent_id" in both.json()["error"]["fields"]
    busy = await client.post(
        f"{url}/transfer", json={"agent_id": personas.support_supervisor.public_id}, headers=sara
    )
    assert busy.status_code == 422  # Viktor is not available for chats
    assert (
        busy.json()["error"]["fields"]["agent_id"]
        == "this agent is not available for chats in the department"
    )

    invited = await client.post(
        f"{url}/invite", json={"agent_id": personas.support_supervisor.public_id}, headers=sara
    )
    assert invited.status_code == 200, invited.text
    assert {p["role"] for p in invited.json()["participants"]} == {"owner", "invited"}
    # Viktor writes as an invited colleague, then leaves; Sára (the owner) cannot leave.
    assert (
        await client.post(f"{url}/lines", json={"text": "Přidávám se"}, headers=viktor)
    ).status_code == 201
    assert (await client.post(f"{url}/leave", headers=sara)).status_code == 422
    left = await client.post(f"{url}/leave", headers=viktor)
    assert left.status_code == 200
    assert [p["id"] for p in left.json()["participants"]] == [personas.support_agent.public_id]

    moved = await client.post(
        f"{url}/transfer", json={"department_id": personas.department_public_ids["sales"]}, headers=sara
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["state"], moved.json()["department"]["name"], moved.json()["agent"]) == (
        "queued",
        "Sales",
        None,
    )
    chat = await _chat(runtime, chat_id)
    present = await rows(
        runtime, ChatParticipant, ChatParticipant.chat_id == chat.id, ChatParticipant.left_at.is_(None)
    )
    assert present == []
    nowhere = await client.post(
        f"{url}/transfer", json={"department_id": "dp_nowhere"}, headers=bearer(personas.admin)
    )
    assert nowhere.status_code in (409, 422)


async def test_visitors_on_the_site_and_inviting_one(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    visitor = await visit(runtime, personas, language="hu", url="https://shop.example/pricing")
    sara = bearer(personas.support_agent)

    listed = (await client.get("/api/v1/chats/visitors", headers=sara)).json()["items"]
    [row] = [item for item in listed if item["id"] == visitor.public_id]
    assert (row["page_url"], row["referrer"], row["visits"], row["chatting"]) == (
        "https://shop.example/pricing",
        "https://search.example/?q=tiskarna",
        1,
        False,
    )
    assert row["button"]["id"] == personas.support_chat_button.public_id

    sent = await client.post(
        f"/api/v1/chats/visitors/{visitor.public_id}/invite", json={"text": "Segíthetek?"}, headers=sara
    )
    assert sent.status_code == 204
    [stored] = await rows(runtime, Visitor, Visitor.id == visitor.id)
    assert stored.invited_at is not None
    empty = await client.post(
        f"/api/v1/chats/visitors/{visitor.public_id}/invite", json={"text": ""}, headers=sara
    )
    assert empty.status_code == 422
    assert "text" in empty.json()["error"]["fields"]

    sandor = bearer(personas.sales_agent)
    assert (await client.get("/api/v1/chats/visitors", headers=sandor)).json()["items"] == []
    other = await client.post(
        f"/api/v1/chats/visitors/{visitor.public_id}/invite", json={"text": "Hi"}, headers=sandor
    )
    assert other.status_code == 404
