"""The answers API: managing canned messages and predefined answers per scope, listing those one may
use (filters, keyset pages, a constant number of queries), rendering one for a ticket, and 4xx bodies
that name the field."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func, select

from linka.core.db import Database
from linka.domains.answers.models import Answer
from tests.conftest import AppClient, bearer
from tests.personas import Personas

API = "/api/v1"
CANNED = {"kind": "canned", "name": "Thanks", "shortcut": "thanks", "body_html": "<p>Thanks!</p>"}


async def _create(client: AppClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post(f"{API}/answers", json={**CANNED, **body}, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _count(db: Database) -> int:
    async with db.read_session() as session:
        return int((await session.execute(select(func.count()).select_from(Answer))).scalar_one())


async def _names(client: AppClient, headers: dict[str, str], params: str = "") -> list[str]:
    response = await client.get(f"{API}/answers?{params}", headers=headers)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


async def test_an_agent_manages_and_uses_a_personal_canned_message(
    client: AppClient, db: Database, personas: Personas
) -> None:
    sara = bearer(personas.support_agent)
    created = await _create(
        client,
        sara,
        name="Díky",
        shortcut="/Diky",
        body_html="<p>Dobrý den {contact.first_name},<script>x()</script> díky!</p><p>{agent.first_name}</p>",
        language="cs",
    )
    assert created["id"].startswith("an_")
    assert {key: created[key] for key in ("kind", "name", "shortcut", "subject", "language", "scope")} == {
        "kind": "canned",
        "name": "Díky",
        "shortcut": "diky",
        "subject": None,
        "language": "cs",
        "scope": "personal",
    }
    assert created["body_html"] == "<p>Dobrý den {contact.first_name}, díky!</p><p>{agent.first_name}</p>"
    assert (created["owner"], created["created_by"], created["department"]) == (
        personas.support_agent.public_id,
        personas.support_agent.public_id,
        None,
    )
    assert created["can_manage"] is True
    url = f"{API}/answers/{created['id']}"
    assert (await client.get(url, headers=sara)).json() == created
    assert await _names(client, sara) == ["Díky"]

    code = personas.ticket_codes["karel"]
    rendered = await client.post(f"{API}/tickets/{code}/answers/{created['id']}/render", headers=sara)
    assert rendered.status_code == 200, rendered.text
    assert rendered.json() == {"subject": None, "body_html": "<p>Dobrý den Karel, díky!</p><p>Sára</p>"}

    changed = await client.patch(url, json={"name": "Díky moc", "language": None}, headers=sara)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["language"], changed.json()["shortcut"]) == (
        "Díky moc",
        None,
        "diky",
    )
    gone = await client.delete(url, headers=sara)
    assert gone.status_code == 204
    assert (await client.get(url, headers=sara)).status_code == 404
    assert await _count(db) == 0


async def test_a_predefined_answer_renders_its_subject(client: AppClient, personas: Personas) -> None:
    admin = bearer(personas.admin)
    created = await _create(
        client,
        admin,
        kind="predefined",
        shortcut=None,
        name="Order received",
        subject="Order {ticket.field.nope} for {company.name}",
        body_html='<p><a href="{ticket.url}">{ticket.code}</a></p>',
        scope="global",
    )
    code = personas.ticket_codes["karel"]
    rendered = await client.post(
        f"{API}/tickets/{code}/answers/{created['id']}/render", headers=bearer(personas.support_agent)
    )
    assert rendered.json() == {
        "subject": "Order {ticket.field.nope} for Acme s.r.o.",
        "body_html": f'<p><a href="http://127.0.0.1:8000/tickets/{code}" rel="noopener noreferrer">{code}</a></p>',
    }


async def test_errors_name_the_field(client: AppClient, db: Database, personas: Personas) -> None:
    sara = bearer(personas.support_agent)
    await _create(client, sara)
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"colour": "red"}, 422, "colour"),
        ({"kind": "macro"}, 422, "kind"),
        ({"shortcut": None}, 422, "shortcut"),
        ({"shortcut": "two words"}, 422, "shortcut"),
        ({"subject": "Hello"}, 422, "subject"),
        ({"body_html": "<script>x()</script>"}, 422, "body_html"),
        ({"language": "de"}, 422, "language"),
        ({"name": ""}, 422, "name"),
        ({"scope": "department"}, 422, "department"),
        ({"scope": "department", "department": "dp_nope"}, 422, "department"),
        ({"shortcut": "THANKS"}, 409, "shortcut"),
    ]
    for body, status, field in cases:
        response = await client.post(f"{API}/answers", json={**CANNED, **body}, headers=sara)
        assert response.status_code == status, (body, response.text)
        assert field in response.json()["error"]["fields"], (body, response.json())
    answer_id = (await client.get(f"{API}/answers", headers=sara)).json()["items"][0]["id"]
    for body, field in (({"shortcut": "a b"}, "shortcut"), ({"kind": "predefined"}, "kind")):
        response = await client.patch(f"{API}/answers/{answer_id}", json=body, headers=sara)
        assert response.status_code == 422, response.text
        assert field in response.json()["error"]["fields"]
    listed = await client.get(f"{API}/answers?department=dp_nope", headers=sara)
    assert listed.status_code == 422
    assert "department" in listed.json()["error"]["fields"]
    bad_cursor = await client.get(f"{API}/answers?cursor=garbage", headers=sara)
    assert bad_cursor.status_code == 422
    assert "cursor" in bad_cursor.json()["error"]["fields"]
    assert await _count(db) == 1


async def test_who_may_do_what_per_scope(client: AppClient, db: Database, personas: Personas) -> None:
    sara, viktor = bearer(personas.support_agent), bearer(personas.support_supervisor)
    sandor, admin = bearer(personas.sales_agent), bearer(personas.admin)
    support = personas.department_public_ids["support"]
    personal = await _create(client, sara)
    department = {"scope": "department", "department": support, "name": "Support", "shortcut": "support"}
    refused = await client.post(f"{API}/answers", json={**CANNED, **department}, headers=sara)
    assert refused.status_code == 403
    shared = await _create(client, viktor, **department)
    assert shared["department"] == support
    assert (
        await client.post(f"{API}/answers", json={**CANNED, "scope": "global"}, headers=viktor)
    ).status_code == 403
    # Invisible is not found, for reading and writing; visible but not manageable is forbidden.
    for who in (sandor, admin):
        assert (await client.get(f"{API}/answers/{personal['id']}", headers=who)).status_code == 404
        assert (await client.delete(f"{API}/answers/{personal['id']}", headers=who)).status_code == 404
    assert (await client.get(f"{API}/answers/{shared['id']}", headers=sandor)).status_code == 404
    seen_by_sara = (await client.get(f"{API}/answers/{shared['id']}", headers=sara)).json()
    assert seen_by_sara["can_manage"] is False
    denied = await client.patch(f"{API}/answers/{shared['id']}", json={"name": "Mine"}, headers=sara)
    assert denied.status_code == 403
    assert (await client.delete(f"{API}/answers/{shared['id']}", headers=admin)).status_code == 204
    read_key = {"Authorization": f"Bearer {personas.read_key}"}
    assert (
        await client.post(f"{API}/answers", json={**CANNED, "shortcut": "x"}, headers=read_key)
    ).status_code == 403
    assert await _count(db) == 1


async def test_rendering_needs_both_visible(client: AppClient, personas: Personas) -> None:
    sara, sandor = bearer(personas.support_agent), bearer(personas.sales_agent)
    mine = await _create(client, sara)
    karel, hana = personas.ticket_codes["karel"], personas.ticket_codes["hana"]
    invisible_ticket = await client.post(f"{API}/tickets/{hana}/answers/{mine['id']}/render", headers=sara)
    assert invisible_ticket.status_code == 404
    assert invisible_ticket.json()["error"]["code"] == "not_found"
    invisible_answer = await client.post(f"{API}/tickets/{karel}/answers/{mine['id']}/render", headers=sandor)
    assert invisible_answer.status_code == 404


async def test_listing_filters_and_pages(client: AppClient, personas: Personas) -> None:
    sara, admin = bearer(personas.support_agent), bearer(personas.admin)
    support = personas.department_public_ids["support"]
    sales = personas.department_public_ids["sales"]
    await _create(client, sara, name="A mine", shortcut="mine")
    await _create(client, admin, name="B support", shortcut="sup", scope="department", department=support)
    await _create(client, admin, name="C sales", shortcut="sal", scope="department", department=sales)
    await _create(client, admin, name="D Přivítání", kind="predefined", shortcut=None, scope="global")
    assert await _names(client, sara) == ["A mine", "B support", "D Přivítání"]
    assert await _names(client, sara, "kind=predefined") == ["D Přivítání"]
    assert await _names(client, sara, "q=PRIVIT") == ["D Přivítání"]
    assert await _names(client, sara, "q=%2Fsup") == ["B support"]
    assert await _names(client, admin, f"department={sales}") == ["C sales", "D Přivítání"]
    first = (await client.get(f"{API}/answers?limit=2", headers=sara)).json()
    assert [item["name"] for item in first["items"]] == ["A mine", "B support"]
    second = (await client.get(f"{API}/answers?limit=2&cursor={first['next_cursor']}", headers=sara)).json()
    assert [item["name"] for item in second["items"]] == ["D Přivítání"]
    assert second["next_cursor"] is None


async def test_the_list_loads_in_a_constant_number_of_queries(
    client: AppClient, db: Database, personas: Personas
) -> None:
    admin = bearer(personas.admin)
    support = personas.department_public_ids["support"]
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    async def queries_for_list() -> int:
        await client.get(
            f"{API}/answers", headers=admin
        )  # the key's last use is touched at most once a minute
        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        try:
            statements.clear()
            response = await client.get(f"{API}/answers?limit=100", headers=admin)
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", count)
        assert response.status_code == 200
        return len(statements)

    # One of each kind of owner, so the few rows need every lookup the many do.
    await _create(client, admin, name="first", shortcut="first")
    await _create(client, admin, name="second", shortcut="second", scope="department", department=support)
    few = await queries_for_list()
    for n in range(8):
        scope: dict[str, Any] = (
            {"scope": "department", "department": support} if n % 2 else {"scope": "global"}
        )
        await _create(client, admin, name=f"n{n}", shortcut=f"n{n}", **scope)
    assert await queries_for_list() == few
