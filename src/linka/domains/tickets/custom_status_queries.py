"""Reads of ticket statuses as people see them: the built-in statuses with their names in English,
Czech and Hungarian, and the custom statuses admins add (each shown by its name, behaving as its
category). Every signed-in agent may read them: lists and filters show them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.errors import Invalid, NotFound
from linka.core.permissions import Actor
from linka.domains.tickets.models import CustomStatus, Ticket
from linka.domains.tickets.statuses import Status

_PUBLIC_ID = re.compile(r"[a-z]{2}_[0-9a-z]{12}")
LANGUAGES = ("en", "cs", "hu")

# What people call the built-in statuses. `init` is internal (a ticket being created) and not listed.
BUILTIN_NAMES: dict[Status, dict[str, str]] = {
    Status.NEW: {"en": "New", "cs": "Nový", "hu": "Új"},
    Status.CHATTING: {"en": "Chatting", "cs": "Probíhá chat", "hu": "Csevegés folyamatban"},
    Status.CALLING: {"en": "Calling", "cs": "Probíhá hovor", "hu": "Hívás folyamatban"},
    Status.ANSWERED: {"en": "Answered", "cs": "Zodpovězený", "hu": "Megválaszolva"},
    Status.OPEN: {"en": "Open", "cs": "Otevřený", "hu": "Nyitott"},
    Status.POSTPONED: {"en": "Postponed", "cs": "Odložený", "hu": "Elhalasztva"},
    Status.RESOLVED: {"en": "Resolved", "cs": "Vyřešený", "hu": "Megoldva"},
    Status.CLOSED: {"en": "Closed", "cs": "Uzavřený", "hu": "Lezárva"},
    Status.SPAM: {"en": "Spam", "cs": "Spam", "hu": "Spam"},
    Status.DELETED: {"en": "Deleted", "cs": "Smazaný", "hu": "Törölve"},
}
# What a custom status may stand for: not `init` (internal) nor `chatting`/`calling`, which only a
# running chat or call sets and ends.
CATEGORIES: tuple[Status, ...] = (
    Status.NEW,
    Status.ANSWERED,
    Status.OPEN,
    Status.POSTPONED,
    Status.RESOLVED,
    Status.CLOSED,
    Status.SPAM,
    Status.DELETED,
)


@dataclass(frozen=True)
class StatusView:
    """One status as lists show it: `id` is the status itself for built-ins, `ts_…` for custom ones."""

    id: str
    builtin: bool
    category: str
    name: str
    translations: dict[str, str]
    position: int

    def label(self, language: str) -> str:
        return self.translations.get(language) or self.name


def builtin_view(status: Status, position: int) -> StatusView:
    names = BUILTIN_NAMES[status]
    return StatusView(
        id=status.value,
        builtin=True,
        category=status.value,
        name=names["en"],
        translations={"cs": names["cs"], "hu": names["hu"]},
        position=position,
    )


def custom_view(status: CustomStatus) -> StatusView:
    return StatusView(
        id=status.public_id,
        builtin=False,
        category=status.category,
        name=status.name,
        translations=dict(status.translations or {}),
        position=status.position,
    )


def builtin_name_clash(name: str) -> Status | None:
    """The built-in status called `name` in any language (case ignored), if any."""
    wanted = name.lower()
    for status, names in BUILTIN_NAMES.items():
        if wanted in {text.lower() for text in names.values()} or wanted == status.value:
            return status
    return None


async def custom_statuses(session: AsyncSession) -> list[CustomStatus]:
    query = select(CustomStatus).order_by(CustomStatus.position, CustomStatus.name, CustomStatus.id)
    return list((await session.execute(query)).scalars())


async def list_statuses(session: AsyncSession, actor: Actor) -> list[StatusView]:
    """The built-in statuses in lifecycle order, then the custom ones by position and name (they are
    few: one query, no pages)."""
    del actor  # every signed-in agent may read them
    builtins = [builtin_view(status, position) for position, status in enumerate(BUILTIN_NAMES)]
    return builtins + [custom_view(status) for status in await custom_statuses(session)]


async def custom_status_by_public_id(
    session: AsyncSession, public_id: str, *, field: str | None = None
) -> CustomStatus:
    """The custom status by its `ts_…` id: NotFound, or Invalid(field) when the id came in a request
    body. A ticket given it takes its `category` through the transition table."""
    found = None
    if _PUBLIC_ID.fullmatch(public_id):
        query = select(CustomStatus).where(CustomStatus.public_id == public_id)
        found = (await session.execute(query)).scalar_one_or_none()
    if found is None:
        if field is not None:
            raise Invalid(field, "no such custom status")
        raise NotFound("custom status")
    return found


async def custom_status_named(
    session: AsyncSession, name: str, *, except_id: int | None = None
) -> CustomStatus | None:
    """A custom status called `name`, case ignored (compared in Python: SQLite's lower() is ASCII only)."""
    query = select(CustomStatus).where(func.length(CustomStatus.name) == len(name))
    if except_id is not None:
        query = query.where(CustomStatus.id != except_id)
    for status in (await session.execute(query)).scalars():
        if status.name.lower() == name.lower():
            return status
    return None


async def custom_statuses_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, CustomStatus]:
    """Custom statuses by key, for a page of tickets: one query."""
    if not ids:
        return {}
    query = select(CustomStatus).where(CustomStatus.id.in_(sorted(set(ids))))
    return {status.id: status for status in (await session.execute(query)).scalars()}


async def ticket_ids_with_custom_status(session: AsyncSession, status_id: int) -> list[int]:
    rows = await session.execute(
        select(Ticket.id).where(Ticket.custom_status_id == status_id).order_by(Ticket.id)
    )
    return [int(ticket_id) for ticket_id in rows.scalars()]
