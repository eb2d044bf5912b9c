"""Saved views an agent may use: their own, and those shared with a department they belong to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.errors import NotFound
from linka.core.permissions import Actor
from linka.domains.tickets.models import SavedView

MAX_VIEWS = 100


def usable_view_condition(actor: Actor) -> Any:
    """Views the actor may use: their own, and those shared with a department they belong to."""
    departments = list(actor.departments)
    own = SavedView.owner_agent_id == (actor.agent_id or -1)
    if actor.is_admin:
        return or_(own, SavedView.department_id.is_not(None))
    return or_(own, SavedView.department_id.in_(departments)) if departments else own


async def usable_view(session: AsyncSession, actor: Actor, view_public_id: str) -> SavedView:
    query = select(SavedView).where(SavedView.public_id == view_public_id, usable_view_condition(actor))
    view = (await session.execute(query)).scalar_one_or_none()
    if view is None:
        raise NotFound("view")
    return view


async def list_views(session: AsyncSession, actor: Actor) -> list[SavedView]:
    query = select(SavedView).where(usable_view_condition(actor)).order_by(SavedView.position, SavedView.name)
    return list((await session.execute(query.limit(MAX_VIEWS))).scalars())
