"""Ticket settings admins change in the app: for now, after how many days resolved tickets close.
The environment's LINKA_CLOSE_RESOLVED_AFTER_DAYS is the default until an admin sets a value."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.errors import Invalid
from linka.core.permissions import Permission, require, require_write
from linka.core.uow import UnitOfWork
from linka.domains.tickets.models import TicketSettings

MAX_CLOSE_DAYS = 365
_ROW = 1


async def stored_close_resolved_after_days(session: AsyncSession) -> int | None:
    """The value an admin set, or None when the server's default applies."""
    row = await session.get(TicketSettings, _ROW)
    return None if row is None else row.close_resolved_after_days


async def close_resolved_after_days(session: AsyncSession, *, default: int) -> int:
    stored = await stored_close_resolved_after_days(session)
    return default if stored is None else stored


async def set_close_resolved_after_days(uow: UnitOfWork, *, days: int | None) -> None:
    """Set the days (0: never close), or None to follow the server's default again."""
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_SETTINGS)
    if days is not None and not 0 <= days <= MAX_CLOSE_DAYS:
        raise Invalid(
            "close_resolved_after_days", "between 0 (never) and %(max)s", values={"max": MAX_CLOSE_DAYS}
        )
    row = await uow.session.get(TicketSettings, _ROW)
    if row is None:
        row = TicketSettings(id=_ROW, close_resolved_after_days=None, updated_at=uow.now)
        uow.session.add(row)
    before = {"close_resolved_after_days": row.close_resolved_after_days}
    row.close_resolved_after_days = days
    if uow.history_of_changes(
        "ticket_settings", _ROW, before=before, after={"close_resolved_after_days": days}
    ):
        row.updated_at = uow.now
