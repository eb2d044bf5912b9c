"""Admin: departments and who works in them. The list, creating, renaming and deleting a department,
and its members: adding an agent with a department role and the services they take (tickets, chats,
calls), changing that (inline with htmx, or as a plain form) and removing them. The same actions and
queries as `api/departments.py`."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import PathParameter
from litestar.response import Template

from linka.core.errors import Invalid
from linka.core.pagination import MAX_LIMIT
from linka.core.permissions import Actor, DepartmentRole
from linka.domains.accounts import department_actions, queries
from linka.domains.accounts.schemas import DepartmentCreateIn, MemberOut
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.web.admin_common import (
    DEPARTMENT_ROLE_LABELS,
    PAGE_SIZE,
    Cursor,
    FormData,
    admin_page,
    checked,
    done_url,
    page_url,
    problem_message,
    ticked,
)
from linka.entrypoints.web.auth import WebActor, translator_for
from linka.entrypoints.web.errors import redirect
from linka.entrypoints.web.navigation import may_use_admin_section, require_admin_section
from linka.entrypoints.web.templating import page

SECTION = "departments"
DepartmentPath = Annotated[str, PathParameter(max_length=24)]
AgentPath = Annotated[str, PathParameter(max_length=24)]


def _role(value: str) -> DepartmentRole:
    try:
        return DepartmentRole(value)
    except ValueError:
        raise Invalid("role", "must be reader, solver, supervisor or manager") from None


@get("/admin/departments")
async def departments_page(
    request: Request[Any, Any, Any], actor: WebActor, cursor: Cursor = None
) -> Template:
    require_admin_section(actor, SECTION)
    async with runtime_of(request).db.read_session() as session:
        departments = await queries.list_departments(session, actor, cursor=cursor, limit=PAGE_SIZE)
    next_url = page_url("/admin/departments", cursor=departments.next_cursor)
    return admin_page(
        request,
        "admin/departments.html",
        {"departments": departments.items, "next_url": next_url if departments.next_cursor else ""},
        actor=actor,
        section=SECTION,
    )


def _department_form(
    request: Request[Any, Any, Any], actor: Actor, values: dict[str, Any], error: Invalid | None = None
) -> Template:
    return admin_page(
        request, "admin/department_new.html", {"values": values}, actor=actor, section=SECTION, error=error
    )


@get("/admin/departments/new")
async def new_department_page(request: Request[Any, Any, Any], actor: WebActor) -> Template:
    require_admin_section(actor, SECTION)
    return _department_form(request, actor, {"name": "", "description": ""})


@post("/admin/departments")
async def create_department(
    request: Request[Any, Any, Any], actor: WebActor, data: FormData
) -> Response[Any]:
    require_admin_section(actor, SECTION)
    values = {"name": data.get("name", "").strip(), "description": data.get("description", "").strip()}
    try:
        body = checked(DepartmentCreateIn, values)
        async with runtime_of(request).uow(actor) as uow:
            department = await department_actions.create_department(
                uow, name=body.name, description=body.description
            )
    except Invalid as error:
        return _department_form(request, actor, values, error)
    return redirect(request, done_url(f"/admin/departments/{department.public_id}", "created"))


async def _department_page(
    request: Request[Any, Any, Any],
    actor: Actor,
    department_id: str,
    *,
    values: dict[str, Any] | None = None,
    adding: dict[str, Any] | None = None,
    cursor: str | None = None,
    error: Invalid | None = None,
) -> Template:
    """The department's settings and its members; `adding` keeps what was entered to add a member."""
    async with runtime_of(request).db.read_session() as session:
        department = await queries.department_by_public_id(session, department_id)
        members = await queries.list_members(session, actor, department, cursor=cursor, limit=MAX_LIMIT)
        agents = await queries.list_agents(session, actor, active=True, limit=MAX_LIMIT)
    member_ids = {member.agent_id for member in members.items}
    next_url = ""
    if members.next_cursor:
        next_url = page_url(f"/admin/departments/{department_id}", cursor=members.next_cursor)
    return admin_page(
        request,
        "admin/department.html",
        {
            "department": department,
            "values": values or {"name": department.name, "description": department.description},
            "members": members.items,
            "next_url": next_url,
            "candidates": [(a.id, f"{a.name} <{a.email}>") for a in agents.items if a.id not in member_ids],
            "adding": adding or {"role": "solver", "tickets": True, "chats": True, "calls": True},
            "role_labels": DEPARTMENT_ROLE_LABELS,
            "links_agents": may_use_admin_section(actor, "agents"),
        },
        actor=actor,
        section=SECTION,
        error=error,
    )


@get("/admin/departments/{department_id:str}")
async def department_page(
    request: Request[Any, Any, Any], actor: WebActor, department_id: DepartmentPath, cursor: Cursor = None
) -> Template:
    require_admin_section(actor, SECTION)
    return await _department_page(request, actor, department_id, cursor=cursor)


@post("/admin/departments/{department_id:str}")
async def update_department(
    request: Request[Any, Any, Any], actor: WebActor, department_id: DepartmentPath, data: FormData
) -> Response[Any]:
    require_admin_section(actor, SECTION)
    values = {"name": data.get("name", "").strip(), "description": data.get("description", "").strip()}
    try:
        body = checked(DepartmentCreateIn, values)
        async with runtime_of(request).uow(actor) as uow:
            department = await queries.department_by_public_id(uow.session, department_id)
            await department_actions.update_department(
                uow, department_id=department.id, name=body.name, description=body.description
            )
    except Invalid as error:
        return await _department_page(request, actor, department_id, values=values, error=error)
    return redirect(request, done_url(f"/admin/departments/{department_id}", "saved"))


@post("/admin/departments/{department_id:str}/delete")
async def delete_department(
    request: Request[Any, Any, Any], actor: WebActor, department_id: DepartmentPath
) -> Response[Any]:
    require_admin_section(actor, SECTION)
    try:
        async with runtime_of(request).uow(actor) as uow:
            department = await queries.department_by_public_id(uow.session, department_id)
            await department_actions.delete_department(uow, department_id=department.id)
    except Invalid as error:
        return await _department_page(request, actor, department_id, error=error)
    return redirect(request, done_url("/admin/departments", "deleted"))


def _membership(data: dict[str, str]) -> dict[str, Any]:
    return {
        "role": data.get("role", "solver"),
        "tickets": ticked(data, "tickets"),
        "chats": ticked(data, "chats"),
        "calls": ticked(data, "calls"),
        "paused": ticked(data, "paused"),
    }


async def _set_member(
    request: Request[Any, Any, Any], actor: Actor, department_id: str, agent_id: str, wanted: dict[str, Any]
) -> MemberOut:
    async with runtime_of(request).uow(actor) as uow:
        department = await queries.department_by_public_id(uow.session, department_id)
        agent_key = await queries.agent_id_for_field(uow.session, agent_id, field="agent_id")
        member = await department_actions.set_membership(
            uow,
            department_id=department.id,
            agent_id=agent_key,
            role=_role(wanted["role"]),
            tickets=wanted["tickets"],
            chats=wanted["chats"],
            calls=wanted["calls"],
            paused=wanted["paused"],
        )
        return queries.member_out(member, await queries.agent_by_public_id(uow.session, agent_id))


@post("/admin/departments/{department_id:str}/members")
async def add_member(
    request: Request[Any, Any, Any], actor: WebActor, department_id: DepartmentPath, data: FormData
) -> Response[Any]:
    require_admin_section(actor, SECTION)
    wanted = _membership(data)
    agent_id = data.get("agent_id", "")
    try:
        if not agent_id:
            raise Invalid("agent_id", "choose an agent")
        await _set_member(request, actor, department_id, agent_id, wanted)
    except Invalid as error:
        adding = {**wanted, "agent_id": agent_id}
        return await _department_page(request, actor, department_id, adding=adding, error=error)
    return redirect(request, done_url(f"/admin/departments/{department_id}", "saved"))


@post("/admin/departments/{department_id:str}/members/{agent_id:str}")
async def change_member(
    request: Request[Any, Any, Any],
    actor: WebActor,
    department_id: DepartmentPath,
    agent_id: AgentPath,
    data: FormData,
) -> Response[Any]:
    """A member's role and services. With htmx only their row comes back (a refusal in it too: htmx
    swaps only successful answers); without, the page."""
    require_admin_section(actor, SECTION)
    wanted = _membership(data)
    htmx = request.headers.get("hx-request") == "true"
    try:
        member = await _set_member(request, actor, department_id, agent_id, wanted)
    except Invalid as error:
        if not htmx:
            return await _department_page(request, actor, department_id, error=error)
        async with runtime_of(request).db.read_session() as session:
            agent = await queries.agent_by_public_id(session, agent_id)
        as_sent = MemberOut(
            agent_id=agent.public_id, name=agent.name, availability=agent.availability, **wanted
        )
        t = translator_for(request, actor)
        return page(
            request,
            "admin/_member_row.html",
            _row_context(actor, department_id, as_sent, problem_message(t, error), failed=True),
            actor=actor,
            translator=t,
        )
    if htmx:
        t = translator_for(request, actor)
        return page(
            request,
            "admin/_member_row.html",
            _row_context(actor, department_id, member, t.gettext("Saved.")),
            actor=actor,
            translator=t,
        )
    return redirect(request, done_url(f"/admin/departments/{department_id}", "saved"))


def _row_context(
    actor: Actor, department_id: str, member: MemberOut, note: str, *, failed: bool = False
) -> dict[str, Any]:
    return {
        "department": {"public_id": department_id},
        "member": member,
        "row_note": note,
        "row_failed": failed,
        "role_labels": DEPARTMENT_ROLE_LABELS,
        "links_agents": may_use_admin_section(actor, "agents"),
    }


@post("/admin/departments/{department_id:str}/members/{agent_id:str}/remove")
async def remove_member(
    request: Request[Any, Any, Any], actor: WebActor, department_id: DepartmentPath, agent_id: AgentPath
) -> Response[Any]:
    require_admin_section(actor, SECTION)
    async with runtime_of(request).uow(actor) as uow:
        department = await queries.department_by_public_id(uow.session, department_id)
        agent = await queries.agent_by_public_id(uow.session, agent_id)
        await department_actions.remove_membership(uow, department_id=department.id, agent_id=agent.id)
    return redirect(request, done_url(f"/admin/departments/{department_id}", "saved"))


routes = [
    departments_page,
    new_department_page,
    create_department,
    department_page,
    update_department,
    delete_department,
    add_member,
    change_member,
    remove_member,
]
