"""Turning ticket rows into what the API shows, for one ticket or a whole page, in a fixed number of
queries whatever the page size (one per related kind: people, departments, contacts, CCs, tags,
linked codes, custom statuses)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linka.domains.accounts import queries as accounts_queries
from linka.domains.contacts import queries as contacts_queries
from linka.domains.fields import queries as fields_queries
from linka.domains.tickets import tag_queries
from linka.domains.tickets.models import CustomStatus, Ticket, TicketCc
from linka.domains.tickets.schemas import ContactRef, TagRef, TicketMetrics, TicketOut
from linka.domains.tickets.statuses import Priority


async def ticket_outs(session: AsyncSession, tickets: Sequence[Ticket]) -> list[TicketOut]:
    if not tickets:
        return []
    ids = [ticket.id for ticket in tickets]
    cc_rows = await session.execute(
        select(TicketCc.ticket_id, TicketCc.contact_id)
        .where(TicketCc.ticket_id.in_(ids))
        .order_by(TicketCc.contact_id)
    )
    cc: dict[int, list[int]] = defaultdict(list)
    for ticket_id, contact_id in cc_rows.all():
        cc[ticket_id].append(contact_id)
    contacts = await contacts_queries.contact_summaries(
        session, [t.contact_id for t in tickets] + [c for ids_ in cc.values() for c in ids_]
    )
    agents = await accounts_queries.agent_summaries(
        session, [t.assignee_id for t in tickets if t.assignee_id is not None]
    )
    departments = await accounts_queries.public_ids_of_departments(
        session, [t.department_id for t in tickets]
    )
    tags = {
        ticket_id: [
            TagRef(id=t.public_id, name=t.name, colour=t.colour, is_public=t.is_public) for t in found
        ]
        for ticket_id, found in (await tag_queries.tags_of(session, ids)).items()
    }
    fields = await fields_queries.values_of(session, "ticket", ids)
    linked_ids = {t.merged_into_id for t in tickets} | {t.follow_up_of_id for t in tickets}
    codes = await codes_of(session, [i for i in linked_ids if i is not None])
    custom_ids = [t.custom_status_id for t in tickets if t.custom_status_id is not None]
    custom: dict[int, str] = {}
    if custom_ids:
        rows = await session.execute(
            select(CustomStatus.id, CustomStatus.public_id).where(CustomStatus.id.in_(custom_ids))
        )
        custom = {int(key): public_id for key, public_id in rows.all()}

    def contact_ref(contact_id: int) -> ContactRef:
        public_id, name, email = contacts.get(contact_id, ("", "", None))
        return ContactRef(id=public_id, name=name, email=email)

    return [
        TicketOut(
            code=t.code,
            subject=t.subject,
            status=t.status,
            custom_status=custom.get(t.custom_status_id) if t.custom_status_id is not None else None,
            priority=Priority(t.priority).label,
            channel=t.channel,
            language=t.language,
            contact=contact_ref(t.contact_id),
            cc=[contact_ref(contact_id) for contact_id in cc.get(t.id, [])],
            department=departments.get(t.department_id, ""),
            assignee=agents[t.assignee_id][0] if t.assignee_id in agents else None,
            tags=tags.get(t.id, []),
            fields=fields.get(t.id, {}),
            created_at=t.created_at,
            updated_at=t.updated_at,
            last_activity_at=t.last_activity_at,
            postponed_until=t.postponed_until,
            sla_due_at=t.sla_due_at,
            merged_into=codes.get(t.merged_into_id) if t.merged_into_id is not None else None,
            follow_up_of=codes.get(t.follow_up_of_id) if t.follow_up_of_id is not None else None,
            metrics=TicketMetrics(
                first_assigned_at=t.first_assigned_at,
                first_agent_reply_at=t.first_agent_reply_at,
                last_agent_reply_at=t.last_agent_reply_at,
                last_customer_message_at=t.last_customer_message_at,
                resolved_at=t.resolved_at,
                closed_at=t.closed_at,
                reopen_count=t.reopen_count,
                agent_reply_count=t.agent_reply_count,
                customer_message_count=t.customer_message_count,
                transfer_count=t.transfer_count,
            ),
        )
        for t in tickets
    ]


async def ticket_out(session: AsyncSession, ticket: Ticket) -> TicketOut:
    return (await ticket_outs(session, [ticket]))[0]


async def codes_of(session: AsyncSession, ticket_ids: Sequence[int]) -> dict[int, str]:
    if not ticket_ids:
        return {}
    rows = await session.execute(select(Ticket.id, Ticket.code).where(Ticket.id.in_(ticket_ids)))
    return {int(key): code for key, code in rows.all()}
