"""The draft API: save (PUT replaces), read with who else is drafting, discard; sending drops the
sender's draft; 4xx bodies name the field; invisible tickets are 404, readable-only ones 403."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from linka.core.db import Database
from linka.domains.tickets.draft_models import TicketDraft
from tests.conftest import AppClient, bearer
from tests.personas import Personas

API = "/api/v1"


async def _count(db: Database) -> int:
    async with db.read_session() as session:
        return int((await session.execute(select(func.count()).select_from(TicketDraft))).scalar_one())


async def test_save_read_and_discard_a_draft(client: AppClient, db: Database, personas: Personas) -> None:
    sara, viktor = bearer(personas.support_agent), bearer(personas.support_supervisor)
    code = personas.ticket_codes["karel"]
    url = f"{API}/tickets/{code}/draft"
    assert (await client.get(url, headers=sara)).json() == {"draft": None, "others_drafting": []}
    uploaded = await client.post(
        f"{API}/tickets/{code}/attachments",
        files={"file": ("log.txt", b"error 49", "text/plain")},
        headers=sara,
    )
    attachment = uploaded.json()["id"]
    saved = await client.put(
        url,
        json={
            "kind": "reply",
            "body_html": "<p>Dobrý den<script>x()</script></p>",
            "to": ["karel@acme.test", "ka"],
            "cc": ["boss@acme.test"],
            "attachment_ids": [attachment],
        },
        headers=sara,
    )
    assert saved.status_code == 200, saved.text
    body: dict[str, Any] = saved.json()
    assert {key: body[key] for key in ("ticket", "kind", "body_html", "to", "cc", "bcc", "subject")} == {
        "ticket": code,
        "kind": "reply",
        "body_html": "<p>Dobrý den</p>",
        "to": ["karel@acme.test", "ka"],
        "cc": ["boss@acme.test"],
        "bcc": [],
        "subject": "",
    }
    assert body["attachment_ids"] == [attachment]
    assert (await client.get(url, headers=sara)).json() == {"draft": body, "others_drafting": []}
    # A colleague sees who is writing, not what.
    theirs = (await client.get(url, headers=viktor)).json()
    assert theirs["draft"] is None
    assert [(d["agent"], d["name"], d["kind"]) for d in theirs["others_drafting"]] == [
        (personas.support_agent.public_id, "Sára Nováková", "reply")
    ]
    assert "Dobrý den" not in str(theirs)
    again = await client.put(url, json={"kind": "note", "body_html": "<p>Zavolat</p>"}, headers=sara)
    assert (again.json()["kind"], again.json()["to"], again.json()["attachment_ids"]) == ("note", [], [])
    assert await _count(db) == 1
    assert (await client.delete(url, headers=sara)).status_code == 204
    assert (await client.delete(url, headers=sara)).status_code == 204
    assert await _count(db) == 0


async def test_sending_a_reply_drops_the_draft(client: AppClient, db: Database, personas: Personas) -> None:
    sara, viktor = bearer(personas.support_agent), bearer(personas.support_supervisor)
    code = personas.ticket_codes["karel"]
    await client.put(f"{API}/tickets/{code}/draft", json={"body_html": "<p>Dobrý den</p>"}, headers=sara)
    await client.put(f"{API}/tickets/{code}/draft", json={"body_html": "<p>Já taky</p>"}, headers=viktor)
    reply = await client.post(f"{API}/tickets/{code}/replies", json={"text": "Dobrý den"}, headers=sara)
    assert reply.status_code == 201, reply.text
    assert (await client.get(f"{API}/tickets/{code}/draft", headers=sara)).json()["draft"] is None
    assert (await client.get(f"{API}/tickets/{code}/draft", headers=viktor)).json()["draft"] is not None
    assert await _count(db) == 1


async def test_errors_name_the_field(client: AppClient, db: Database, personas: Personas) -> None:
    sara = bearer(personas.support_agent)
    url = f"{API}/tickets/{personas.ticket_codes['karel']}/draft"
    for body, field in (
        ({"kind": "chat"}, "kind"),
        ({"colour": "red"}, "colour"),
        ({"to": "karel@acme.test"}, "to"),
        ({"attachment_ids": ["at_000000000000"]}, "attachment_ids"),
        ({"subject": "s" * 501}, "subject"),
        ({"bcc": ["a@b.cz"] * 21}, "bcc"),
    ):
        response = await client.put(url, json=body, headers=sara)
        assert response.status_code == 422, (body, response.text)
        assert field in response.json()["error"]["fields"], (body, response.json())
    assert await _count(db) == 0


async def test_invisible_is_not_found_and_readable_is_forbidden(
    client: AppClient, db: Database, personas: Personas
) -> None:
    sara, rita = bearer(personas.support_agent), bearer(personas.sales_reader)
    hana = f"{API}/tickets/{personas.ticket_codes['hana']}/draft"
    for method in ("GET", "PUT", "DELETE"):
        response = await client.request(method, hana, json={"body_html": "<p>x</p>"}, headers=sara)
        assert response.status_code == 404, (method, response.text)
        assert response.json()["error"]["code"] == "not_found"
    eva = f"{API}/tickets/{personas.ticket_codes['eva']}/draft"
    assert (await client.get(eva, headers=rita)).status_code == 200
    forbidden = await client.put(eva, json={"body_html": "<p>x</p>"}, headers=rita)
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "forbidden"
    read_key = {"Authorization": f"Bearer {personas.read_key}"}
    karel = f"{API}/tickets/{personas.ticket_codes['karel']}/draft"
    assert (await client.put(karel, json={}, headers=read_key)).status_code == 403
    assert await _count(db) == 0
