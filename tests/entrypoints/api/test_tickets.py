"""Tickets over the API: create, lists and filters, keyset pages, counts, routing rules, status moves,
postpone and wake, close after N days, purge, next ticket, mass actions and history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event, func, select

from linka.core import clock
from linka.core.clock import FrozenClock
from linka.core.db import Database
from linka.core.history import HistoryEntry
from linka.core.permissions import Origin, system_actor
from linka.core.uow import unit_of_work
from linka.domains.tickets import status_actions
from linka.domains.tickets.models import Ticket
from tests.conftest import AppClient, bearer
from tests.personas import Person, Personas

Client = AppClient


async def _create(client: Client, who: Person, **body: Any) -> Any:
    return await client.post("/api/v1/tickets", json=body, headers=bearer(who))


async def _new(client: Client, personas: Personas, subject: str, **extra: Any) -> str:
    body = {
        "subject": subject,
        "department": personas.department_public_ids["support"],
        "contact": personas.contact_public_ids["karel"],
        **extra,
    }
    response = await _create(client, personas.support_agent, **body)
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


async def _codes(client: Client, who: Person, query: str = "") -> list[str]:
    response = await client.get(f"/api/v1/tickets?{query}", headers=bearer(who))
    assert response.status_code == 200, response.text
    return [item["code"] for item in response.json()["items"]]


async def _status(client: Client, who: Person, code: str, status: str) -> Any:
    return await client.post(f"/api/v1/tickets/{code}/status", json={"status": status}, headers=bearer(who))


async def test_create_for_a_contact_by_id_and_by_email(
    client: Client, personas: Personas, db: Database
) -> None:
    made = await _create(
        client,
        personas.support_agent,
        subject="  Tiskárna   hlásí chybu ",
        department=personas.department_public_ids["support"],
        contact=personas.contact_public_ids["karel"],
        priority="high",
    )
    assert made.status_code == 201, made.text
    ticket = made.json()
    assert ticket["subject"] == "Tiskárna hlásí chybu"
    assert ticket["status"] == "new"
    assert ticket["priority"] == "high"
    assert ticket["channel"] == "api"
    assert ticket["contact"] == {
        "id": personas.contact_public_ids["karel"],
        "name": "Karel Novák",
        "email": "karel@acme.test",
    }
    assert ticket["language"] == "cs"  # Sára's language when none is given
    # Petr has no tickets, so Sára cannot see him; knowing his address is enough to open a ticket.
    by_email = await _create(
        client,
        personas.support_agent,
        subject="Call me back",
        department=personas.department_public_ids["support"],
        contact_email="PETR@example.cz",
    )
    assert by_email.status_code == 201, by_email.text
    assert by_email.json()["contact"]["id"] == personas.contact_public_ids["petr"]
    fresh = await _create(
        client,
        personas.support_agent,
        subject="Hello",
        department=personas.department_public_ids["support"],
        contact_email="nova@zakaznice.cz",
        contact_name="Nová Zákaznice",
    )
    assert fresh.status_code == 201, fresh.text
    assert fresh.json()["contact"]["name"] == "Nová Zákaznice"
    contact = await client.get(
        f"/api/v1/contacts/{fresh.json()['contact']['id']}", headers=bearer(personas.support_agent)
    )
    assert contact.status_code == 200
    history = await client.get(
        f"/api/v1/tickets/{ticket['code']}/history", headers=bearer(personas.support_agent)
    )
    assert [item["action"] for item in history.json()["items"]] == ["created"]
    assert history.json()["items"][0]["actor"] == "Sára Nováková"


async def test_create_refusals_name_the_field_and_write_nothing(
    client: Client, personas: Personas, db: Database
) -> None:
    async def count() -> int:
        async with db.read_session() as session:
            return int((await session.execute(select(func.count()).select_from(Ticket))).scalar_one())

    before = await count()
    support, sales = personas.department_public_ids["support"], personas.department_public_ids["sales"]
    karel = personas.contact_public_ids["karel"]
    cases = [
        ({"subject": "x", "department": sales, "contact": karel}, 403, None),
        ({"subject": "x", "department": "dp_nope", "contact": karel}, 422, "department"),
        ({"subject": "x", "department": support, "contact_email": "not-an-email"}, 422, "contact_email"),
        ({"subject": "x", "department": support}, 422, "contact"),
        (
            {"subject": "x", "department": support, "contact": personas.contact_public_ids["petr"]},
            422,
            "contact",
        ),
        ({"subject": "x" * 501, "department": support, "contact": karel}, 422, "subject"),
        ({"subject": "x", "department": support, "contact": karel, "priority": "asap"}, 422, "priority"),
        ({"subject": "x", "department": support, "contact": karel, "colour": "red"}, 422, "colour"),
        (
            {
                "subject": "x",
                "department": support,
                "contact": karel,
                "assignee": personas.sales_agent.public_id,
            },
            422,
            "assignee_id",
        ),
    ]
    for body, status, field in cases:
        response = await _create(client, personas.support_agent, **body)
        assert response.status_code == status, (body, response.text)
        if field:
            assert field in response.json()["error"]["fields"], (body, response.text)
    assert await count() == before


async def test_lists_show_only_what_the_agent_may_see_and_filter(client: Client, personas: Personas) -> None:
    karel, eva, hana = (personas.ticket_codes[n] for n in ("karel", "eva", "hana"))
    assert set(await _codes(client, personas.support_agent)) == {karel}
    assert set(await _codes(client, personas.sales_reader)) == {eva, hana}
    assert set(await _codes(client, personas.admin)) == {karel, eva, hana}
    urgent = await _new(client, personas, "Server down", priority="urgent")
    mine = await _new(client, personas, "Mine", assignee=personas.support_agent.public_id)
    admin = personas.admin
    assert await _codes(client, admin, "priority=urgent") == [urgent]
    assert set(await _codes(client, personas.support_agent, "assignee=me")) == {mine}
    assert mine not in await _codes(client, admin, "assignee=unassigned")
    assert await _codes(client, admin, f"assignee={personas.support_agent.public_id}") == [mine]
    sales = personas.department_public_ids["sales"]
    assert set(await _codes(client, admin, f"department={sales}")) == {eva, hana}
    assert set(await _codes(client, admin, f"company={personas.company_public_ids['acme']}")) == {
        karel,
        eva,
        urgent,
        mine,
    }
    assert await _codes(client, admin, f"contact={personas.contact_public_ids['hana']}") == [hana]
    assert set(await _codes(client, admin, "status=new&status=open")) == {karel, eva, hana, urgent, mine}
    bad = await client.get("/api/v1/tickets?status=sleeping", headers=bearer(admin))
    assert bad.status_code == 422
    assert "status" in bad.json()["error"]["fields"]
    bad = await client.get("/api/v1/tickets?sort=random", headers=bearer(admin))
    assert bad.status_code == 422
    assert "sort" in bad.json()["error"]["fields"]
    assert (
        await _codes(client, admin, "created_from=2000-01-01T00:00:00Z&created_to=2000-01-02T00:00:00Z") == []
    )


async def test_importance_order_and_keyset_pages(client: Client, personas: Personas, db: Database) -> None:
    frozen = FrozenClock()
    previous = clock.use_clock(frozen)
    try:
        made: dict[str, str] = {}
        for name, priority in [
            ("a", "low"),
            ("b", "urgent"),
            ("c", "normal"),
            ("d", "urgent"),
            ("e", "high"),
        ]:
            made[name] = await _new(client, personas, name, priority=priority)
            frozen.advance(minutes=1)
        async with unit_of_work(db, system_actor(Origin.SYSTEM)) as uow:  # an SLA due time beats priority
            ticket = (await uow.session.execute(select(Ticket).where(Ticket.code == made["a"]))).scalar_one()
            ticket.sla_due_at = frozen.now() + timedelta(hours=1)
    finally:
        clock.use_clock(previous)
    expected = [made["a"], made["b"], made["d"], made["e"], made["c"], personas.ticket_codes["karel"]]
    seen: list[str] = []
    cursor = ""
    for _ in range(10):
        response = await client.get(
            f"/api/v1/tickets?limit=2{cursor}", headers=bearer(personas.support_agent)
        )
        page = response.json()
        seen += [item["code"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == expected
    by_activity = await _codes(client, personas.support_agent, "sort=activity&limit=100")
    assert [code for code in by_activity if code in made.values()] == [made[n] for n in "edcba"]
    garbage = await client.get("/api/v1/tickets?cursor=bm9wZQ", headers=bearer(personas.support_agent))
    assert garbage.status_code == 422
    assert "cursor" in garbage.json()["error"]["fields"]


async def test_a_page_costs_the_same_number_of_queries_whatever_its_size(
    client: Client, personas: Personas, db: Database
) -> None:
    for n in range(8):
        await _new(
            client,
            personas,
            f"T{n}",
            cc=[personas.contact_public_ids["karel"]],
            assignee=personas.support_agent.public_id,
        )
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    headers = bearer(personas.admin)
    await client.get("/api/v1/tickets?limit=1", headers=headers)
    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        statements.clear()
        small = await client.get("/api/v1/tickets?sort=activity&limit=2", headers=headers)
        small_count = len(statements)
        statements.clear()
        large = await client.get("/api/v1/tickets?sort=activity&limit=10", headers=headers)
        large_count = len(statements)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert len(small.json()["items"]) == 2
    assert len(large.json()["items"]) == 10
    assert small_count == large_count, statements
    assert large_count <= 12, statements


async def test_counts_per_status_follow_visibility(client: Client, personas: Personas) -> None:
    code = await _new(client, personas, "To resolve")
    assert (await _status(client, personas.support_agent, code, "resolved")).status_code == 200
    counts = (await client.get("/api/v1/tickets/counts", headers=bearer(personas.support_agent))).json()[
        "counts"
    ]
    assert counts["new"] == 1
    assert counts["resolved"] == 1
    assert counts["spam"] == 0
    admin = (await client.get("/api/v1/tickets/counts", headers=bearer(personas.admin))).json()["counts"]
    assert admin["new"] == 3
    assert admin["resolved"] == 1
    assert "init" not in admin


async def test_assign_rules_and_transfer_counting(client: Client, personas: Personas) -> None:
    code = personas.ticket_codes["karel"]
    sara, viktor = personas.support_agent, personas.support_supervisor

    async def assign(who: Person, agent: Person) -> Any:
        return await client.post(
            f"/api/v1/tickets/{code}/assign", json={"agent": agent.public_id}, headers=bearer(who)
        )

    taken = await assign(sara, sara)
    assert taken.status_code == 200
    assert taken.json()["assignee"] == sara.public_id
    assert taken.json()["metrics"]["first_assigned_at"] is not None
    assert taken.json()["metrics"]["transfer_count"] == 0
    assert (await assign(sara, viktor)).status_code == 403  # only supervisors hand tickets to others
    handed = await assign(viktor, viktor)  # a supervisor takes it over: a transfer between agents
    assert handed.status_code == 200
    assert handed.json()["metrics"]["transfer_count"] == 1
    assert (await client.post(f"/api/v1/tickets/{code}/unassign", headers=bearer(sara))).status_code == 403
    assert (await assign(viktor, personas.sales_agent)).status_code == 422
    moved = await client.post(
        f"/api/v1/tickets/{code}/transfer",
        json={"department": personas.department_public_ids["sales"], "agent": personas.sales_agent.public_id},
        headers=bearer(viktor),
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["department"] == personas.department_public_ids["sales"]
    assert moved.json()["metrics"]["transfer_count"] == 2
    # Viktor no longer sees it (not in Sales); Sándor does and works it.
    assert (await client.get(f"/api/v1/tickets/{code}", headers=bearer(viktor))).status_code == 404
    assert (
        await client.get(f"/api/v1/tickets/{code}", headers=bearer(personas.sales_agent))
    ).status_code == 200
    read_only = await client.post(f"/api/v1/tickets/{code}/unassign", headers=bearer(personas.sales_reader))
    assert read_only.status_code == 403
    same = await client.post(
        f"/api/v1/tickets/{code}/transfer",
        json={"department": personas.department_public_ids["sales"]},
        headers=bearer(personas.sales_agent),
    )
    assert same.status_code == 422
    assert "department_id" in same.json()["error"]["fields"]


async def test_status_moves_follow_the_table(client: Client, personas: Personas) -> None:
    sara = personas.support_agent
    code = await _new(client, personas, "Lifecycle")
    refused = await _status(client, sara, code, "open")  # new → open is not a move the table has
    assert refused.status_code == 409
    assert "status" in refused.json()["error"]["fields"]
    resolved = await _status(client, sara, code, "resolved")
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["metrics"]["resolved_at"]
    reopened = await _status(client, sara, code, "open")
    assert reopened.json()["status"] == "open"
    assert reopened.json()["metrics"]["reopen_count"] == 1
    await _status(client, sara, code, "resolved")
    closed = await _status(client, sara, code, "closed")
    assert closed.json()["status"] == "closed"
    locked = await _status(client, sara, code, "open")
    assert locked.status_code == 409
    assert "locked" in locked.json()["error"]["message"]
    assert (await _status(client, sara, code, "spam")).json()["status"] == "spam"
    assert code not in await _codes(client, sara)
    assert code in await _codes(client, sara, "category=trash")
    restored = await client.post(f"/api/v1/tickets/{code}/restore", headers=bearer(sara))
    assert restored.json()["status"] == "closed"
    again = await client.post(f"/api/v1/tickets/{code}/restore", headers=bearer(sara))
    assert again.status_code == 409
    by_reader = await _status(client, personas.sales_reader, personas.ticket_codes["eva"], "resolved")
    assert by_reader.status_code == 403
    invisible = await _status(client, sara, personas.ticket_codes["eva"], "resolved")
    assert invisible.status_code == 404
    actions = [
        item["after"]
        for item in (await client.get(f"/api/v1/tickets/{code}/history", headers=bearer(sara))).json()[
            "items"
        ]
        if item["action"] == "status_changed"
    ]
    assert [a["status"] for a in reversed(actions)] == [
        "resolved",
        "open",
        "resolved",
        "closed",
        "spam",
        "closed",
    ]


async def test_postpone_wakes_to_open_and_resolved_tickets_close_after_n_days(
    client: Client, personas: Personas, db: Database, frozen_clock: FrozenClock
) -> None:
    sara = personas.support_agent
    code = await _new(client, personas, "Later")
    past = await client.post(
        f"/api/v1/tickets/{code}/postpone", json={"until": "2001-01-01T00:00:00Z"}, headers=bearer(sara)
    )
    assert past.status_code == 422
    assert "until" in past.json()["error"]["fields"]
    until = (frozen_clock.now() + timedelta(hours=2)).isoformat()
    postponed = await client.post(
        f"/api/v1/tickets/{code}/postpone", json={"until": until}, headers=bearer(sara)
    )
    assert postponed.json()["status"] == "postponed"
    assert postponed.json()["postponed_until"]
    async with unit_of_work(db, system_actor()) as uow:
        assert await status_actions.wake_postponed_tickets(uow) == []
    frozen_clock.advance(hours=2, seconds=1)
    async with unit_of_work(db, system_actor()) as uow:
        woken = await status_actions.wake_postponed_tickets(uow)
    assert len(woken) == 1
    shown = (await client.get(f"/api/v1/tickets/{code}", headers=bearer(sara))).json()
    assert shown["status"] == "open"
    assert shown["postponed_until"] is None
    await _status(client, sara, code, "resolved")
    frozen_clock.advance(days=6)
    async with unit_of_work(db, system_actor()) as uow:
        assert await status_actions.close_resolved_tickets(uow, after_days=7) == []
    frozen_clock.advance(days=1, seconds=1)
    async with unit_of_work(db, system_actor()) as uow:
        assert len(await status_actions.close_resolved_tickets(uow, after_days=7)) == 1
    assert (await client.get(f"/api/v1/tickets/{code}", headers=bearer(sara))).json()["status"] == "closed"


async def test_purge_is_for_owners_and_leaves_nothing(
    client: Client, personas: Personas, db: Database
) -> None:
    code = await _new(client, personas, "Secret")
    async with db.read_session() as session:
        ticket_id = (await session.execute(select(Ticket.id).where(Ticket.code == code))).scalar_one()
    purge = {"codes": [code]}
    assert (
        await client.post("/api/v1/tickets/purge", json=purge, headers=bearer(personas.admin))
    ).status_code == 403
    not_trash = await client.post("/api/v1/tickets/purge", json=purge, headers=bearer(personas.owner))
    assert not_trash.status_code == 409
    assert code in not_trash.json()["error"]["message"]
    upload = await client.post(
        f"/api/v1/tickets/{code}/attachments",
        files={"file": ("smlouva.pdf", b"%PDF-1.4 secret contract", "application/pdf")},
        headers=bearer(personas.support_agent),
    )
    assert upload.status_code == 201, upload.text
    blobs = client.app.state.runtime.blobs
    stored = [path for path in blobs.root.rglob("*") if path.is_file()]
    assert len(stored) == 1
    await _status(client, personas.support_agent, code, "deleted")
    done = await client.post("/api/v1/tickets/purge", json=purge, headers=bearer(personas.owner))
    assert done.status_code == 200
    assert done.json() == {"purged": [code]}
    assert (await client.get(f"/api/v1/tickets/{code}", headers=bearer(personas.owner))).status_code == 404
    async with db.read_session() as session:
        assert (await session.execute(select(Ticket).where(Ticket.id == ticket_id))).first() is None
        entries = (
            (
                await session.execute(
                    select(HistoryEntry).where(
                        HistoryEntry.entity_type == "ticket", HistoryEntry.entity_id == ticket_id
                    )
                )
            )
            .scalars()
            .all()
        )
    assert [(e.action, e.before) for e in entries] == [("purged", {"code": code})]
    assert not stored[0].exists()  # the attachment's file went with it


async def test_next_ticket_hands_out_the_most_important_one(client: Client, personas: Personas) -> None:
    sara = personas.support_agent
    urgent = await _new(client, personas, "Urgent", priority="urgent")
    high = await _new(client, personas, "High", priority="high")
    await _new(
        client, personas, "Someone's", priority="urgent", assignee=personas.support_supervisor.public_id
    )
    taken = []
    for _ in range(4):
        response = await client.post("/api/v1/tickets/next", headers=bearer(sara))
        assert response.status_code == 200, response.text
        ticket = response.json()["ticket"]
        taken.append(ticket["code"] if ticket else None)
        if ticket:
            assert ticket["assignee"] == sara.public_id
    assert taken == [urgent, high, personas.ticket_codes["karel"], None]
    reader = await client.post("/api/v1/tickets/next", headers=bearer(personas.sales_reader))
    assert reader.json() == {"ticket": None}  # readers never get work handed to them


async def test_mass_action_reports_each_ticket(client: Client, personas: Personas) -> None:
    mine = await _new(client, personas, "One")
    response = await client.post(
        "/api/v1/tickets/mass",
        json={"codes": [mine, personas.ticket_codes["eva"]], "action": "status", "status": "resolved"},
        headers=bearer(personas.support_agent),
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0] == {"code": mine, "ok": True, "error": None}
    assert results[1]["ok"] is False
    assert results[1]["error"]["error"]["code"] == "not_found"
    shown = await client.get(f"/api/v1/tickets/{mine}", headers=bearer(personas.support_agent))
    assert shown.json()["status"] == "resolved"
    eva = await client.get(f"/api/v1/tickets/{personas.ticket_codes['eva']}", headers=bearer(personas.admin))
    assert eva.json()["status"] == "new"


async def test_search_combines_with_filters_and_visibility(client: Client, personas: Personas) -> None:
    sara, admin = personas.support_agent, personas.admin
    printer = await _new(client, personas, "Tiskárny v kanceláři nefungují", priority="high")
    assert set(await _codes(client, sara, "q=tiskarna")) == {printer, personas.ticket_codes["karel"]}
    assert await _codes(client, sara, "q=tiskarna&priority=high") == [printer]
    # Hana's Hungarian ticket is in Sales: the admin finds it by a folded stem, Sára never does.
    assert await _codes(client, admin, "q=szamla") == [personas.ticket_codes["hana"]]
    assert await _codes(client, sara, "q=szamla") == []
    empty = await client.get("/api/v1/tickets?q=%22%2A%22", headers=bearer(sara))
    assert empty.status_code == 422
    assert "q" in empty.json()["error"]["fields"]
    no_q = await client.get("/api/v1/tickets?sort=relevance", headers=bearer(sara))
    assert no_q.status_code == 422


async def test_custom_fields_on_create_in_lists_and_through_purge(
    client: Client, personas: Personas, db: Database
) -> None:
    admin, sara = bearer(personas.admin), bearer(personas.support_agent)
    for body in (
        {
            "entity": "ticket",
            "key": "plan",
            "label": "Plan",
            "kind": "select",
            "options": ["Basic", "Pro"],
            "required": True,
        },
        {"entity": "ticket", "key": "seats", "label": "Seats", "kind": "number"},
    ):
        assert (await client.post("/api/v1/custom-fields", json=body, headers=admin)).status_code == 201
    base = {
        "subject": "Fields",
        "department": personas.department_public_ids["support"],
        "contact": personas.contact_public_ids["karel"],
    }
    missing = await client.post("/api/v1/tickets", json=base, headers=sara)
    assert missing.status_code == 422
    assert "fields.plan" in missing.json()["error"]["fields"]
    wrong = await client.post("/api/v1/tickets", json={**base, "fields": {"plan": "Gold"}}, headers=sara)
    assert wrong.status_code == 422
    assert "fields.plan" in wrong.json()["error"]["fields"]
    assert (
        await _codes(client, personas.support_agent, "q=fields") == []
    )  # the refused creations left nothing
    pro = await client.post(
        "/api/v1/tickets", json={**base, "fields": {"plan": "Pro", "seats": 12}}, headers=sara
    )
    assert pro.status_code == 201, pro.text
    assert pro.json()["fields"] == {"plan": "Pro", "seats": 12}
    basic = await client.post(
        "/api/v1/tickets", json={**base, "fields": {"plan": "Basic", "seats": 3}}, headers=sara
    )
    pro_code, basic_code = pro.json()["code"], basic.json()["code"]
    assert await _codes(client, personas.support_agent, "field=plan:Pro") == [pro_code]
    assert await _codes(client, personas.support_agent, "field=seats:10..20") == [pro_code]
    assert set(await _codes(client, personas.support_agent, "field=plan:Pro&field=plan:Basic")) == {
        pro_code,
        basic_code,
    }
    unknown = await client.get("/api/v1/tickets?field=colour:red", headers=sara)
    assert unknown.status_code == 422
    assert "fields.colour" in unknown.json()["error"]["fields"]
    # Purging removes the values too (they have no foreign key to cascade).
    await _status(client, personas.support_agent, basic_code, "deleted")
    purged = await client.post(
        "/api/v1/tickets/purge", json={"codes": [basic_code]}, headers=bearer(personas.owner)
    )
    assert purged.status_code == 200
    async with db.read_session() as session:
        from linka.domains.fields.models import FieldValue

        left = (await session.execute(select(func.count()).select_from(FieldValue))).scalar_one()
    assert left == 2  # Pro's plan and seats only


async def test_a_custom_status_moves_the_ticket_to_its_category(client: Client, personas: Personas) -> None:
    made = await client.post(
        "/api/v1/ticket-statuses",
        json={"name": "Waiting for parts", "category": "answered", "translations": {"cs": "Čeká na díly"}},
        headers=bearer(personas.admin),
    )
    assert made.status_code == 201, made.text
    custom = made.json()["id"]
    code = personas.ticket_codes["karel"]
    moved = await client.post(
        f"/api/v1/tickets/{code}/status",
        json={"custom_status": custom},
        headers=bearer(personas.support_agent),
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "answered"
    assert moved.json()["custom_status"] == custom
    plain = await _status(client, personas.support_agent, code, "resolved")
    assert plain.json()["custom_status"] is None
    both = await client.post(
        f"/api/v1/tickets/{code}/status",
        json={"status": "open", "custom_status": custom},
        headers=bearer(personas.support_agent),
    )
    assert both.status_code == 422


async def test_a_nul_character_in_the_query_or_path_is_a_clear_422(
    client: Client, personas: Personas
) -> None:
    for url in (
        "/api/v1/tickets/counts?assignee=a%00b",
        "/api/v1/tickets?view=vw_%00",
        "/api/v1/tickets/AB%00C",
    ):
        response = await client.get(url, headers=bearer(personas.support_agent))
        assert response.status_code == 422, (url, response.text)
        assert set(response.json()["error"]["fields"]) <= {"query", "path"}


async def test_transfers_resolves_and_postponements_leave_a_line_in_the_thread(
    client: Client, personas: Personas, frozen_clock: FrozenClock
) -> None:
    code, viktor = personas.ticket_codes["karel"], bearer(personas.support_supervisor)
    until = (frozen_clock.now() + timedelta(days=1)).isoformat()
    assert (
        await client.post(f"/api/v1/tickets/{code}/postpone", json={"until": until}, headers=viktor)
    ).status_code == 200
    assert (await _status(client, personas.support_supervisor, code, "resolved")).status_code == 200
    moved = await client.post(
        f"/api/v1/tickets/{code}/transfer",
        json={"department": personas.department_public_ids["sales"], "agent": personas.sales_agent.public_id},
        headers=viktor,
    )
    assert moved.status_code == 200
    thread = await client.get(f"/api/v1/tickets/{code}/thread", headers=bearer(personas.admin))
    lines = [(group["kind"], group["messages"][0]["body"]) for group in thread.json()["items"]]
    assert lines == [
        ("postpone", f"Postponed by Viktor Dvořák until {until[:16]}+00:00"),
        ("resolve", "Resolved by Viktor Dvořák"),
        ("transfer", "Transferred from Support to Sales, to Sándor Kovács"),
    ]
    assert all(group["is_internal"] for group in thread.json()["items"])
