"""Admin: agents. The list (search by name or email, active or deactivated), inviting an agent (created
without a password, then mailed the invitation link), changing one, deactivating and reactivating, and
mailing an invitation again. The same actions and queries as `api/agents.py` and `api/invitations.py`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Request, Response, get, post
from litestar.params import PathParameter, QueryParameter
from litestar.response import Template
from msgspec import UNSET, UnsetType

from linka.core.errors import Invalid
from linka.core.i18n import Translator
from linka.core.permissions import Actor, BaseRole
from linka.domains.accounts import actions, agent_actions, credentials, queries, workspace_queries
from linka.domains.accounts.schemas import AgentCreateIn, AgentUpdateIn, AgentView, RoleList
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.web.admin_common import (
    BASE_ROLE_LABELS,
    DEPARTMENT_ROLE_LABELS,
    PAGE_SIZE,
    Cursor,
    FormData,
    admin_page,
    checked,
    done_url,
    language_choices,
    page_url,
    time_zones,
)
from linka.entrypoints.web.auth import WebActor, translator_for
from linka.entrypoints.web.errors import redirect
from linka.entrypoints.web.navigation import may_use_admin_section, require_admin_section

SECTION = "agents"
AgentPath = Annotated[str, PathParameter(max_length=24)]
Search = Annotated[str | None, QueryParameter(max_length=120)]
StatusFilter = Annotated[Literal["all", "active", "deactivated"] | None, QueryParameter()]


def _base_roles_for(actor: Actor, current: str | None = None) -> list[str]:
    """The base roles the actor may give (the domain refuses the rest too); the current one stays listed."""
    allowed = [BaseRole.AGENT.value]
    if actor.is_admin:
        allowed.insert(0, BaseRole.ADMIN.value)
    if actor.is_owner:
        allowed.insert(0, BaseRole.OWNER.value)
    if current and current not in allowed:
        allowed.insert(0, current)
    return allowed


def _may_change(actor: Actor, view: AgentView) -> bool:
    """Whether the form is worth showing: only owners change owners, only admins change admins."""
    if view.role == BaseRole.OWNER.value:
        return actor.is_owner
    if view.role == BaseRole.ADMIN.value:
        return actor.is_admin
    return True


def _form_context(
    t: Translator, actor: Actor, roles: RoleList, values: dict[str, Any], *, current_role: str | None = None
) -> dict[str, Any]:
    return {
        "values": values,
        "role_choices": [(r, t.gettext(BASE_ROLE_LABELS[r])) for r in _base_roles_for(actor, current_role)],
        "custom_role_choices": [("", t.gettext("None"))]
        + [(role.id, role.name) for role in roles.items if not role.builtin],
        "language_choices": language_choices(),
        "time_zones": time_zones(),
    }


@get("/admin/agents")
async def agents_page(
    request: Request[Any, Any, Any],
    actor: WebActor,
    q: Search = None,
    status: StatusFilter = None,
    cursor: Cursor = None,
) -> Template:
    require_admin_section(actor, SECTION)
    active = {"active": True, "deactivated": False}.get(status or "all")
    async with runtime_of(request).db.read_session() as session:
        agents = await queries.list_agents(
            session, actor, cursor=cursor, limit=PAGE_SIZE, active=active, q=q or None
        )
        roles = await queries.list_roles(session, actor)
    next_url = ""
    if agents.next_cursor:
        next_url = page_url("/admin/agents", q=q, status=status, cursor=agents.next_cursor)
    return admin_page(
        request,
        "admin/agents.html",
        {
            "agents": agents.items,
            "role_names": {role.id: role.name for role in roles.items if not role.builtin},
            "base_role_labels": BASE_ROLE_LABELS,
            "department_role_labels": DEPARTMENT_ROLE_LABELS,
            "q": q or "",
            "status": status or "all",
            "next_url": next_url,
        },
        actor=actor,
        section=SECTION,
    )


async def _invite_form(
    request: Request[Any, Any, Any], actor: Actor, values: dict[str, Any], error: Invalid | None = None
) -> Template:
    async with runtime_of(request).db.read_session() as session:
        roles = await queries.list_roles(session, actor)
    context = _form_context(translator_for(request, actor), actor, roles, values)
    return admin_page(request, "admin/agent_invite.html", context, actor=actor, section=SECTION, error=error)


@get("/admin/agents/new")
async def invite_page(request: Request[Any, Any, Any], actor: WebActor) -> Template:
    require_admin_section(actor, SECTION)
    async with runtime_of(request).db.read_session() as session:
        workspace = await workspace_queries.workspace_settings(session)
    values = {
        "email": "",
        "name": "",
        "role": BaseRole.AGENT.value,
        "custom_role_id": "",
        "language": workspace.default_language,
        "timezone": workspace.default_timezone,
    }
    return await _invite_form(request, actor, values)


@post("/admin/agents")
async def invite_agent(request: Request[Any, Any, Any], actor: WebActor, data: FormData) -> Response[Any]:
    require_admin_section(actor, SECTION)
    values = {
        "email": data.get("email", "").strip(),
        "name": data.get("name", "").strip(),
        "role": data.get("role", BaseRole.AGENT.value),
        "custom_role_id": data.get("custom_role_id") or None,
        "language": data.get("language", "en"),
        "timezone": data.get("timezone", "").strip(),
    }
    runtime = runtime_of(request)
    try:
        body = checked(AgentCreateIn, values)
        async with runtime.uow(actor) as uow:
            custom_role_id = await queries.role_id_for_field(
                uow.session, body.custom_role_id, field="custom_role_id"
            )
            agent = await actions.create_agent(
                uow,
                email=body.email,
                name=body.name,
                password=None,
                role=BaseRole(body.role),
                language=body.language,
                timezone=body.timezone,
                custom_role_id=custom_role_id,
            )
            await credentials.invite_agent(uow, agent_id=agent.id, links=runtime.links)
    except Invalid as error:
        return await _invite_form(request, actor, values, error)
    return redirect(request, done_url("/admin/agents", "invited"))


async def _agent_page(
    request: Request[Any, Any, Any],
    actor: Actor,
    agent_id: str,
    values: dict[str, Any] | None = None,
    error: Invalid | None = None,
) -> Template:
    async with runtime_of(request).db.read_session() as session:
        agent = await queries.agent_by_public_id(session, agent_id)
        view = await queries.show_agent(session, actor, agent)
        roles = await queries.list_roles(session, actor)
    if values is None:
        values = {
            "name": view.name,
            "role": view.role,
            "custom_role_id": view.custom_role_id or "",
            "language": view.language,
            "timezone": view.timezone,
        }
    t = translator_for(request, actor)
    current_role = view.role if isinstance(view.role, str) else None
    context = _form_context(t, actor, roles, values, current_role=current_role)
    context.update(
        agent=view,
        may_change=_may_change(actor, view),
        is_self=actor.agent_id == agent.id,
        links_departments=may_use_admin_section(actor, "departments"),
        department_role_labels=DEPARTMENT_ROLE_LABELS,
    )
    return admin_page(request, "admin/agent_edit.html", context, actor=actor, section=SECTION, error=error)


@get("/admin/agents/{agent_id:str}")
async def agent_page(request: Request[Any, Any, Any], actor: WebActor, agent_id: AgentPath) -> Template:
    require_admin_section(actor, SECTION)
    return await _agent_page(request, actor, agent_id)


@post("/admin/agents/{agent_id:str}")
async def update_agent(
    request: Request[Any, Any, Any], actor: WebActor, agent_id: AgentPath, data: FormData
) -> Response[Any]:
    require_admin_section(actor, SECTION)
    values = {
        "name": data.get("name", "").strip(),
        "role": data.get("role", ""),
        "custom_role_id": data.get("custom_role_id") or None,
        "language": data.get("language", ""),
        "timezone": data.get("timezone", "").strip(),
    }
    try:
        body = checked(AgentUpdateIn, values)
        async with runtime_of(request).uow(actor) as uow:
            agent = await queries.agent_by_public_id(uow.session, agent_id)
            custom_role_id: int | UnsetType | None = UNSET
            if not isinstance(body.custom_role_id, UnsetType):
                custom_role_id = await queries.role_id_for_field(
                    uow.session, body.custom_role_id, field="custom_role_id"
                )
            await agent_actions.update_agent(
                uow,
                agent_id=agent.id,
                name=body.name,
                language=body.language,
                timezone=body.timezone,
                role=UNSET if isinstance(body.role, UnsetType) else BaseRole(body.role),
                custom_role_id=custom_role_id,
            )
    except Invalid as error:
        return await _agent_page(request, actor, agent_id, values, error)
    return redirect(request, done_url(f"/admin/agents/{agent_id}", "saved"))


@post("/admin/agents/{agent_id:str}/deactivate")
async def deactivate_agent(
    request: Request[Any, Any, Any], actor: WebActor, agent_id: AgentPath
) -> Response[Any]:
    require_admin_section(actor, SECTION)
    try:
        async with runtime_of(request).uow(actor) as uow:
            agent = await queries.agent_by_public_id(uow.session, agent_id)
            await agent_actions.deactivate_agent(uow, agent_id=agent.id)
    except Invalid as error:
        return await _agent_page(request, actor, agent_id, error=error)
    return redirect(request, done_url(f"/admin/agents/{agent_id}", "deactivated"))


@post("/admin/agents/{agent_id:str}/reactivate")
async def reactivate_agent(
    request: Request[Any, Any, Any], actor: WebActor, agent_id: AgentPath
) -> Response[Any]:
    require_admin_section(actor, SECTION)
    async with runtime_of(request).uow(actor) as uow:
        agent = await queries.agent_by_public_id(uow.session, agent_id)
        await agent_actions.reactivate_agent(uow, agent_id=agent.id)
    return redirect(request, done_url(f"/admin/agents/{agent_id}", "reactivated"))


@post("/admin/agents/{agent_id:str}/invite")
async def resend_invitation(
    request: Request[Any, Any, Any], actor: WebActor, agent_id: AgentPath
) -> Response[Any]:
    require_admin_section(actor, SECTION)
    runtime = runtime_of(request)
    try:
        async with runtime.uow(actor) as uow:
            agent = await credentials.agent_by_public_id(uow.session, agent_id)
            await credentials.invite_agent(uow, agent_id=agent.id, links=runtime.links)
    except Invalid as error:
        return await _agent_page(request, actor, agent_id, error=error)
    return redirect(request, done_url(f"/admin/agents/{agent_id}", "invited"))


routes = [
    agents_page,
    invite_page,
    invite_agent,
    agent_page,
    update_agent,
    deactivate_agent,
    reactivate_agent,
    resend_invitation,
]
