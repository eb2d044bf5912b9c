"""GET /tickets query parameters (or a saved view's filters) → TicketFilters. Values arrive as texts
or lists of texts; each is checked here so a bad one is a 422 naming the parameter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.errors import Invalid
from linka.core.permissions import Actor
from linka.domains.accounts import queries as accounts_queries
from linka.domains.contacts import queries as contacts_queries
from linka.domains.tickets import queries as ticket_queries
from linka.domains.tickets.list_queries import TicketFilters
from linka.domains.tickets.statuses import Channel, Priority, status_from_text

LIST_PARAMS = ("status", "department", "tag", "channel", "priority")
TEXT_PARAMS = ("category", "assignee", "contact", "company")
MOMENT_PARAMS = ("created_from", "created_to", "updated_from", "updated_to")


def _list(params: dict[str, Any], key: str) -> list[str]:
    value = params.get(key)
    if value is None:
        return []
    return [str(item) for item in (value if isinstance(value, list) else [value])]


def _text(params: dict[str, Any], key: str) -> str | None:
    value = params.get(key)
    if isinstance(value, list):
        if len(value) != 1:
            raise Invalid(key, "takes one value")
        value = value[0]
    return None if value is None else str(value)


def _moment(params: dict[str, Any], key: str) -> datetime | None:
    value = params.get(key)
    if value is None or isinstance(value, datetime):
        return value
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise Invalid(key, "must be an ISO 8601 time, e.g. 2026-11-01T00:00:00Z") from None
    if moment.tzinfo is None:
        raise Invalid(key, "give a time zone (Z or +01:00)")
    return moment


async def filters_from_params(session: AsyncSession, actor: Actor, params: dict[str, Any]) -> TicketFilters:
    channels = _list(params, "channel")
    for value in channels:
        if value not in Channel._value2member_map_:
            raise Invalid("channel", f"must be among {', '.join(c.value for c in Channel)}")
    filters = TicketFilters(
        statuses=[status_from_text(value) for value in _list(params, "status")],
        category=_text(params, "category"),
        channels=channels,
        priorities=[int(Priority.from_text(value)) for value in _list(params, "priority")],
        created_from=_moment(params, "created_from"),
        created_to=_moment(params, "created_to"),
        updated_from=_moment(params, "updated_from"),
        updated_to=_moment(params, "updated_to"),
    )
    for ref in _list(params, "department"):
        filters.department_ids.append(
            await accounts_queries.department_id_for_field(session, ref, field="department")
        )
    assignee = _text(params, "assignee")
    if assignee in ("me", "unassigned", "anyone") or assignee is None:
        filters.assignee = assignee
    else:
        filters.assignee_ids.append(
            await accounts_queries.agent_id_for_field(session, assignee, field="assignee")
        )
    for ref in _list(params, "tag"):
        filters.tag_ids.append(await ticket_queries.tag_id_for_field(session, ref, field="tag"))
    contact = _text(params, "contact")
    if contact is not None:
        filters.contact_id = await contacts_queries.contact_id_of(session, actor, contact, field="contact")
    company = _text(params, "company")
    if company is not None:
        company_id = await contacts_queries.company_id_of(session, actor, company, field="company")
        filters.contact_ids_of_company = contacts_queries.contact_ids_of_company(company_id)
    return filters
