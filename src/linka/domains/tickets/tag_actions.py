"""Writes of tags: the tag definitions (manage_settings) and tagging tickets (whoever may work them).

Tagging is idempotent: adding a tag a ticket has, or removing one it has not, changes nothing and
records nothing. A change is a history entry of the ticket (the tag names before and after) and a
TicketChanged(fields=("tags",)) for rules and the agents' screens.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from msgspec import UNSET, UnsetType
from sqlalchemy import delete, update

from linka.core.errors import Conflict, Invalid, NotFound
from linka.core.ids import public_id
from linka.core.permissions import Permission, require, require_write
from linka.core.uow import UnitOfWork
from linka.domains.tickets import queries, tag_queries
from linka.domains.tickets.events import TagChanged, TagDeleted, TicketChanged
from linka.domains.tickets.models import Tag, Ticket, TicketTag

NAME_MAX = 60
COLOUR_RE = re.compile(r"#[0-9a-fA-F]{6}")
DEFAULT_COLOUR = "#6b7280"
MAX_TAGS_PER_TICKET = 50


def tag_snapshot(tag: Tag) -> dict[str, Any]:
    return {"name": tag.name, "colour": tag.colour, "is_public": tag.is_public}


def _name(value: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise Invalid("name", "must not be empty")
    if len(name) > NAME_MAX:
        raise Invalid("name", "at most %(max)s characters", values={"max": NAME_MAX})
    if "\x00" in name:
        raise Invalid("name", "must not contain NUL characters")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise Invalid("name", "not valid Unicode text") from exc
    return name


def _colour(value: str) -> str:
    if not COLOUR_RE.fullmatch(value):
        raise Invalid("colour", "a colour as #rrggbb, e.g. #2563eb")
    return value.lower()


async def _check_name_free(uow: UnitOfWork, name: str, *, except_id: int | None = None) -> None:
    clash = await tag_queries.tag_named(uow.session, name, except_id=except_id)
    if clash is not None:
        raise Conflict(
            "name", "the tag %(name)s exists (names ignore case)", values={"name": repr(clash.name)}
        )


async def _tag(uow: UnitOfWork, tag_id: int) -> Tag:
    tag = await uow.session.get(Tag, tag_id)
    if tag is None:
        raise NotFound("tag")
    return tag


async def create_tag(
    uow: UnitOfWork, *, name: str, colour: str = DEFAULT_COLOUR, is_public: bool = False
) -> Tag:
    """A new tag; private (the default) means agents only, never shown to customers."""
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_SETTINGS)
    name = _name(name)
    tag = Tag(
        public_id=public_id("tg"), name=name, colour=_colour(colour), is_public=is_public, created_at=uow.now
    )
    await _check_name_free(uow, name)
    uow.session.add(tag)
    await uow.flush_or_conflict("name", "a tag with this name exists")
    uow.history("tag", tag.id, "created", after=tag_snapshot(tag))
    uow.record(TagChanged(tag_id=tag.id))
    return tag


async def update_tag(
    uow: UnitOfWork,
    *,
    tag_id: int,
    name: str | UnsetType = UNSET,
    colour: str | UnsetType = UNSET,
    is_public: bool | UnsetType = UNSET,
) -> Tag:
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_SETTINGS)
    tag = await _tag(uow, tag_id)
    before = tag_snapshot(tag)
    if not isinstance(name, UnsetType):
        name = _name(name)
        await _check_name_free(uow, name, except_id=tag.id)
        tag.name = name
    if not isinstance(colour, UnsetType):
        tag.colour = _colour(colour)
    if not isinstance(is_public, UnsetType):
        tag.is_public = is_public
    if uow.history_of_changes("tag", tag.id, before=before, after=tag_snapshot(tag)):
        await uow.flush_or_conflict("name", "a tag with this name exists")
        uow.record(TagChanged(tag_id=tag.id))
    return tag


async def delete_tag(uow: UnitOfWork, *, tag_id: int) -> list[int]:
    """Delete a tag and take it off every ticket (each ticket's history says so). Returns those
    tickets' ids."""
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_SETTINGS)
    tag = await _tag(uow, tag_id)
    ticket_ids = await tag_queries.ticket_ids_with_tag(uow.session, tag.id)
    if ticket_ids:
        await uow.session.execute(delete(TicketTag).where(TicketTag.tag_id == tag.id))
        await uow.session.execute(
            update(Ticket)
            .where(Ticket.id.in_(ticket_ids))
            .values(updated_at=uow.now)
            .execution_options(synchronize_session="fetch")
        )
        for ticket_id in ticket_ids:
            uow.history("ticket", ticket_id, "untagged", before={"tags": [tag.name]}, after={"tags": []})
    uow.history("tag", tag.id, "deleted", before={"public_id": tag.public_id, **tag_snapshot(tag)})
    await uow.session.delete(tag)
    await uow.session.flush()
    uow.record(TagDeleted(tag_id=tag_id, ticket_ids=tuple(ticket_ids)))
    for ticket_id in ticket_ids:
        uow.record(TicketChanged(ticket_id=ticket_id, fields=("tags",)))
    return ticket_ids


async def _named_tags(uow: UnitOfWork, ticket_id: int) -> list[str]:
    tags = (await tag_queries.tags_of(uow.session, [ticket_id])).get(ticket_id, [])
    return [tag.name for tag in tags]


async def _wanted_tags(uow: UnitOfWork, tag_ids: Sequence[int]) -> list[Tag]:
    tags = await tag_queries.tags_by_ids(uow.session, tag_ids)
    if len(tags) != len(set(tag_ids)):
        raise NotFound("tag")
    return tags


async def tag_ticket(uow: UnitOfWork, *, code: str, tag_ids: Sequence[int]) -> Ticket:
    """Put tags on a ticket the actor may work (404 when invisible, 403 when only readable)."""
    require_write(uow.actor)
    ticket = await queries.workable_ticket(uow.session, uow.actor, code)
    tags = await _wanted_tags(uow, tag_ids)
    held = await tag_queries.tag_ids_of_ticket(uow.session, ticket.id)
    adding = [tag for tag in tags if tag.id not in held]
    if not adding:
        return ticket
    if len(held) + len(adding) > MAX_TAGS_PER_TICKET:
        raise Conflict("tags", "a ticket carries at most %(max)s tags", values={"max": MAX_TAGS_PER_TICKET})
    before = await _named_tags(uow, ticket.id)
    for tag in adding:
        uow.session.add(TicketTag(ticket_id=ticket.id, tag_id=tag.id))
    ticket.updated_at = uow.now
    await uow.session.flush()
    uow.history(
        "ticket",
        ticket.id,
        "tagged",
        before={"tags": before},
        after={"tags": await _named_tags(uow, ticket.id)},
    )
    uow.record(TicketChanged(ticket_id=ticket.id, fields=("tags",)))
    return ticket


async def untag_ticket(uow: UnitOfWork, *, code: str, tag_ids: Sequence[int]) -> Ticket:
    """Take tags off a ticket the actor may work; tags it does not carry are no change."""
    require_write(uow.actor)
    ticket = await queries.workable_ticket(uow.session, uow.actor, code)
    tags = await _wanted_tags(uow, tag_ids)
    held = await tag_queries.tag_ids_of_ticket(uow.session, ticket.id)
    removing = [tag.id for tag in tags if tag.id in held]
    if not removing:
        return ticket
    before = await _named_tags(uow, ticket.id)
    await uow.session.execute(
        delete(TicketTag).where(TicketTag.ticket_id == ticket.id, TicketTag.tag_id.in_(removing))
    )
    ticket.updated_at = uow.now
    await uow.session.flush()
    uow.history(
        "ticket",
        ticket.id,
        "untagged",
        before={"tags": before},
        after={"tags": await _named_tags(uow, ticket.id)},
    )
    uow.record(TicketChanged(ticket_id=ticket.id, fields=("tags",)))
    return ticket
