"""The tags API: definitions (manage_settings), tagging tickets by who may work them, private tags
marked as such, history and database rows as the outcome."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from linka.core.db import Database
from linka.core.history import HistoryEntry
from linka.domains.tickets.models import Tag, TicketTag
from tests.conftest import AppClient, bearer
from tests.personas import Personas

API = "/api/v1"


async def _create(client: AppClient, personas: Personas, **body: Any) -> dict[str, Any]:
    response = await client.post(f"{API}/tags", headers=bearer(personas.admin), json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _tag_names_of(db: Database, ticket_id: int) -> list[str]:
    async with db.read_session() as session:
        rows = await session.execute(
            select(Tag.name)
            .join(TicketTag, TicketTag.tag_id == Tag.id)
            .where(TicketTag.ticket_id == ticket_id)
            .order_by(Tag.name)
        )
        return list(rows.scalars())


async def test_admin_defines_tags_and_private_ones_are_marked(client: AppClient, personas: Personas) -> None:
    private = await _create(client, personas, name="  Čeká na   díl ", colour="#2563EB")
    public = await _create(client, personas, name="Invoice", is_public=True)
    assert private["id"].startswith("tg_")
    assert private["name"] == "Čeká na díl"
    assert private["colour"] == "#2563eb"
    assert (private["is_public"], private["visibility"]) == (False, "private")
    assert (public["is_public"], public["visibility"]) == (True, "public")
    assert public["colour"] == "#6b7280"
    # Everyone signed in reads them (Sára, a plain agent). The order of "Č" depends on the engine's
    # collation, so only the content is compared here (test_tag_pages pins the order).
    listed = await client.get(f"{API}/tags", headers=bearer(personas.support_agent))
    assert listed.status_code == 200, listed.text
    assert {t["name"]: t["visibility"] for t in listed.json()["items"]} == {
        "Invoice": "public",
        "Čeká na díl": "private",
    }
    found = await client.get(f"{API}/tags", headers=bearer(personas.support_agent), params={"q": "voic"})
    assert [t["name"] for t in found.json()["items"]] == ["Invoice"]
    changed = await client.patch(
        f"{API}/tags/{private['id']}",
        headers=bearer(personas.admin),
        json={"name": "Waiting for part", "is_public": True},
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["visibility"]) == ("Waiting for part", "public")


async def test_tag_names_clash_ignoring_case_and_bad_input_is_named(
    client: AppClient, personas: Personas
) -> None:
    await _create(client, personas, name="Řešení")
    admin = bearer(personas.admin)
    clash = await client.post(f"{API}/tags", headers=admin, json={"name": "řešení"})
    assert clash.status_code == 409, clash.text
    assert "name" in clash.json()["error"]["fields"]
    for body, field in [
        ({"name": "x", "colour": "blue"}, "colour"),
        ({"name": "x", "colour": "#12345"}, "colour"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 61}, "name"),
        ({"name": "x", "private": True}, "private"),
    ]:
        response = await client.post(f"{API}/tags", headers=admin, json=body)
        assert response.status_code == 422, (body, response.text)
        assert field in response.json()["error"]["fields"], (body, response.text)
    agent = await client.post(f"{API}/tags", headers=bearer(personas.support_agent), json={"name": "Mine"})
    assert agent.status_code == 403
    listed = await client.get(f"{API}/tags", headers=admin)
    assert [t["name"] for t in listed.json()["items"]] == ["Řešení"]


async def test_tag_pages(client: AppClient, personas: Personas) -> None:
    for n in range(5):
        await _create(client, personas, name=f"tag {n}")
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await client.get(f"{API}/tags", headers=bearer(personas.admin), params=params)
        assert page.status_code == 200, page.text
        seen += [t["name"] for t in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"tag {n}" for n in range(5)]


async def test_who_may_tag_which_ticket(client: AppClient, personas: Personas, db: Database) -> None:
    tag = await _create(client, personas, name="Printer")
    karel, eva = personas.ticket_codes["karel"], personas.ticket_codes["eva"]
    # Sára works Support tickets: she tags Karel's.
    tagged = await client.put(
        f"{API}/tickets/{karel}/tags/{tag['id']}", headers=bearer(personas.support_agent)
    )
    assert tagged.status_code == 200, tagged.text
    assert tagged.json()["ticket"] == karel
    assert [(t["name"], t["visibility"]) for t in tagged.json()["tags"]] == [("Printer", "private")]
    assert await _tag_names_of(db, personas.tickets["karel"]) == ["Printer"]
    # Rita only reads Sales: 403 on Eva's ticket; Sára does not see Sales tickets at all: 404.
    rita = await client.put(f"{API}/tickets/{eva}/tags/{tag['id']}", headers=bearer(personas.sales_reader))
    assert rita.status_code == 403, rita.text
    hidden = await client.put(f"{API}/tickets/{eva}/tags/{tag['id']}", headers=bearer(personas.support_agent))
    assert hidden.status_code == 404, hidden.text
    assert hidden.json()["error"]["code"] == "not_found"
    removal = await client.delete(
        f"{API}/tickets/{eva}/tags/{tag['id']}", headers=bearer(personas.sales_reader)
    )
    assert removal.status_code == 403
    assert await _tag_names_of(db, personas.tickets["eva"]) == []
    # Unknown tags and tickets are "not found".
    unknown = await client.put(f"{API}/tickets/{karel}/tags/tg_000000000000", headers=bearer(personas.admin))
    assert unknown.status_code == 404
    nowhere = await client.put(f"{API}/tickets/AAA-AAA-AAA/tags/{tag['id']}", headers=bearer(personas.admin))
    assert nowhere.status_code == 404


async def test_tagging_is_idempotent_with_history(
    client: AppClient, personas: Personas, db: Database
) -> None:
    printer = await _create(client, personas, name="Printer")
    urgent = await _create(client, personas, name="Urgent", is_public=True)
    karel, sara = personas.ticket_codes["karel"], bearer(personas.support_agent)
    for tag in (printer, urgent, printer):
        response = await client.put(f"{API}/tickets/{karel}/tags/{tag['id']}", headers=sara)
        assert response.status_code == 200, response.text
    assert [t["name"] for t in response.json()["tags"]] == ["Printer", "Urgent"]
    for _ in range(2):
        removed = await client.delete(f"{API}/tickets/{karel}/tags/{printer['id']}", headers=sara)
        assert removed.status_code == 204, removed.text
    assert await _tag_names_of(db, personas.tickets["karel"]) == ["Urgent"]
    async with db.read_session() as session:
        entries = (
            await session.execute(
                select(
                    HistoryEntry.action, HistoryEntry.before, HistoryEntry.after, HistoryEntry.actor_agent_id
                )
                .where(
                    HistoryEntry.entity_type == "ticket", HistoryEntry.entity_id == personas.tickets["karel"]
                )
                .where(HistoryEntry.action.in_(["tagged", "untagged"]))
                .order_by(HistoryEntry.id)
            )
        ).all()
    assert [tuple(entry) for entry in entries] == [
        ("tagged", {"tags": []}, {"tags": ["Printer"]}, personas.support_agent.id),
        ("tagged", {"tags": ["Printer"]}, {"tags": ["Printer", "Urgent"]}, personas.support_agent.id),
        ("untagged", {"tags": ["Printer", "Urgent"]}, {"tags": ["Urgent"]}, personas.support_agent.id),
    ]


async def test_deleting_a_tag_takes_it_off_tickets(
    client: AppClient, personas: Personas, db: Database
) -> None:
    tag = await _create(client, personas, name="Obsolete")
    admin = bearer(personas.admin)
    for name in ("karel", "eva"):
        response = await client.put(
            f"{API}/tickets/{personas.ticket_codes[name]}/tags/{tag['id']}", headers=admin
        )
        assert response.status_code == 200
    refused = await client.delete(f"{API}/tags/{tag['id']}", headers=bearer(personas.support_agent))
    assert refused.status_code == 403
    deleted = await client.delete(f"{API}/tags/{tag['id']}", headers=admin)
    assert deleted.status_code == 204, deleted.text
    async with db.read_session() as session:
        assert (await session.execute(select(func.count()).select_from(TicketTag))).scalar_one() == 0
        assert (await session.execute(select(func.count()).select_from(Tag))).scalar_one() == 0
        cleared = await session.execute(
            select(HistoryEntry.entity_id).where(
                HistoryEntry.entity_type == "ticket", HistoryEntry.action == "untagged"
            )
        )
        assert sorted(cleared.scalars()) == sorted([personas.tickets["karel"], personas.tickets["eva"]])
    assert (await client.get(f"{API}/tags", headers=admin)).json()["items"] == []
    gone = await client.patch(f"{API}/tags/{tag['id']}", headers=admin, json={"name": "x"})
    assert gone.status_code == 404
