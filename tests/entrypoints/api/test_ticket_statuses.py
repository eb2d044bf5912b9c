"""The ticket statuses API: built-in statuses named in three languages, custom statuses that admins
define (each behaving as its category), and what deleting one in use does to its tickets."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from linka.core.db import Database
from linka.core.history import HistoryEntry
from linka.core.permissions import SYSTEM
from linka.core.uow import unit_of_work
from linka.domains.tickets import custom_status_queries, status_actions
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.statuses import Status
from tests.conftest import AppClient, bearer
from tests.personas import Personas

API = "/api/v1"


async def _create(client: AppClient, personas: Personas, **body: Any) -> dict[str, Any]:
    response = await client.post(f"{API}/ticket-statuses", headers=bearer(personas.admin), json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_builtin_statuses_in_three_languages(client: AppClient, personas: Personas) -> None:
    english = await client.get(f"{API}/ticket-statuses", headers=bearer(personas.admin))
    assert english.status_code == 200, english.text
    items = english.json()["items"]
    assert [item["id"] for item in items] == [
        "new",
        "chatting",
        "calling",
        "answered",
        "open",
        "postponed",
        "resolved",
        "closed",
        "spam",
        "deleted",
    ]
    assert all(item["builtin"] and item["category"] == item["id"] for item in items)
    resolved = next(item for item in items if item["id"] == "resolved")
    assert resolved["name"] == resolved["label"] == "Resolved"
    assert resolved["translations"] == {"cs": "Vyřešený", "hu": "Megoldva"}
    # Sára works in Czech, Sándor in Hungarian: `label` speaks their language.
    czech = await client.get(f"{API}/ticket-statuses", headers=bearer(personas.support_agent))
    assert czech.json()["items"][0]["label"] == "Nový"
    hungarian = await client.get(f"{API}/ticket-statuses", headers=bearer(personas.sales_agent))
    assert hungarian.json()["items"][0]["label"] == "Új"


async def test_admin_defines_custom_statuses(client: AppClient, personas: Personas) -> None:
    parts = await _create(
        client,
        personas,
        name="Waiting for parts",
        category="postponed",
        translations={"cs": "Čeká na díly", "hu": "Alkatrészre vár"},
    )
    assert parts["id"].startswith("ts_")
    assert (parts["builtin"], parts["category"], parts["label"]) == (False, "postponed", "Waiting for parts")
    await _create(client, personas, name="Escalated", category="open", position=1)
    czech = await client.get(f"{API}/ticket-statuses", headers=bearer(personas.support_agent))
    custom = [item for item in czech.json()["items"] if not item["builtin"]]
    assert [(item["label"], item["category"]) for item in custom] == [
        ("Čeká na díly", "postponed"),
        ("Escalated", "open"),  # no Czech name given: the name itself
    ]
    renamed = await client.patch(
        f"{API}/ticket-statuses/{parts['id']}",
        headers=bearer(personas.admin),
        json={"name": "Waiting for a part", "position": 5},
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["position"]) == ("Waiting for a part", 5)


async def test_bad_custom_statuses_are_refused(client: AppClient, personas: Personas) -> None:
    await _create(client, personas, name="Escalated", category="open")
    admin = bearer(personas.admin)
    for body, status, field in [
        ({"name": "On a call", "category": "calling"}, 422, "category"),
        ({"name": "Draft", "category": "init"}, 422, "category"),
        ({"name": "x", "category": "open", "translations": {"de": "y"}}, 422, "translations"),
        ({"name": "ESCALATED", "category": "new"}, 409, "name"),
        ({"name": "open", "category": "open"}, 409, "name"),
        ({"name": "Vyřešený", "category": "resolved"}, 409, "name"),
        ({"name": "", "category": "open"}, 422, "name"),
    ]:
        response = await client.post(f"{API}/ticket-statuses", headers=admin, json=body)
        assert response.status_code == status, (body, response.text)
        assert field in response.json()["error"]["fields"], (body, response.text)
    agent = await client.post(
        f"{API}/ticket-statuses",
        headers=bearer(personas.support_agent),
        json={"name": "Mine", "category": "open"},
    )
    assert agent.status_code == 403
    builtin = await client.patch(f"{API}/ticket-statuses/open", headers=admin, json={"name": "Opened"})
    assert builtin.status_code == 404


async def test_a_status_in_use_keeps_its_category_and_deleting_it_keeps_the_tickets(
    client: AppClient, personas: Personas, db: Database
) -> None:
    solved = await _create(client, personas, name="Solved by phone", category="resolved")
    async with unit_of_work(db, SYSTEM) as uow:
        status = await custom_status_queries.custom_status_by_public_id(uow.session, solved["id"])
        for name in ("karel", "eva"):
            await status_actions.set_ticket_status(
                uow,
                code=personas.ticket_codes[name],
                status=Status(status.category),
                custom_status_id=status.id,
            )
    admin = bearer(personas.admin)
    moved = await client.patch(
        f"{API}/ticket-statuses/{solved['id']}", headers=admin, json={"category": "closed"}
    )
    assert moved.status_code == 409, moved.text
    assert "2 ticket(s)" in moved.json()["error"]["fields"]["category"]
    refused = await client.delete(
        f"{API}/ticket-statuses/{solved['id']}", headers=bearer(personas.support_agent)
    )
    assert refused.status_code == 403
    deleted = await client.delete(f"{API}/ticket-statuses/{solved['id']}", headers=admin)
    assert deleted.status_code == 204, deleted.text
    async with db.read_session() as session:
        for name in ("karel", "eva"):
            ticket = await session.get(Ticket, personas.tickets[name])
            assert ticket is not None
            assert (ticket.status, ticket.custom_status_id) == ("resolved", None)
        entries = await session.execute(
            select(HistoryEntry.entity_id, HistoryEntry.before, HistoryEntry.after).where(
                HistoryEntry.entity_type == "ticket", HistoryEntry.action == "custom_status_removed"
            )
        )
        found = {
            entity_id: (before["custom_status"], after["custom_status"])
            for entity_id, before, after in entries
        }
    assert found == {
        personas.tickets["karel"]: ("Solved by phone", None),
        personas.tickets["eva"]: ("Solved by phone", None),
    }
    listed = await client.get(f"{API}/ticket-statuses", headers=admin)
    assert all(item["builtin"] for item in listed.json()["items"])
    assert (await client.delete(f"{API}/ticket-statuses/{solved['id']}", headers=admin)).status_code == 404


async def test_an_unused_status_changes_category(client: AppClient, personas: Personas) -> None:
    status = await _create(client, personas, name="Pending vendor", category="postponed")
    changed = await client.patch(
        f"{API}/ticket-statuses/{status['id']}", headers=bearer(personas.admin), json={"category": "open"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["category"] == "open"
