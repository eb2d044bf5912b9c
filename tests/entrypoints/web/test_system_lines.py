"""Lines the thread writes about actions (resolved, merged, transferred…) read in each agent's language,
while the stored English text stays what the API and search see."""

from __future__ import annotations

from linka.domains.tickets import routing_actions, status_actions
from linka.domains.tickets.statuses import Status
from linka.entrypoints.runtime import Runtime
from tests.conftest import AppClient
from tests.entrypoints.web.web_helpers import sign_in, text_of
from tests.outbound_mail import actor_for
from tests.personas import Personas


async def test_system_lines_follow_the_readers_language(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    viktor = await actor_for(runtime.db, personas.support_supervisor)
    async with runtime.uow(viktor) as uow:
        await routing_actions.assign_ticket(uow, code=code, agent_id=personas.support_supervisor.id)
    async with runtime.uow(viktor) as uow:
        await routing_actions.transfer_ticket(
            uow, code=code, department_id=personas.departments["support"], agent_id=personas.support_agent.id
        )
    async with runtime.uow(viktor) as uow:
        await status_actions.set_ticket_status(uow, code=code, status=Status.RESOLVED)

    await sign_in(client, personas.support_agent)  # Czech
    czech = text_of((await client.get(f"/tickets/{code}")).text)
    assert "Vyřešil(a) Viktor Dvořák" in czech
    assert "Předáno v rámci Support, řešitel Sára Nováková" in czech
    assert "Resolved by" not in czech

    await client.post("/logout", data={"_csrf_token": client.cookies["linka_csrf"]})
    await sign_in(client, personas.admin)  # English
    english = text_of((await client.get(f"/tickets/{code}")).text)
    assert "Resolved by Viktor Dvořák" in english
    api = await client.get(f"/api/v1/tickets/{code}/thread")
    lines = [group["line"] for group in api.json()["items"] if group["line"]]
    assert {"event": "resolved", "agent": "Viktor Dvořák"} in lines
