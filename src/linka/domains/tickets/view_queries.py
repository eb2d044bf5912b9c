"""Turning ticket rows into what the API shows, for one ticket or a whole page, in four queries
whatever the page size: what each ticket names (contact, department, assignee, custom status, linked
tickets) in one joined query, then the CCs, the tags and the custom fields. The statements are built
once per engine and kept: building them took longer than running them."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from linka.core.db import dialect_of, one_of_parameter
from linka.domains.accounts.models import Agent, Department
from linka.domains.contacts.models import Contact, ContactEmail
from linka.domains.fields import queries as fields_queries
from linka.domains.tickets.models import CustomStatus, Tag, Ticket, TicketCc, TicketTag
from linka.domains.tickets.schemas import ContactRef, TagRef, TicketMetrics, TicketOut
from linka.domains.tickets.statuses import Priority


def _primary_email() -> Any:
    """The contact's primary email (else its first), for a query that has `Contact` in it."""
    return (
        select(ContactEmail.email)
        .where(ContactEmail.contact_id == Contact.id)
        .order_by(ContactEmail.is_primary.desc(), ContactEmail.id)
        .limit(1)
        .scalar_subquery()
    )


@dataclass(frozen=True, slots=True)
class References:
    """What a ticket names, as a list or the API shows it."""

    contact: ContactRef
    department: str  # public id
    department_name: str
    assignee: str | None  # public id
    assignee_name: str | None
    custom_status: str | None  # public id
    merged_into: str | None  # code
    follow_up_of: str | None  # code


_NO_REFERENCES = References(ContactRef(id="", name="", email=None), "", "", None, None, None, None, None)


@functools.cache
def _references_query(dialect: str) -> Executable:
    merged, follows = aliased(Ticket), aliased(Ticket)
    return (
        select(
            Ticket.id,
            Contact.public_id,
            Contact.name,
            _primary_email(),
            Department.public_id,
            Department.name,
            Agent.public_id,
            Agent.name,
            CustomStatus.public_id,
            merged.code,
            follows.code,
        )
        .select_from(Ticket)
        .join(Contact, Contact.id == Ticket.contact_id)
        .join(Department, Department.id == Ticket.department_id)
        .outerjoin(Agent, Agent.id == Ticket.assignee_id)
        .outerjoin(CustomStatus, CustomStatus.id == Ticket.custom_status_id)
        .outerjoin(merged, merged.id == Ticket.merged_into_id)
        .outerjoin(follows, follows.id == Ticket.follow_up_of_id)
        .where(one_of_parameter(dialect, Ticket.id, "ids"))
    )


@functools.cache
def _cc_query(dialect: str) -> Executable:
    return (
        select(TicketCc.ticket_id, Contact.public_id, Contact.name, _primary_email())
        .join(Contact, Contact.id == TicketCc.contact_id)
        .where(one_of_parameter(dialect, TicketCc.ticket_id, "ids"))
        .order_by(TicketCc.ticket_id, TicketCc.contact_id)
    )


@functools.cache
def _tags_query(dialect: str) -> Executable:
    return (
        select(TicketTag.ticket_id, Tag.public_id, Tag.name, Tag.colour, Tag.is_public)
        .join(Tag, Tag.id == TicketTag.tag_id)
        .where(one_of_parameter(dialect, TicketTag.ticket_id, "ids"))
        .order_by(TicketTag.ticket_id, Tag.name, Tag.id)
    )


async def tag_refs(session: AsyncSession, ticket_ids: Sequence[int]) -> dict[int, list[TagRef]]:
    """The tags of each ticket, by name (tickets without: absent)."""
    if not ticket_ids:
        return {}
    return await _tags(session, dialect_of(session), list(ticket_ids))


async def ticket_references(session: AsyncSession, ticket_ids: Sequence[int]) -> dict[int, References]:
    """Per ticket, in one query: its contact (with the primary email), department, assignee, custom
    status and the codes of the tickets it was merged into or follows up."""
    if not ticket_ids:
        return {}
    rows = await session.execute(_references_query(dialect_of(session)), {"ids": list(ticket_ids)})
    return {
        int(row[0]): References(ContactRef(id=row[1], name=row[2], email=row[3]), *row[4:])
        for row in rows.all()
    }


async def _cc(session: AsyncSession, dialect: str, ids: list[int]) -> dict[int, list[ContactRef]]:
    found: dict[int, list[ContactRef]] = defaultdict(list)
    for ticket_id, public_id, name, email in (await session.execute(_cc_query(dialect), {"ids": ids})).all():
        found[int(ticket_id)].append(ContactRef(id=public_id, name=name, email=email))
    return found


async def _tags(session: AsyncSession, dialect: str, ids: list[int]) -> dict[int, list[TagRef]]:
    found: dict[int, list[TagRef]] = defaultdict(list)
    rows = await session.execute(_tags_query(dialect), {"ids": ids})
    for ticket_id, public_id, name, colour, is_public in rows.all():
        found[int(ticket_id)].append(TagRef(id=public_id, name=name, colour=colour, is_public=is_public))
    return found


async def ticket_outs(session: AsyncSession, tickets: Sequence[Ticket]) -> list[TicketOut]:
    if not tickets:
        return []
    dialect = dialect_of(session)
    ids = sorted({ticket.id for ticket in tickets})
    references = await ticket_references(session, ids)
    cc = await _cc(session, dialect, ids)
    tags = await _tags(session, dialect, ids)
    fields = await fields_queries.values_of(session, "ticket", ids)
    outs = []
    for t in tickets:
        named = references.get(t.id, _NO_REFERENCES)
        outs.append(
            TicketOut(
                code=t.code,
                subject=t.subject,
                status=t.status,
                custom_status=named.custom_status,
                priority=Priority(t.priority).label,
                channel=t.channel,
                language=t.language,
                contact=named.contact,
                cc=cc.get(t.id, []),
                department=named.department,
                assignee=named.assignee,
                tags=tags.get(t.id, []),
                fields=fields.get(t.id, {}),
                created_at=t.created_at,
                updated_at=t.updated_at,
                last_activity_at=t.last_activity_at,
                postponed_until=t.postponed_until,
                sla_due_at=t.sla_due_at,
                merged_into=named.merged_into,
                follow_up_of=named.follow_up_of,
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
        )
    return outs


async def ticket_out(session: AsyncSession, ticket: Ticket) -> TicketOut:
    return (await ticket_outs(session, [ticket]))[0]
