"""The contacts API: visibility (404, never 403, for what you may not see), writes, merge, pages, errors."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import AppClient, bearer
from tests.personas import Personas

Client = AppClient
API = "/api/v1"


async def _ids(client: Client, headers: dict[str, str], **params: Any) -> list[str]:
    response = await client.get(f"{API}/contacts", headers=headers, params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_visibility_matrix(client: Client, personas: Personas) -> None:
    ids = personas.contact_public_ids
    expected = {
        "admin": set(ids.values()),
        "owner": set(ids.values()),
        "support_agent": {ids["karel"]},
        "sales_agent": {ids["eva"], ids["hana"]},
        "sales_reader": {ids["eva"], ids["hana"]},
    }
    for who, visible in expected.items():
        headers = bearer(getattr(personas, who))
        assert set(await _ids(client, headers)) == visible, who
        for public_id in ids.values():
            detail = await client.get(f"{API}/contacts/{public_id}", headers=headers)
            if public_id in visible:
                assert detail.status_code == 200, (who, detail.text)
                assert detail.json()["id"] == public_id
            else:
                assert detail.status_code == 404, (who, detail.text)
                assert detail.json()["error"]["code"] == "not_found"
    karel = (
        await client.get(f"{API}/contacts/{ids['karel']}", headers=bearer(personas.support_agent))
    ).json()
    assert karel["emails"] == ["karel@acme.test"]
    assert karel["phones"] == ["+420 601 111 222"]
    assert karel["company"] == {"id": personas.company_public_ids["acme"], "name": "Acme s.r.o."}
    assert karel["language"] == "cs"
    # Searching and filtering never widen what an agent sees.
    support = bearer(personas.support_agent)
    assert await _ids(client, support, q="acme") == [ids["karel"]]
    assert await _ids(client, support, email="eva@acme.test") == []
    assert await _ids(client, support, company=personas.company_public_ids["acme"]) == [ids["karel"]]
    assert await _ids(client, bearer(personas.admin), email="EVA@acme.test") == [ids["eva"]]
    assert await _ids(client, bearer(personas.admin), q="NOVÁK") == [ids["karel"]]


async def test_agent_creates_sees_and_edits_own_contact(client: Client, personas: Personas) -> None:
    support = bearer(personas.support_agent)
    created = await client.post(
        f"{API}/contacts",
        headers=support,
        json={
            "name": "Ota Nový",
            "emails": ["Ota@Acme.test"],
            "phones": ["+420 700 000 001"],
            "language": "cs",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"].startswith("ct_")
    assert body["emails"] == ["ota@acme.test"]
    assert body["company"]["id"] == personas.company_public_ids["acme"]  # joined by its domain
    assert body["id"] in await _ids(client, support)
    assert (
        await client.get(f"{API}/contacts/{body['id']}", headers=bearer(personas.sales_agent))
    ).status_code == 404
    changed = await client.patch(
        f"{API}/contacts/{body['id']}",
        headers=support,
        json={"emails": ["ota@example.cz"], "company": None, "notes": "moved away"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["emails"] == ["ota@example.cz"]
    assert changed.json()["company"] is None
    assert changed.json()["name"] == "Ota Nový"  # untouched
    hidden = await client.patch(
        f"{API}/contacts/{personas.contact_public_ids['eva']}", headers=support, json={"name": "x"}
    )
    assert hidden.status_code == 404


async def test_duplicate_email_is_409_naming_emails(client: Client, personas: Personas) -> None:
    admin = bearer(personas.admin)
    before = await _ids(client, admin)
    response = await client.post(
        f"{API}/contacts", headers=admin, json={"name": "Dup", "emails": ["HANA@example.hu"]}
    )
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "conflict"
    assert "emails" in response.json()["error"]["fields"]
    assert await _ids(client, admin) == before


async def test_bad_input_names_the_field_and_writes_nothing(client: Client, personas: Personas) -> None:
    admin = bearer(personas.admin)
    before = await _ids(client, admin)
    cases = [
        ({"name": "X", "emails": ["nope"]}, "emails"),
        ({"name": "X", "language": "de"}, "language"),
        ({"name": "X", "phones": ["call me maybe"]}, "phones"),
        ({"name": "X", "company": "co_doesnotexist"}, "company"),
        ({"name": "X", "colour": "red"}, "colour"),
        ({"name": "X" * 201}, "name"),
        ({"emails": [], "name": ""}, "name"),
    ]
    for body, field in cases:
        response = await client.post(f"{API}/contacts", headers=admin, json=body)
        assert response.status_code == 422, (body, response.text)
        fields = response.json()["error"]["fields"]
        assert any(re.split(r"[.\[]", key)[0] == field for key in fields), (body, fields)
    assert await _ids(client, admin) == before
    for params, field in [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"cursor": "garbage!"}, "cursor"),
    ]:
        response = await client.get(f"{API}/contacts", headers=admin, params=params)
        assert response.status_code in (400, 422), response.text
        assert field in response.text
    assert (await client.get(f"{API}/contacts/ct_000000000000", headers=admin)).status_code == 404
    assert (await client.get(f"{API}/contacts/%00", headers=admin)).status_code == 422  # NUL: refused early
    assert (await client.get(f"{API}/contacts", headers=admin, params={"q": "a\x00b"})).status_code == 422


async def test_read_scope_key_cannot_write(client: Client, personas: Personas) -> None:
    read = bearer(personas.read_key)
    before = await _ids(client, read)
    assert len(before) == 4  # the read key belongs to the admin: it sees everything
    hana = personas.contact_public_ids["hana"]
    petr = personas.contact_public_ids["petr"]
    attempts = [
        await client.post(f"{API}/contacts", headers=read, json={"name": "Nope"}),
        await client.patch(f"{API}/contacts/{hana}", headers=read, json={"name": "Nope"}),
        await client.delete(f"{API}/contacts/{petr}", headers=read),
        await client.post(
            f"{API}/contacts/{hana}/merge", headers=read, json={"into": personas.contact_public_ids["eva"]}
        ),
    ]
    assert [response.status_code for response in attempts] == [403] * 4
    assert await _ids(client, read) == before
    assert (await client.get(f"{API}/contacts/{hana}", headers=read)).json()["name"] == "Hana Szabó"


async def test_delete(client: Client, personas: Personas) -> None:
    admin = bearer(personas.admin)
    with_tickets = await client.delete(
        f"{API}/contacts/{personas.contact_public_ids['karel']}", headers=admin
    )
    assert with_tickets.status_code == 409
    assert "ticket" in with_tickets.json()["error"]["message"]
    created = (
        await client.post(f"{API}/contacts", headers=bearer(personas.support_agent), json={"name": "Tmp"})
    ).json()
    by_agent = await client.delete(f"{API}/contacts/{created['id']}", headers=bearer(personas.support_agent))
    assert by_agent.status_code == 403
    gone = await client.delete(f"{API}/contacts/{personas.contact_public_ids['petr']}", headers=admin)
    assert gone.status_code == 204
    assert (
        await client.get(f"{API}/contacts/{personas.contact_public_ids['petr']}", headers=admin)
    ).status_code == 404


async def test_merge(client: Client, personas: Personas) -> None:
    admin = bearer(personas.admin)
    ids = personas.contact_public_ids
    itself = await client.post(f"{API}/contacts/{ids['eva']}/merge", headers=admin, json={"into": ids["eva"]})
    assert itself.status_code == 422
    assert "into" in itself.json()["error"]["fields"]
    unknown = await client.post(
        f"{API}/contacts/{ids['eva']}/merge", headers=admin, json={"into": "ct_000000000000"}
    )
    assert unknown.status_code == 422
    assert "into" in unknown.json()["error"]["fields"]
    # The Support agent cannot merge Karel into Eva: she does not see Eva.
    hidden = await client.post(
        f"{API}/contacts/{ids['karel']}/merge",
        headers=bearer(personas.support_agent),
        json={"into": ids["eva"]},
    )
    assert hidden.status_code == 422
    merged = await client.post(
        f"{API}/contacts/{ids['hana']}/merge", headers=admin, json={"into": ids["eva"]}
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["id"] == ids["eva"]
    assert merged.json()["emails"] == ["eva@acme.test", "hana@example.hu"]
    assert (await client.get(f"{API}/contacts/{ids['hana']}", headers=admin)).status_code == 404
    assert await _ids(client, admin, email="hana@example.hu") == [ids["eva"]]
    # Hana's Sales ticket now belongs to Eva: the Sales reader still sees Eva, and only her.
    assert set(await _ids(client, bearer(personas.sales_reader))) == {ids["eva"]}


async def test_keyset_pagination_covers_everything_once(client: Client, personas: Personas) -> None:
    admin = bearer(personas.admin)
    for n in range(9):
        response = await client.post(
            f"{API}/contacts", headers=admin, json={"name": f"Page {n}", "emails": [f"p{n}@x.test"]}
        )
        assert response.status_code == 201
    everything = await _ids(client, admin)
    assert len(everything) == 13
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        response = await client.get(f"{API}/contacts", headers=admin, params=params)
        assert response.status_code == 200
        page = response.json()
        assert len(page["items"]) <= 4
        seen.extend(item["id"] for item in page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 4
    assert seen == everything
    assert len(set(seen)) == len(seen)


async def test_bad_patch_changes_nothing(client: Client, personas: Personas) -> None:
    admin = bearer(personas.admin)
    hana = personas.contact_public_ids["hana"]
    before = (await client.get(f"{API}/contacts/{hana}", headers=admin)).json()
    for body, status, field in [
        ({"name": "Hana", "emails": ["karel@acme.test"]}, 409, "emails"),
        ({"name": "Hana", "emails": ["broken"]}, 422, "emails"),
        ({"language": "sk"}, 422, "language"),
        ({"company": "co_000000000000"}, 422, "company"),
        ({"emails": None}, 422, "emails"),
    ]:
        response = await client.patch(f"{API}/contacts/{hana}", headers=admin, json=body)
        assert response.status_code == status, (body, response.text)
        assert any(re.split(r"[.\[]", key)[0] == field for key in response.json()["error"]["fields"]), body
    assert (await client.get(f"{API}/contacts/{hana}", headers=admin)).json() == before
