"""Writes of custom statuses (manage_settings): admin-named statuses that behave as a built-in one.

A ticket with a custom status has its category in `Ticket.status` and the custom one in
`custom_status_id`, so every rule, list and report that knows the built-in statuses works unchanged.
That is why a status in use cannot change its category (its tickets would no longer match it), and
why deleting one leaves its tickets in their category, only without the custom name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from msgspec import UNSET, UnsetType
from sqlalchemy import func, select, update

from linka.core.errors import Conflict, Invalid, NotFound
from linka.core.ids import public_id
from linka.core.permissions import Permission, require, require_write
from linka.core.uow import UnitOfWork
from linka.domains.tickets import custom_status_queries as status_queries
from linka.domains.tickets.events import CustomStatusChanged, CustomStatusDeleted, TicketChanged
from linka.domains.tickets.models import CustomStatus, Ticket
from linka.domains.tickets.statuses import Status

NAME_MAX = 60
POSITION_MAX = 10000
MAX_CUSTOM_STATUSES = 100
TRANSLATED = ("cs", "hu")


def status_snapshot(status: CustomStatus) -> dict[str, Any]:
    return {
        "name": status.name,
        "translations": dict(status.translations or {}),
        "category": status.category,
        "position": status.position,
    }


def _text(field: str, value: str) -> str:
    text = " ".join(value.split())
    if len(text) > NAME_MAX:
        raise Invalid(field, "at most %(max)s characters", values={"max": NAME_MAX})
    if "\x00" in text:
        raise Invalid(field, "must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise Invalid(field, "not valid Unicode text") from exc
    return text


def _name(value: str) -> str:
    name = _text("name", value)
    if not name:
        raise Invalid("name", "must not be empty")
    clash = status_queries.builtin_name_clash(name)
    if clash is not None:
        raise Conflict(
            "name", "this is the name of the built-in status %(status)s", values={"status": clash.value}
        )
    return name


def _translations(values: Mapping[str, str] | None) -> dict[str, str]:
    found: dict[str, str] = {}
    for language, text in (values or {}).items():
        if language not in TRANSLATED:
            raise Invalid(
                "translations",
                "languages are %(choices)s; not %(language)s",
                values={"choices": ", ".join(TRANSLATED), "language": repr(language)},
            )
        cleaned = _text(f"translations.{language}", str(text))
        if cleaned:
            found[language] = cleaned
    return found


def _category(value: str) -> str:
    if value not in {status.value for status in status_queries.CATEGORIES}:
        allowed = ", ".join(status.value for status in status_queries.CATEGORIES)
        raise Invalid("category", "must be one of %(allowed)s", values={"allowed": allowed})
    return Status(value).value


def _position(value: int) -> int:
    if not 0 <= value <= POSITION_MAX:
        raise Invalid("position", "between 0 and %(max)s", values={"max": POSITION_MAX})
    return value


async def _check_name_free(uow: UnitOfWork, name: str, *, except_id: int | None = None) -> None:
    clash = await status_queries.custom_status_named(uow.session, name, except_id=except_id)
    if clash is not None:
        raise Conflict(
            "name", "the custom status %(name)s exists (names ignore case)", values={"name": repr(clash.name)}
        )


async def _status(uow: UnitOfWork, status_id: int) -> CustomStatus:
    status = await uow.session.get(CustomStatus, status_id)
    if status is None:
        raise NotFound("custom status")
    return status


async def create_custom_status(
    uow: UnitOfWork,
    *,
    name: str,
    category: str,
    translations: Mapping[str, str] | None = None,
    position: int = 0,
) -> CustomStatus:
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_SETTINGS)
    status = CustomStatus(
        public_id=public_id("ts"),
        name=_name(name),
        translations=_translations(translations),
        category=_category(category),
        position=_position(position),
        created_at=uow.now,
    )
    await _check_name_free(uow, status.name)
    count = (await uow.session.execute(select(func.count()).select_from(CustomStatus))).scalar_one()
    if count >= MAX_CUSTOM_STATUSES:
        raise Conflict("name", "at most %(max)s custom statuses", values={"max": MAX_CUSTOM_STATUSES})
    uow.session.add(status)
    await uow.flush_or_conflict("name", "a custom status with this name exists")
    uow.history("custom_status", status.id, "created", after=status_snapshot(status))
    uow.record(CustomStatusChanged(status_id=status.id))
    return status


async def update_custom_status(
    uow: UnitOfWork,
    *,
    status_id: int,
    name: str | UnsetType = UNSET,
    category: str | UnsetType = UNSET,
    translations: Mapping[str, str] | UnsetType = UNSET,
    position: int | UnsetType = UNSET,
) -> CustomStatus:
    """Rename, translate or reorder a custom status. Its category changes only while no ticket has it
    (409 naming how many do): those tickets would otherwise sit in a category the status no longer
    stands for, without having gone through the transition table."""
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_SETTINGS)
    status = await _status(uow, status_id)
    before = status_snapshot(status)
    if not isinstance(name, UnsetType):
        status.name = _name(name)
        await _check_name_free(uow, status.name, except_id=status.id)
    if not isinstance(translations, UnsetType):
        status.translations = _translations(translations)
    if not isinstance(category, UnsetType):
        wanted = _category(category)
        if wanted != status.category:
            in_use = await status_queries.ticket_ids_with_custom_status(uow.session, status.id)
            if in_use:
                raise Conflict(
                    "category",
                    "%(count)s ticket(s) have this status; its category changes only when none has",
                    values={"count": len(in_use)},
                )
            status.category = wanted
    if not isinstance(position, UnsetType):
        status.position = _position(position)
    if uow.history_of_changes("custom_status", status.id, before=before, after=status_snapshot(status)):
        await uow.flush_or_conflict("name", "a custom status with this name exists")
        uow.record(CustomStatusChanged(status_id=status.id))
    return status


async def delete_custom_status(uow: UnitOfWork, *, status_id: int) -> list[int]:
    """Delete a custom status. Tickets that have it keep their status (its category) without the
    custom name; each one's history records that. Returns those tickets' ids."""
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_SETTINGS)
    status = await _status(uow, status_id)
    ticket_ids = await status_queries.ticket_ids_with_custom_status(uow.session, status.id)
    if ticket_ids:
        await uow.session.execute(
            update(Ticket)
            .where(Ticket.id.in_(ticket_ids))
            .values(custom_status_id=None, updated_at=uow.now)
            .execution_options(synchronize_session="fetch")
        )
        for ticket_id in ticket_ids:
            uow.history(
                "ticket",
                ticket_id,
                "custom_status_removed",
                before={"custom_status_id": status.id, "custom_status": status.name},
                after={"custom_status_id": None, "custom_status": None},
            )
    uow.history(
        "custom_status",
        status.id,
        "deleted",
        before={"public_id": status.public_id, **status_snapshot(status)},
    )
    await uow.session.delete(status)
    await uow.session.flush()
    uow.record(CustomStatusDeleted(status_id=status_id, ticket_ids=tuple(ticket_ids)))
    for ticket_id in ticket_ids:
        uow.record(TicketChanged(ticket_id=ticket_id, fields=("custom_status",)))
    return ticket_ids
