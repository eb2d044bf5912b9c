"""An agent who asked for it is mailed, in their language, when someone else assigns them a ticket."""

from __future__ import annotations

from sqlalchemy import select

from linka.domains.accounts import agent_actions
from linka.domains.accounts.schemas import NotificationSettings
from linka.domains.mail.models import OutgoingMail
from linka.domains.tickets import routing_actions
from linka.entrypoints.runtime import Runtime
from tests.outbound_mail import actor_for
from tests.personas import Personas


async def _assignment_mails(runtime: Runtime) -> list[OutgoingMail]:
    async with runtime.db.read_session() as session:
        return list(
            (await session.execute(select(OutgoingMail).where(OutgoingMail.kind == "assigned"))).scalars()
        )


async def test_the_assignee_is_mailed_only_when_they_asked_and_someone_else_assigned(
    runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    sara = await actor_for(runtime.db, personas.support_agent)
    viktor = await actor_for(runtime.db, personas.support_supervisor)

    async with runtime.uow(viktor) as uow:  # Sára has not asked for mail yet
        await routing_actions.assign_ticket(uow, code=code, agent_id=personas.support_agent.id)
    assert await _assignment_mails(runtime) == []

    async with runtime.uow(sara) as uow:
        await agent_actions.set_notification_settings(
            uow, settings=NotificationSettings(assigned_browser=True, assigned_email=True)
        )
        await routing_actions.unassign_ticket(uow, code=code)
    async with runtime.uow(sara) as uow:  # taking it herself: no mail
        await routing_actions.assign_ticket(uow, code=code, agent_id=personas.support_agent.id)
    assert await _assignment_mails(runtime) == []

    async with runtime.uow(viktor) as uow:
        await routing_actions.unassign_ticket(uow, code=code)
    async with runtime.uow(viktor) as uow:
        await routing_actions.assign_ticket(uow, code=code, agent_id=personas.support_agent.id)
    [mail] = await _assignment_mails(runtime)
    assert mail.to_address == personas.support_agent.email
    assert mail.subject == f"[{code}] přidělen vám: Tiskárna nefunguje"
    assert "Viktor Dvořák vám přidělil(a) tiket" in mail.body_text
    assert f"/tickets/{code}" in mail.body_text
