"""Ticket settings: when resolved tickets close. Everyone signed in reads them; manage_settings changes."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, patch
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from linka.domains.tickets import settings as ticket_settings
from linka.domains.tickets.schemas import TicketSettingsIn, TicketSettingsOut
from linka.entrypoints.api.auth import CurrentActor, runtime_of
from linka.entrypoints.runtime import Runtime


async def _out(session: AsyncSession, runtime: Runtime) -> TicketSettingsOut:
    default = runtime.settings.close_resolved_after_days
    days = await ticket_settings.stored_close_resolved_after_days(session)
    return TicketSettingsOut(
        close_resolved_after_days=default if days is None else days, is_default=days is None
    )


@get("/settings/tickets", tags=["settings"], summary="Ticket settings (when resolved tickets close)")
async def get_ticket_settings(request: Request[Any, Any, Any], actor: CurrentActor) -> TicketSettingsOut:
    runtime = runtime_of(request)
    async with runtime.db.read_session() as session:
        return await _out(session, runtime)


@patch("/settings/tickets", tags=["settings"], summary="Change the ticket settings (manage_settings)")
async def update_ticket_settings(
    request: Request[Any, Any, Any], actor: CurrentActor, data: JSONBody[TicketSettingsIn]
) -> TicketSettingsOut:
    runtime = runtime_of(request)
    async with runtime.uow(actor) as uow:
        await ticket_settings.set_close_resolved_after_days(uow, days=data.close_resolved_after_days)
        return await _out(uow.session, runtime)


routes = [get_ticket_settings, update_ticket_settings]
