"""Admin: workspace settings. The workspace's name and the language and time zone new agents start with;
whether two-factor sign-in is mandatory (owners decide: `credentials.set_security_settings`); and when
resolved tickets close (`tickets.settings`, as `api/ticket_settings.py`)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Template

from linka.core.errors import Invalid
from linka.core.permissions import Actor
from linka.domains.accounts import credentials, workspace_actions, workspace_queries
from linka.domains.tickets import settings as ticket_settings
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.web.admin_common import (
    FormData,
    admin_page,
    done_url,
    language_choices,
    ticked,
    time_zones,
)
from linka.entrypoints.web.auth import WebActor
from linka.entrypoints.web.errors import redirect
from linka.entrypoints.web.navigation import require_admin_section

SECTION = "settings"


async def _settings_page(
    request: Request[Any, Any, Any],
    actor: Actor,
    *,
    workspace_values: dict[str, Any] | None = None,
    ticket_values: dict[str, Any] | None = None,
    error: Invalid | None = None,
) -> Template:
    runtime = runtime_of(request)
    async with runtime.db.read_session() as session:
        workspace = await workspace_queries.workspace_settings(session)
        close_days = await ticket_settings.stored_close_resolved_after_days(session)
    return admin_page(
        request,
        "admin/settings.html",
        {
            "workspace": workspace_values
            or {
                "name": workspace.name,
                "default_language": workspace.default_language,
                "default_timezone": workspace.default_timezone,
            },
            "require_two_factor": workspace.require_two_factor,
            "tickets": ticket_values
            or {"close_resolved_after_days": "" if close_days is None else close_days},
            "server_close_days": runtime.settings.close_resolved_after_days,
            "language_choices": language_choices(),
            "time_zones": time_zones(),
            "may_change_security": actor.is_owner,
        },
        actor=actor,
        section=SECTION,
        error=error,
    )


@get("/admin/settings")
async def settings_page(request: Request[Any, Any, Any], actor: WebActor) -> Template:
    require_admin_section(actor, SECTION)
    return await _settings_page(request, actor)


@post("/admin/settings/workspace")
async def update_workspace(request: Request[Any, Any, Any], actor: WebActor, data: FormData) -> Response[Any]:
    require_admin_section(actor, SECTION)
    values = {
        "name": data.get("name", "").strip(),
        "default_language": data.get("default_language", ""),
        "default_timezone": data.get("default_timezone", "").strip(),
    }
    try:
        async with runtime_of(request).uow(actor) as uow:
            await workspace_actions.update_workspace_settings(uow, **values)
    except Invalid as error:
        return await _settings_page(request, actor, workspace_values=values, error=error)
    return redirect(request, done_url("/admin/settings", "saved"))


@post("/admin/settings/security")
async def update_security(request: Request[Any, Any, Any], actor: WebActor, data: FormData) -> Response[Any]:
    """Owners only (the action refuses everyone else with 403)."""
    require_admin_section(actor, SECTION)
    async with runtime_of(request).uow(actor) as uow:
        await credentials.set_security_settings(uow, require_two_factor=ticked(data, "require_two_factor"))
    return redirect(request, done_url("/admin/settings", "saved"))


@post("/admin/settings/tickets")
async def update_ticket_settings(
    request: Request[Any, Any, Any], actor: WebActor, data: FormData
) -> Response[Any]:
    """An empty field follows the server's default (LINKA_CLOSE_RESOLVED_AFTER_DAYS) again."""
    require_admin_section(actor, SECTION)
    text = data.get("close_resolved_after_days", "").strip()
    values = {"close_resolved_after_days": text}
    try:
        try:
            days = int(text) if text else None
        except ValueError:
            raise Invalid("close_resolved_after_days", "a whole number of days") from None
        async with runtime_of(request).uow(actor) as uow:
            await ticket_settings.set_close_resolved_after_days(uow, days=days)
    except Invalid as error:
        return await _settings_page(request, actor, ticket_values=values, error=error)
    return redirect(request, done_url("/admin/settings", "saved"))


routes = [settings_page, update_workspace, update_security, update_ticket_settings]
