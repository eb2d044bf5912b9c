"""Telling an agent by email that a ticket was assigned to them, when their notification settings ask
for it. (The browser notice is the live socket's: entrypoints/realtime.) The mail is queued in the
transaction that assigned the ticket, like every mail Linka sends."""

from __future__ import annotations

from functools import partial

from linka.core.events import EventBus
from linka.core.uow import UnitOfWork
from linka.domains.accounts import queries as accounts_queries
from linka.domains.accounts.credentials import workspace_name
from linka.domains.mail import actions as mail
from linka.domains.tickets.events import TicketRouted
from linka.domains.tickets.models import Ticket


async def mail_the_new_assignee(uow: UnitOfWork, event: TicketRouted, *, base_url: str) -> None:
    """Someone else (a colleague, a rule) gave the agent a ticket; nobody is mailed about their own move."""
    agent_id = event.assignee_after
    if agent_id is None or agent_id == event.assignee_before or agent_id == event.by_agent_id:
        return
    recipient = await accounts_queries.assignment_mail_recipient(uow.session, agent_id)
    ticket = await uow.session.get(Ticket, event.ticket_id)
    if recipient is None or ticket is None:
        return
    email, name, language = recipient
    by = await accounts_queries.agent_summaries(uow.session, [event.by_agent_id] if event.by_agent_id else [])
    await mail.queue_system_mail(
        uow,
        kind="assigned",
        to_address=email,
        to_name=name,
        language=language,
        template="assigned",
        context={
            "name": name,
            "code": ticket.code,
            "subject": ticket.subject,
            "by": by[event.by_agent_id][1] if event.by_agent_id in by else "",
            "link": f"{base_url.rstrip('/')}/tickets/{ticket.code}",
            "workspace": await workspace_name(uow.session),
        },
    )


def register(bus: EventBus, *, base_url: str) -> None:
    bus.on(TicketRouted, partial(mail_the_new_assignee, base_url=base_url))
