"""A ticket's change log as the API shows it (the caller has checked the ticket is visible)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.errors import Invalid
from linka.core.history import HistoryEntry
from linka.core.pagination import check_limit, decode_cursor, encode_cursor
from linka.domains.tickets.schemas import HistoryItem, HistoryPage


async def ticket_history(
    session: AsyncSession, ticket_id: int, *, cursor: str | None = None, limit: int | None = None
) -> HistoryPage:
    size = check_limit(limit)
    query = select(HistoryEntry).where(
        HistoryEntry.entity_type == "ticket", HistoryEntry.entity_id == ticket_id
    )
    after = decode_cursor(cursor)
    if after is not None:
        if not isinstance(after[0], int):
            raise Invalid("cursor", "not a cursor this API handed out")
        query = query.where(HistoryEntry.id < after[0])
    entries = list((await session.execute(query.order_by(HistoryEntry.id.desc()).limit(size + 1))).scalars())
    more = len(entries) > size
    entries = entries[:size]
    return HistoryPage(
        items=[
            HistoryItem(
                at=entry.at,
                actor=entry.actor_label,
                origin=entry.origin,
                action=entry.action,
                before=entry.before,
                after=entry.after,
            )
            for entry in entries
        ],
        next_cursor=encode_cursor([entries[-1].id]) if more else None,
    )
