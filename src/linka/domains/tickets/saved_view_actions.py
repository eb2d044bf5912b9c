"""Saved ticket filters ("views"): an agent's own, or shared with a department. A shared view is made
and changed by a supervisor (or more) of that department; everyone in the department uses it."""

from __future__ import annotations

from typing import Any

from linka.core.errors import Forbidden, Invalid, NotFound
from linka.core.ids import public_id
from linka.core.permissions import Actor, DepartmentRole, department_role_at_least, require_write
from linka.core.uow import UnitOfWork
from linka.domains.tickets.list_queries import SORTS
from linka.domains.tickets.models import SavedView
from linka.domains.tickets.saved_view_queries import usable_view

# Filters a view may hold: the query parameters of GET /tickets, values as the API takes them.
VIEW_FILTERS = frozenset(
    {
        "status",
        "category",
        "department",
        "assignee",
        "tag",
        "channel",
        "priority",
        "contact",
        "company",
        "created_from",
        "created_to",
        "updated_from",
        "updated_to",
        "q",
        "field",
    }
)


def _clean_filters(filters: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(filters) - VIEW_FILTERS)
    if unknown:
        raise Invalid(
            "filters",
            "unknown filter %(unknown)s; known: %(choices)s",
            values={"unknown": repr(unknown[0]), "choices": ", ".join(sorted(VIEW_FILTERS))},
        )
    clean: dict[str, Any] = {}
    for key, value in filters.items():
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(item, str) and len(item) <= 200 for item in values) or len(values) > 20:
            raise Invalid(f"filters.{key}", "must be a text or a list of at most 20 texts")
        clean[key] = value
    return clean


def _check_share(actor: Actor, department_id: int | None) -> None:
    if department_id is not None and not department_role_at_least(
        actor, department_id, DepartmentRole.SUPERVISOR
    ):
        raise Forbidden("only a supervisor of the department shares views with it")


async def _changeable_view(uow: UnitOfWork, view_public_id: str) -> SavedView:
    view = await usable_view(uow.session, uow.actor, view_public_id)
    if view.department_id is not None:
        _check_share(uow.actor, view.department_id)
    elif view.owner_agent_id != uow.actor.agent_id:
        raise NotFound("view")
    return view


def _snapshot(view: SavedView) -> dict[str, Any]:
    return {
        "name": view.name,
        "department_id": view.department_id,
        "filters": view.filters,
        "sort": view.sort,
    }


def _check_fields(name: str, sort: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise Invalid("name", "must not be empty")
    if sort not in SORTS:
        raise Invalid("sort", "must be one of %(choices)s", values={"choices": ", ".join(SORTS)})
    return name


async def create_view(
    uow: UnitOfWork,
    *,
    name: str,
    filters: dict[str, Any],
    sort: str = "importance",
    department_id: int | None = None,
) -> SavedView:
    require_write(uow.actor)
    if uow.actor.agent_id is None:
        raise Forbidden("views belong to agents")
    name = _check_fields(name, sort)
    _check_share(uow.actor, department_id)
    view = SavedView(
        public_id=public_id("vw"),
        name=name,
        owner_agent_id=uow.actor.agent_id,
        department_id=department_id,
        filters=_clean_filters(filters),
        sort=sort,
        created_at=uow.now,
        updated_at=uow.now,
    )
    uow.session.add(view)
    await uow.session.flush()
    uow.history("saved_view", view.id, "created", after=_snapshot(view))
    return view


async def update_view(
    uow: UnitOfWork,
    *,
    view_public_id: str,
    name: str | None = None,
    filters: dict[str, Any] | None = None,
    sort: str | None = None,
) -> SavedView:
    require_write(uow.actor)
    view = await _changeable_view(uow, view_public_id)
    before = _snapshot(view)
    view.name = _check_fields(
        name if name is not None else view.name, sort if sort is not None else view.sort
    )
    if sort is not None:
        view.sort = sort
    if filters is not None:
        view.filters = _clean_filters(filters)
    if uow.history_of_changes("saved_view", view.id, before=before, after=_snapshot(view)):
        view.updated_at = uow.now
    return view


async def delete_view(uow: UnitOfWork, *, view_public_id: str) -> None:
    require_write(uow.actor)
    view = await _changeable_view(uow, view_public_id)
    uow.history("saved_view", view.id, "deleted", before=_snapshot(view))
    await uow.session.delete(view)
