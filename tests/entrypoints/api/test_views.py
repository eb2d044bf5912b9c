"""Saved views: private or shared with a department, applied to the ticket list."""

from __future__ import annotations

from tests.conftest import AppClient, bearer
from tests.personas import Personas


async def test_private_and_shared_views_and_their_use(client: AppClient, personas: Personas) -> None:
    sara, viktor = bearer(personas.support_agent), bearer(personas.support_supervisor)
    support = personas.department_public_ids["support"]
    mine = await client.post(
        "/api/v1/views", json={"name": "Urgent", "filters": {"priority": ["urgent", "high"]}}, headers=sara
    )
    assert mine.status_code == 201, mine.text
    assert mine.json()["mine"] is True
    assert mine.json()["department"] is None
    not_allowed = await client.post(
        "/api/v1/views", json={"name": "Team", "filters": {}, "department": support}, headers=sara
    )
    assert not_allowed.status_code == 403  # sharing with the department is for supervisors
    shared = await client.post(
        "/api/v1/views",
        json={
            "name": "Team queue",
            "filters": {"assignee": "unassigned"},
            "sort": "activity",
            "department": support,
        },
        headers=viktor,
    )
    assert shared.status_code == 201, shared.text
    names = {view["name"] for view in (await client.get("/api/v1/views", headers=sara)).json()["items"]}
    assert names == {"Urgent", "Team queue"}
    sandor = (await client.get("/api/v1/views", headers=bearer(personas.sales_agent))).json()["items"]
    assert sandor == []  # neither his own nor shared with Sales
    # Using a view: only the urgent/high tickets; an explicit parameter beside it wins.
    created = await client.post(
        "/api/v1/tickets",
        json={
            "subject": "Hot",
            "department": support,
            "contact": personas.contact_public_ids["karel"],
            "priority": "urgent",
        },
        headers=sara,
    )
    hot = created.json()["code"]
    listed = await client.get(f"/api/v1/tickets?view={mine.json()['id']}", headers=sara)
    assert [t["code"] for t in listed.json()["items"]] == [hot]
    overridden = await client.get(f"/api/v1/tickets?view={mine.json()['id']}&priority=normal", headers=sara)
    assert [t["code"] for t in overridden.json()["items"]] == [personas.ticket_codes["karel"]]
    # Sára may use the team view but not change it; Sándor cannot even see it.
    team = shared.json()["id"]
    assert (
        await client.patch(f"/api/v1/views/{team}", json={"name": "Mine now"}, headers=sara)
    ).status_code == 403
    assert (
        await client.get(f"/api/v1/tickets?view={team}", headers=bearer(personas.sales_agent))
    ).status_code == 404
    bad = await client.post("/api/v1/views", json={"name": "Bad", "filters": {"colour": "red"}}, headers=sara)
    assert bad.status_code == 422
    assert "filters" in bad.json()["error"]["fields"]
    renamed = await client.patch(
        f"/api/v1/views/{mine.json()['id']}", json={"name": "Hot stuff"}, headers=sara
    )
    assert renamed.json()["name"] == "Hot stuff"
    assert (await client.delete(f"/api/v1/views/{mine.json()['id']}", headers=sara)).status_code == 204
    names = {view["name"] for view in (await client.get("/api/v1/views", headers=sara)).json()["items"]}
    assert names == {"Team queue"}
