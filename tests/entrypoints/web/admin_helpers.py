"""Helpers for the admin pages' tests: things to administer, made through the real actions, and agents
holding a custom role."""

from __future__ import annotations

import html
from dataclasses import dataclass

from linka.core.permissions import BaseRole
from linka.domains.accounts import actions as accounts
from linka.domains.accounts import credentials
from linka.domains.fields import actions as fields
from linka.domains.mail import actions as mail_actions
from linka.domains.mail import delivery_actions
from linka.domains.mail.intake import take_in_mail
from linka.domains.mail.models import OutgoingMail
from linka.domains.tickets import custom_status_actions
from linka.entrypoints.runtime import Runtime
from tests.entrypoints.web.web_helpers import text_of
from tests.mail_helpers import ADMIN_CLI, add_mailbox, build_mail, rows
from tests.personas import PASSWORD, Person, Personas


@dataclass
class AdminWorld:
    """One of each thing the admin pages manage (public ids, and the failed mail's key)."""

    role: str
    field: str
    status: str
    mailbox: str
    dead_letter: str
    failed_mail: int


async def build_world(runtime: Runtime, personas: Personas) -> AdminWorld:
    async with runtime.uow(ADMIN_CLI) as uow:
        role = await accounts.create_role(uow, name="Contact keepers", permissions=["manage_contacts"])
        field = await fields.create_field(uow, entity="ticket", key="contract", label="Contract", kind="text")
        status = await custom_status_actions.create_custom_status(
            uow, name="Waiting for parts", category="postponed", translations={"cs": "Čeká na díly"}
        )
    mailbox = await add_mailbox(runtime, personas)
    held = await take_in_mail(
        runtime, build_mail(to="nobody@linka.test", subject="Lost invoice"), source="smtp"
    )
    assert held.dead_letter_id is not None
    failed = await failed_system_mail(runtime, personas.sales_agent.email)
    return AdminWorld(
        role=role.public_id,
        field=field.public_id,
        status=status.public_id,
        mailbox=mailbox.public_id,
        dead_letter=held.dead_letter_id,
        failed_mail=failed,
    )


async def failed_system_mail(runtime: Runtime, email: str) -> int:
    """A password-reset mail the server refused for good: it waits for someone to send it again."""
    async with runtime.uow(ADMIN_CLI) as uow:
        await credentials.request_password_reset(uow, email=email, links=runtime.links)
    mails = await rows(runtime.db, OutgoingMail, OutgoingMail.to_address == email, order_by=OutgoingMail.id)
    mail = mails[-1]
    async with runtime.uow(ADMIN_CLI) as uow:
        await delivery_actions.record_failure(
            uow, mail_id=mail.id, error="550 5.1.1 mailbox unavailable", permanent=True
        )
    return int(mail.id)


async def failed_ticket_mail(runtime: Runtime, ticket_id: int, department_id: int, to: str) -> int:
    """A reply on a ticket the server refused for good."""
    async with runtime.uow(ADMIN_CLI) as uow:
        mail = await mail_actions.queue_ticket_mail(
            uow,
            kind="reply",
            ticket_id=ticket_id,
            department_id=department_id,
            group_id=None,
            to_address=to,
            subject="Re: your question",
            text="Hello",
        )
        await delivery_actions.record_failure(
            uow, mail_id=mail.id, error="554 rejected as spam", permanent=True
        )
        return int(mail.id)


async def agent_with_permissions(
    runtime: Runtime, permissions: list[str], *, email: str = "kamila@linka.test"
) -> Person:
    """An agent (no departments) whose custom role grants exactly `permissions`."""
    async with runtime.uow(ADMIN_CLI) as uow:
        role = await accounts.create_role(uow, name=f"Only {', '.join(permissions)}", permissions=permissions)
        agent = await accounts.create_agent(
            uow,
            email=email,
            name="Kamila Custom",
            password=PASSWORD,
            role=BaseRole.AGENT,
            custom_role_id=role.id,
        )
    return Person(id=agent.id, public_id=agent.public_id, email=email, name="Kamila Custom")


def visible(page: str) -> str:
    """The text of a page as a person reads it (tags gone, entities decoded)."""
    return html.unescape(text_of(page))
