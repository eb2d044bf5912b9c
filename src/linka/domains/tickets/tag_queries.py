"""Reads of tags: the tag list every agent picks from, and the tags of many tickets at once.

Tag definitions are not secret to agents (private tags are hidden from customers, not from
colleagues); which tickets carry them is shown only with tickets the caller may already see.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from linka.core.errors import Invalid, NotFound
from linka.core.pagination import Page, check_limit, decode_cursor, encode_cursor
from linka.core.permissions import Actor
from linka.domains.tickets.models import Tag, TicketTag

_PUBLIC_ID = re.compile(r"[a-z]{2}_[0-9a-z]{12}")
_MAX_KEY = 2**63 - 1


async def tag_by_public_id(session: AsyncSession, public_id: str, *, field: str | None = None) -> Tag:
    """The tag by its public id: NotFound, or Invalid(field) when the id came in a request body."""
    found = None
    if _PUBLIC_ID.fullmatch(public_id):
        found = (await session.execute(select(Tag).where(Tag.public_id == public_id))).scalar_one_or_none()
    if found is None:
        if field is not None:
            raise Invalid(field, "no such tag")
        raise NotFound("tag")
    return found


async def tags_by_ids(session: AsyncSession, tag_ids: Sequence[int]) -> list[Tag]:
    if not tag_ids:
        return []
    query = select(Tag).where(Tag.id.in_(sorted(set(tag_ids)))).order_by(Tag.name, Tag.id)
    return list((await session.execute(query)).scalars())


async def tag_named(session: AsyncSession, name: str, *, except_id: int | None = None) -> Tag | None:
    """A tag whose name equals `name` ignoring case. Lower-casing is done here, not in SQL: SQLite's
    lower() knows ASCII only, and "Řešení" must clash with "řešení" on both engines."""
    query = select(Tag).where(func.length(Tag.name) == len(name))
    if except_id is not None:
        query = query.where(Tag.id != except_id)
    wanted = name.lower()
    for tag in (await session.execute(query)).scalars():
        if tag.name.lower() == wanted:
            return tag
    return None


async def tags_of(session: AsyncSession, ticket_ids: Sequence[int]) -> dict[int, list[Tag]]:
    """The tags of many tickets in one query, each ticket's by name (tickets without: absent)."""
    found: dict[int, list[Tag]] = defaultdict(list)
    if ticket_ids:
        rows = await session.execute(
            select(TicketTag.ticket_id, Tag)
            .join(Tag, Tag.id == TicketTag.tag_id)
            .where(TicketTag.ticket_id.in_(sorted(set(ticket_ids))))
            .order_by(TicketTag.ticket_id, Tag.name, Tag.id)
        )
        for ticket_id, tag in rows.all():
            found[int(ticket_id)].append(tag)
    return dict(found)


async def tag_ids_of_ticket(session: AsyncSession, ticket_id: int) -> set[int]:
    rows = await session.execute(select(TicketTag.tag_id).where(TicketTag.ticket_id == ticket_id))
    return {int(tag_id) for tag_id in rows.scalars()}


async def ticket_ids_with_tag(session: AsyncSession, tag_id: int) -> list[int]:
    rows = await session.execute(
        select(TicketTag.ticket_id).where(TicketTag.tag_id == tag_id).order_by(TicketTag.ticket_id)
    )
    return [int(ticket_id) for ticket_id in rows.scalars()]


def tagged_condition(
    tag_id: int, ticket_id: ColumnElement[int] | InstrumentedAttribute[int]
) -> ColumnElement[bool]:
    """EXISTS(the ticket `ticket_id` — usually the outer `Ticket.id` — carries the tag), for list filters."""
    return (
        select(TicketTag.ticket_id)
        .where(TicketTag.ticket_id == ticket_id, TicketTag.tag_id == tag_id)
        .exists()
    )


def _cursor(cursor: str | None) -> tuple[str, int] | None:
    after = decode_cursor(cursor, arity=2)
    if after is None:
        return None
    name, key = after
    if not isinstance(name, str) or len(name) > 60 or isinstance(key, bool) or not isinstance(key, int):
        raise Invalid("cursor", "not a cursor this API handed out")
    if not 0 <= key <= _MAX_KEY:
        raise Invalid("cursor", "not a cursor this API handed out")
    return name, key


async def list_tags(
    session: AsyncSession,
    actor: Actor,
    *,
    q: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Tag]:
    """Every tag, by name (keyset pages); `q` keeps those whose name contains it (case ignored for
    ASCII letters on SQLite, for all letters on PostgreSQL). Every signed-in agent may read them."""
    del actor  # tags are shared by all agents; the parameter keeps the query shape uniform
    size = check_limit(limit)
    query: Select[Tag] = select(Tag)
    if q is not None and q.strip():
        if len(q) > 60 or "\x00" in q:
            raise Invalid("q", "at most 60 characters, no NUL")
        query = query.where(Tag.name.ilike(f"%{_escape_like(q.strip())}%", escape="\\"))
    after = _cursor(cursor)
    if after is not None:
        name, key = after
        query = query.where(or_(Tag.name > name, (Tag.name == name) & (Tag.id > key)))
    tags = list((await session.execute(query.order_by(Tag.name, Tag.id).limit(size + 1))).scalars())
    more = len(tags) > size
    tags = tags[:size]
    return Page(items=tags, next_cursor=encode_cursor([tags[-1].name, tags[-1].id]) if more else None)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
