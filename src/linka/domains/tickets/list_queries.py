"""Ticket lists: filters, the two sort orders, keyset pages and counts per status, always within what
the actor may see (`visible_ticket_condition`). Merged tickets live on inside their target and are
never listed themselves."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, func, literal, literal_column, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles

from linka.core.db import UTCDateTime
from linka.core.errors import Invalid
from linka.core.pagination import Page, check_limit, decode_cursor, encode_cursor
from linka.core.permissions import Actor
from linka.domains.tickets import search as ticket_search
from linka.domains.tickets.models import Ticket, TicketTag
from linka.domains.tickets.queries import visible_ticket_condition
from linka.domains.tickets.statuses import ACTIVE, DONE, TRASH, Status

CATEGORIES = {"active": ACTIVE, "done": DONE, "trash": TRASH}
SORTS = ("importance", "activity", "relevance")
# Tickets without an SLA due time sort after every ticket with one.
_NO_DUE = datetime(9999, 12, 31, tzinfo=UTC)


class _NoDue(ColumnElement[datetime]):
    """_NO_DUE written into the SQL as a constant, as migration 0003 wrote it into the importance
    order's expression index: with a bound parameter instead, no engine would use the index."""

    inherit_cache = True
    type = UTCDateTime()


@compiles(_NoDue)
def _no_due_sqlite(_element: _NoDue, _compiler: Any, **_kw: Any) -> str:
    return "'9999-12-31 00:00:00.000000'"  # how SQLite stores it (text)


@compiles(_NoDue, "postgresql")
def _no_due_postgresql(_element: _NoDue, _compiler: Any, **_kw: Any) -> str:
    return "'9999-12-31 00:00:00+00'::timestamptz"


@dataclass
class TicketFilters:
    """What a list shows. Ids are internal keys (the API turns public ids into them)."""

    statuses: list[Status] = field(default_factory=list)
    category: str | None = None  # active, done, trash; neither given: everything but the trash
    department_ids: list[int] = field(default_factory=list)
    assignee: str | None = None  # "me", "unassigned", "anyone" (assigned to someone), or None
    assignee_ids: list[int] = field(default_factory=list)
    tag_ids: list[int] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    priorities: list[int] = field(default_factory=list)
    contact_id: int | None = None
    contact_ids_of_company: Select[Any] | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    # Further conditions built by other modules (custom fields, search).
    extra: list[ColumnElement[bool]] = field(default_factory=list)


_NOT_MERGED = Ticket.merged_into_id.is_(None)


@functools.lru_cache(maxsize=256)
def _status_in(statuses: tuple[str, ...], negated: bool = False) -> ColumnElement[bool]:
    """Kept: lists ask for the same few sets of statuses on every request."""
    return Ticket.status.not_in(statuses) if negated else Ticket.status.in_(statuses)


@functools.lru_cache(maxsize=4096)
def _assigned_to(agent_id: int) -> ColumnElement[bool]:
    return Ticket.assignee_id == agent_id


def ticket_conditions(actor: Actor, filters: TicketFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [visible_ticket_condition(actor), _NOT_MERGED]
    if filters.category is not None:
        if filters.category not in CATEGORIES:
            raise Invalid("category", "must be one of %(choices)s", values={"choices": ", ".join(CATEGORIES)})
        conditions.append(_status_in(tuple(sorted(s.value for s in CATEGORIES[filters.category]))))
    if filters.statuses:
        conditions.append(_status_in(tuple(sorted(s.value for s in filters.statuses))))
    if not filters.statuses and filters.category is None:
        conditions.append(
            _status_in(tuple(sorted([s.value for s in TRASH] + [Status.INIT.value])), negated=True)
        )
    if filters.department_ids:
        conditions.append(Ticket.department_id.in_(filters.department_ids))
    if filters.assignee == "me":
        conditions.append(_assigned_to(actor.agent_id or -1))
    elif filters.assignee == "unassigned":
        conditions.append(Ticket.assignee_id.is_(None))
    elif filters.assignee == "anyone":
        conditions.append(Ticket.assignee_id.is_not(None))
    elif filters.assignee is not None:
        raise Invalid("assignee", "must be me, unassigned, anyone or an agent id")
    if filters.assignee_ids:
        conditions.append(Ticket.assignee_id.in_(filters.assignee_ids))
    for tag_id in filters.tag_ids:  # every tag named must be on the ticket
        conditions.append(
            select(TicketTag.ticket_id)
            .where(TicketTag.ticket_id == Ticket.id, TicketTag.tag_id == tag_id)
            .exists()
        )
    if filters.channels:
        conditions.append(Ticket.channel.in_(filters.channels))
    if filters.priorities:
        conditions.append(Ticket.priority.in_(filters.priorities))
    if filters.contact_id is not None:
        conditions.append(Ticket.contact_id == filters.contact_id)
    if filters.contact_ids_of_company is not None:
        conditions.append(Ticket.contact_id.in_(filters.contact_ids_of_company))
    for column, start, end in (
        (Ticket.created_at, filters.created_from, filters.created_to),
        (Ticket.updated_at, filters.updated_from, filters.updated_to),
    ):
        if start is not None:
            conditions.append(column >= start)
        if end is not None:
            conditions.append(column < end)
    conditions.extend(filters.extra)
    return conditions


# The sort key columns, all in one direction so a row-value comparison pages through them, and whether
# that direction is ascending. Importance: SLA due first, then priority, then age. Built once.
_SORT_KEYS: dict[str, tuple[list[Any], bool]] = {
    "importance": (
        [
            func.coalesce(Ticket.sla_due_at, _NoDue()),
            literal_column("3", Integer) - Ticket.priority,
            Ticket.created_at,
            Ticket.id,
        ],
        True,
    ),
    "activity": ([Ticket.last_activity_at, Ticket.id], False),
}
_ORDER_BY = {
    sort: [key.asc() if ascending else key.desc() for key in keys]
    for sort, (keys, ascending) in _SORT_KEYS.items()
}


def _sort_keys(sort: str) -> tuple[list[Any], bool]:
    if sort in _SORT_KEYS:
        return _SORT_KEYS[sort]
    raise Invalid("sort", "must be one of %(choices)s", values={"choices": ", ".join(SORTS)})


def _cursor_values(ticket: Ticket, sort: str) -> list[Any]:
    if sort == "importance":
        due = ticket.sla_due_at or _NO_DUE
        return [due.isoformat(), 3 - ticket.priority, ticket.created_at.isoformat(), ticket.id]
    return [ticket.last_activity_at.isoformat(), ticket.id]


def _typed_cursor(values: list[Any], sort: str) -> list[Any]:
    try:
        if sort == "relevance":
            return [float(values[0]), int(values[1])]
        if sort == "importance":
            return [
                datetime.fromisoformat(values[0]),
                int(values[1]),
                datetime.fromisoformat(values[2]),
                int(values[3]),
            ]
        return [datetime.fromisoformat(values[0]), int(values[1])]
    except (TypeError, ValueError):
        raise Invalid("cursor", "not a cursor this API handed out") from None


def ordered(query: Select[Any], sort: str) -> Select[Any]:
    _sort_keys(sort)  # the error for an unknown order
    return query.order_by(*_ORDER_BY[sort])


async def list_tickets(
    session: AsyncSession,
    actor: Actor,
    filters: TicketFilters,
    *,
    sort: str = "importance",
    cursor: str | None = None,
    limit: int | None = None,
    search: str | None = None,
) -> Page[Ticket]:
    """One page of tickets in one query (the caller loads what it shows for the page in a fixed
    number of further queries). `search` keeps the tickets matching it; with `sort="relevance"` the
    best matches come first."""
    size = check_limit(limit)
    conditions = ticket_conditions(actor, filters)
    query: Select[Any] = select(Ticket).where(*conditions)
    keys: list[Any]
    dialect = session.get_bind().dialect.name
    if sort == "relevance":
        if not search:
            raise Invalid("sort", "relevance needs a search (q)")
        hits = ticket_search.search_hits(dialect, search, within=conditions)
        query = query.join(hits, hits.c.ticket_id == Ticket.id).add_columns(hits.c.rank)
        keys, ascending = [hits.c.rank, Ticket.id], True
    else:
        keys, ascending = _sort_keys(sort)
        if search:
            query = query.where(ticket_search.matches(dialect, search))
    after = decode_cursor(cursor, arity=len(keys))
    if after is not None:
        values = _typed_cursor(after, sort)
        row, bound = tuple_(*keys), tuple_(*(literal(v, k.type) for v, k in zip(values, keys, strict=True)))
        query = query.where(row > bound if ascending else row < bound)
    order = _ORDER_BY[sort] if sort in _ORDER_BY else [key.asc() if ascending else key.desc() for key in keys]
    query = query.order_by(*order).limit(size + 1)
    result = await session.execute(query)
    rows: list[tuple[Ticket, float]]
    if sort == "relevance":
        rows = [(row[0], float(row[1])) for row in result.all()]
    else:
        rows = [(ticket, 0.0) for ticket in result.scalars()]
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = None
    if more and rows:
        last, rank = rows[-1]
        next_cursor = encode_cursor([rank, last.id] if sort == "relevance" else _cursor_values(last, sort))
    return Page(items=[ticket for ticket, _ in rows], next_cursor=next_cursor)


async def count_by_status(
    session: AsyncSession, actor: Actor, filters: TicketFilters, statuses: Iterable[Status] | None = None
) -> dict[str, int]:
    """How many tickets the actor may see in each of `statuses` (default: every status but init), the
    status filter itself ignored, so the counts can label a status menu. Each status asked for appears,
    zero or not. A menu asks only for its own statuses: counting the closed ones would read most of
    the table on every page load."""
    wanted: list[Status] = [status for status in (statuses or Status) if status is not Status.INIT]
    everything = replace(filters, category=None, statuses=wanted)
    query = (
        select(Ticket.status, func.count())
        .where(*ticket_conditions(actor, everything))
        .group_by(Ticket.status)
    )
    counts = {status.value: 0 for status in wanted}
    for status, count in (await session.execute(query)).all():
        if status in counts:
            counts[status] = int(count)
    return counts


async def count_by_contact(session: AsyncSession, actor: Actor, contact_ids: list[int]) -> dict[int, int]:
    """How many tickets of each contact the actor may see (as a list without filters shows them), in
    one query for a whole page of contacts."""
    if not contact_ids:
        return {}
    query = (
        select(Ticket.contact_id, func.count())
        .where(*ticket_conditions(actor, TicketFilters()), Ticket.contact_id.in_(contact_ids))
        .group_by(Ticket.contact_id)
    )
    return {int(contact_id): int(count) for contact_id, count in (await session.execute(query)).all()}
