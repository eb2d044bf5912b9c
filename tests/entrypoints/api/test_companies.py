"""The companies API: visible through their contacts, writes need manage_contacts, domains are unique."""

from __future__ import annotations

from tests.conftest import AppClient, bearer
from tests.personas import Personas

Client = AppClient
API = "/api/v1"


async def test_company_visibility_and_counts(client: Client, personas: Personas) -> None:
    admin = bearer(personas.admin)
    acme = personas.company_public_ids["acme"]
    globex = await client.post(
        f"{API}/companies", headers=admin, json={"name": "Globex", "domains": ["Globex.test"], "notes": "n"}
    )
    assert globex.status_code == 201, globex.text
    assert globex.json()["domains"] == ["globex.test"]
    assert globex.json()["contact_count"] == 0
    globex_id = globex.json()["id"]

    listed = (await client.get(f"{API}/companies", headers=admin)).json()
    assert [(item["name"], item["contact_count"]) for item in listed["items"]] == [
        ("Acme s.r.o.", 2),
        ("Globex", 0),
    ]
    support = bearer(personas.support_agent)
    listed = (await client.get(f"{API}/companies", headers=support)).json()
    assert [(item["id"], item["contact_count"]) for item in listed["items"]] == [(acme, 1)]
    assert (await client.get(f"{API}/companies/{globex_id}", headers=support)).status_code == 404
    assert (await client.get(f"{API}/companies/{globex_id}/contacts", headers=support)).status_code == 404
    detail = await client.get(f"{API}/companies/{acme}", headers=support)
    assert detail.status_code == 200
    assert detail.json()["domains"] == ["acme.test"]
    members = (await client.get(f"{API}/companies/{acme}/contacts", headers=support)).json()
    assert [item["id"] for item in members["items"]] == [personas.contact_public_ids["karel"]]
    members = (await client.get(f"{API}/companies/{acme}/contacts", headers=admin)).json()
    assert {item["id"] for item in members["items"]} == {
        personas.contact_public_ids["karel"],
        personas.contact_public_ids["eva"],
    }
    # Hana's company-less: nobody but admins sees a company for her; the Sales reader sees Acme via Eva.
    listed = (await client.get(f"{API}/companies", headers=bearer(personas.sales_reader))).json()
    assert [(item["id"], item["contact_count"]) for item in listed["items"]] == [(acme, 1)]


async def test_company_writes(client: Client, personas: Personas) -> None:
    admin = bearer(personas.admin)
    acme = personas.company_public_ids["acme"]
    refused = await client.post(
        f"{API}/companies", headers=bearer(personas.support_agent), json={"name": "Mine"}
    )
    assert refused.status_code == 403
    read_only = await client.patch(
        f"{API}/companies/{acme}", headers=bearer(personas.read_key), json={"name": "x"}
    )
    assert read_only.status_code == 403
    duplicate = await client.post(
        f"{API}/companies", headers=admin, json={"name": "Copy", "domains": ["acme.test"]}
    )
    assert duplicate.status_code == 409
    assert "domains" in duplicate.json()["error"]["fields"]
    invalid = await client.post(
        f"{API}/companies", headers=admin, json={"name": "Bad", "domains": ["no spaces.test"]}
    )
    assert invalid.status_code == 422
    assert any(key.startswith("domains") for key in invalid.json()["error"]["fields"])
    unnamed = await client.post(f"{API}/companies", headers=admin, json={"name": ""})
    assert unnamed.status_code == 422
    assert "name" in unnamed.json()["error"]["fields"]
    assert [
        item["name"] for item in (await client.get(f"{API}/companies", headers=admin)).json()["items"]
    ] == ["Acme s.r.o."]

    changed = await client.patch(
        f"{API}/companies/{acme}", headers=admin, json={"domains": ["acme.test", "acme.sk"]}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["domains"] == ["acme.sk", "acme.test"]
    joined = await client.post(
        f"{API}/contacts", headers=admin, json={"name": "Jozef", "emails": ["jozef@acme.sk"]}
    )
    assert joined.json()["company"]["id"] == acme

    deleted = await client.delete(f"{API}/companies/{acme}", headers=admin)
    assert deleted.status_code == 204
    assert (await client.get(f"{API}/companies/{acme}", headers=admin)).status_code == 404
    karel = await client.get(f"{API}/contacts/{personas.contact_public_ids['karel']}", headers=admin)
    assert karel.json()["company"] is None


async def test_company_pages(client: Client, personas: Personas) -> None:
    admin = bearer(personas.admin)
    for name in ["Beta", "Alpha", "Beta", "Gamma", "Delta"]:
        assert (await client.post(f"{API}/companies", headers=admin, json={"name": name})).status_code == 201
    seen: list[tuple[str, str]] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(f"{API}/companies", headers=admin, params=params)).json()
        seen.extend((item["name"], item["id"]) for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [name for name, _ in seen] == ["Acme s.r.o.", "Alpha", "Beta", "Beta", "Delta", "Gamma"]
    assert len({public_id for _, public_id in seen}) == 6
