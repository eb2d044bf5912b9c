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
from linka.domains.fields import queries as fields_queries
from linka.domains.fields.queries import Range
from linka.domains.tickets import tag_queries
from linka.domains.tickets.list_queries import TicketFilters
from linka.domains.tickets.models import Ticket
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


def search_text(params: dict[str, Any]) -> str | None:
    """The search words (`q`), from the query or a saved view."""
    return _text(params, "q")


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
        filters.tag_ids.append((await tag_queries.tag_by_public_id(session, ref, field="tag")).id)
    contact = _text(params, "contact")
    if contact is not None:
        filters.contact_id = await contacts_queries.contact_id_of(session, actor, contact, field="contact")
    by_key: dict[str, list[str]] = {}
    for item in _list(params, "field"):
        key, separator, value = item.partition(":")
        if not separator or not key:
            raise Invalid("field", "write key:value (e.g. plan:Pro), or key:low..high for a range")
        by_key.setdefault(key, []).append(value)
    for key, values in by_key.items():
        wanted: object = values if len(values) > 1 else values[0]
        if len(values) == 1 and ".." in values[0]:
            low, _, high = values[0].partition("..")
            wanted = Range(low=low or None, high=high or None)
        filters.extra.append(
            await fields_queries.checked_field_filter(session, "ticket", key, wanted, Ticket.id)
        )
    company = _text(params, "company")
    if company is not None:
        company_id = await contacts_queries.company_id_of(session, actor, company, field="company")
        filters.contact_ids_of_company = contacts_queries.contact_ids_of_company(company_id)
    return filters
