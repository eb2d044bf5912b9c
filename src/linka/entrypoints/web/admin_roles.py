"""Admin: roles. The built-in roles for reference, and custom roles (extra permissions for agents):
create, change, delete. The same actions and queries as `api/roles.py`."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import PathParameter
from litestar.response import Template

from linka.core.errors import Invalid
from linka.core.i18n import N_, Translator
from linka.core.permissions import GRANTABLE, Actor, Permission
from linka.domains.accounts import queries, role_actions
from linka.domains.accounts.schemas import RoleCreateIn, RoleOut
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.web.admin_common import BASE_ROLE_LABELS, admin_page, checked, done_url
from linka.entrypoints.web.auth import WebActor, translator_for
from linka.entrypoints.web.errors import redirect
from linka.entrypoints.web.navigation import require_admin_section

SECTION = "roles"
RolePath = Annotated[str, PathParameter(max_length=24)]

# What each permission lets an agent do, as the role form explains it.
PERMISSION_TEXTS: dict[Permission, tuple[str, str]] = {
    Permission.MANAGE_AGENTS: (
        N_("Manage agents"),
        N_("Invite, change, deactivate and reactivate agents."),
    ),
    Permission.MANAGE_ROLES: (
        N_("Manage roles"),
        N_("Create, change and delete custom roles."),
    ),
    Permission.MANAGE_DEPARTMENTS: (
        N_("Manage departments"),
        N_("Create, change and delete departments and decide who works in them."),
    ),
    Permission.MANAGE_CHANNELS: (
        N_("Manage channels"),
        N_("Set up mailboxes and other channels; see and retry mail that could not be delivered."),
    ),
    Permission.MANAGE_RULES: (
        N_("Manage rules"),
        N_("Create and change automation rules."),
    ),
    Permission.MANAGE_CONTACTS: (
        N_("Manage contacts"),
        N_("See every contact and company, change, merge and delete them."),
    ),
    Permission.VIEW_ALL_REPORTS: (
        N_("View all reports"),
        N_("See reports of every department, not only one's own."),
    ),
    Permission.VIEW_AGENT_RANKINGS: (
        N_("View agent rankings"),
        N_("See how agents compare with each other in reports."),
    ),
    Permission.MANAGE_KNOWLEDGE_BASE: (
        N_("Manage the knowledge base"),
        N_("Write, change and publish knowledge base articles."),
    ),
    Permission.REVIEW_QA: (
        N_("Review quality"),
        N_("Review and score other agents' conversations."),
    ),
    Permission.MANAGE_SETTINGS: (
        N_("Manage settings"),
        N_("Change workspace settings, custom fields and ticket statuses."),
    ),
    Permission.MANAGE_ANSWERS: (
        N_("Manage answers"),
        N_("Write canned messages and predefined answers for departments and the whole workspace."),
    ),
    Permission.PURGE_DATA: (
        N_("Purge data"),
        N_("Delete data for good. Only owners have this."),
    ),
}
BUILTIN_DESCRIPTIONS: dict[str, str] = {
    "owner": N_("Everything, including account-level settings and purging data."),
    "admin": N_("Configures Linka and sees every department."),
    "agent": N_("Front-line work in the agent's departments."),
}


def permission_choices(t: Translator) -> list[tuple[str, str, str]]:
    """(name, label, description) of every permission a custom role may grant, in a fixed order."""
    return [
        (permission.value, t.gettext(label), t.gettext(description))
        for permission, (label, description) in PERMISSION_TEXTS.items()
        if permission in GRANTABLE
    ]


def permission_label(t: Translator, name: str) -> str:
    texts = PERMISSION_TEXTS.get(Permission(name)) if name in Permission.__members__.values() else None
    return t.gettext(texts[0]) if texts else name


@get("/admin/roles")
async def roles_page(request: Request[Any, Any, Any], actor: WebActor) -> Template:
    require_admin_section(actor, SECTION)
    async with runtime_of(request).db.read_session() as session:
        roles = await queries.list_roles(session, actor)
    t = translator_for(request, actor)

    def labels(role: RoleOut) -> list[str]:
        return [permission_label(t, name) for name in role.permissions]

    return admin_page(
        request,
        "admin/roles.html",
        {
            "builtin": [
                (role, t.gettext(BASE_ROLE_LABELS[role.id]), t.gettext(BUILTIN_DESCRIPTIONS[role.id]))
                for role in roles.items
                if role.builtin
            ],
            "custom": [(role, labels(role)) for role in roles.items if not role.builtin],
        },
        actor=actor,
        section=SECTION,
    )


def _role_form(
    request: Request[Any, Any, Any],
    actor: Actor,
    values: dict[str, Any],
    *,
    role_id: str | None = None,
    error: Invalid | None = None,
) -> Template:
    t = translator_for(request, actor)
    return admin_page(
        request,
        "admin/role_form.html",
        {"values": values, "role_id": role_id, "permissions": permission_choices(t)},
        actor=actor,
        section=SECTION,
        error=error,
    )


async def _submitted(request: Request[Any, Any, Any]) -> dict[str, Any]:
    form = await request.form()
    return {
        "name": str(form.get("name", "")).strip(),
        "description": str(form.get("description", "")).strip(),
        "permissions": [str(name) for name in form.getall("permissions", [])],
    }


@get("/admin/roles/new")
async def new_role_page(request: Request[Any, Any, Any], actor: WebActor) -> Template:
    require_admin_section(actor, SECTION)
    return _role_form(request, actor, {"name": "", "description": "", "permissions": []})


@post("/admin/roles")
async def create_role(request: Request[Any, Any, Any], actor: WebActor) -> Response[Any]:
    require_admin_section(actor, SECTION)
    values = await _submitted(request)
    try:
        body = checked(RoleCreateIn, values)
        async with runtime_of(request).uow(actor) as uow:
            await role_actions.create_role(
                uow, name=body.name, description=body.description, permissions=body.permissions
            )
    except Invalid as error:
        return _role_form(request, actor, values, error=error)
    return redirect(request, done_url("/admin/roles", "created"))


@get("/admin/roles/{role_id:str}")
async def role_page(request: Request[Any, Any, Any], actor: WebActor, role_id: RolePath) -> Template:
    require_admin_section(actor, SECTION)
    async with runtime_of(request).db.read_session() as session:
        role = await queries.role_by_public_id(session, role_id)
    values = {"name": role.name, "description": role.description, "permissions": list(role.permissions)}
    return _role_form(request, actor, values, role_id=role.public_id)


@post("/admin/roles/{role_id:str}")
async def update_role(request: Request[Any, Any, Any], actor: WebActor, role_id: RolePath) -> Response[Any]:
    require_admin_section(actor, SECTION)
    values = await _submitted(request)
    try:
        body = checked(RoleCreateIn, values)
        async with runtime_of(request).uow(actor) as uow:
            role = await queries.role_by_public_id(uow.session, role_id)
            await role_actions.update_role(
                uow,
                role_id=role.id,
                name=body.name,
                description=body.description,
                permissions=body.permissions,
            )
    except Invalid as error:
        return _role_form(request, actor, values, role_id=role_id, error=error)
    return redirect(request, done_url("/admin/roles", "saved"))


@post("/admin/roles/{role_id:str}/delete")
async def delete_role(request: Request[Any, Any, Any], actor: WebActor, role_id: RolePath) -> Response[Any]:
    require_admin_section(actor, SECTION)
    try:
        async with runtime_of(request).uow(actor) as uow:
            role = await queries.role_by_public_id(uow.session, role_id)
            await role_actions.delete_role(uow, role_id=role.id)
    except Invalid as error:
        async with runtime_of(request).db.read_session() as session:
            role = await queries.role_by_public_id(session, role_id)
        values = {"name": role.name, "description": role.description, "permissions": list(role.permissions)}
        return _role_form(request, actor, values, role_id=role_id, error=error)
    return redirect(request, done_url("/admin/roles", "deleted"))


routes = [roles_page, new_role_page, create_role, role_page, update_role, delete_role]
