"""Departments and their members."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, delete, get, patch, post, put
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from linka.core.permissions import DepartmentRole
from linka.domains.accounts import department_actions, queries
from linka.domains.accounts.schemas import (
    DepartmentCreateIn,
    DepartmentOut,
    DepartmentPage,
    DepartmentUpdateIn,
    MemberOut,
    MemberPage,
    MembershipIn,
)
from linka.entrypoints.api.agents import AgentId, Cursor, Limit
from linka.entrypoints.api.auth import CurrentActor, runtime_of

DepartmentId = Annotated[str, Parameter(max_length=24, description="`dp_…`")]


@get("/departments", tags=["departments"], summary="Departments, keyset-paginated")
async def list_departments(
    request: Request[Any, Any, Any], actor: CurrentActor, cursor: Cursor = None, limit: Limit = None
) -> DepartmentPage:
    async with runtime_of(request).db.read_session() as session:
        return await queries.list_departments(session, actor, cursor=cursor, limit=limit)


@get("/departments/{department_id:str}", tags=["departments"], summary="One department")
async def show_department(
    request: Request[Any, Any, Any], actor: CurrentActor, department_id: DepartmentId
) -> DepartmentOut:
    async with runtime_of(request).db.read_session() as session:
        return queries.department_out(await queries.department_by_public_id(session, department_id))


@post("/departments", tags=["departments"], summary="Create a department")
async def create_department(
    request: Request[Any, Any, Any], actor: CurrentActor, data: JSONBody[DepartmentCreateIn]
) -> DepartmentOut:
    async with runtime_of(request).uow(actor) as uow:
        department = await department_actions.create_department(
            uow, name=data.name, description=data.description
        )
        return queries.department_out(department)


@patch("/departments/{department_id:str}", tags=["departments"], summary="Change a department")
async def update_department(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    department_id: DepartmentId,
    data: JSONBody[DepartmentUpdateIn],
) -> DepartmentOut:
    async with runtime_of(request).uow(actor) as uow:
        department = await queries.department_by_public_id(uow.session, department_id)
        department = await department_actions.update_department(
            uow, department_id=department.id, name=data.name, description=data.description
        )
        return queries.department_out(department)


@delete(
    "/departments/{department_id:str}",
    tags=["departments"],
    status_code=HTTP_204_NO_CONTENT,
    summary="Delete a department without members or tickets",
)
async def delete_department(
    request: Request[Any, Any, Any], actor: CurrentActor, department_id: DepartmentId
) -> None:
    async with runtime_of(request).uow(actor) as uow:
        department = await queries.department_by_public_id(uow.session, department_id)
        await department_actions.delete_department(uow, department_id=department.id)


@get("/departments/{department_id:str}/members", tags=["departments"], summary="Members of a department")
async def list_members(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    department_id: DepartmentId,
    cursor: Cursor = None,
    limit: Limit = None,
) -> MemberPage:
    async with runtime_of(request).db.read_session() as session:
        department = await queries.department_by_public_id(session, department_id)
        return await queries.list_members(session, actor, department, cursor=cursor, limit=limit)


@put(
    "/departments/{department_id:str}/members/{agent_id:str}",
    tags=["departments"],
    summary="Add an agent to a department, or change their role and services there",
)
async def set_member(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    department_id: DepartmentId,
    agent_id: AgentId,
    data: JSONBody[MembershipIn],
) -> MemberOut:
    async with runtime_of(request).uow(actor) as uow:
        department = await queries.department_by_public_id(uow.session, department_id)
        agent = await queries.agent_by_public_id(uow.session, agent_id)
        member = await department_actions.set_membership(
            uow,
            department_id=department.id,
            agent_id=agent.id,
            role=DepartmentRole(data.role),
            tickets=data.tickets,
            chats=data.chats,
            calls=data.calls,
            paused=data.paused,
        )
        return queries.member_out(member, agent)


@delete(
    "/departments/{department_id:str}/members/{agent_id:str}",
    tags=["departments"],
    status_code=HTTP_204_NO_CONTENT,
    summary="Remove an agent from a department",
)
async def remove_member(
    request: Request[Any, Any, Any], actor: CurrentActor, department_id: DepartmentId, agent_id: AgentId
) -> None:
    async with runtime_of(request).uow(actor) as uow:
        department = await queries.department_by_public_id(uow.session, department_id)
        agent = await queries.agent_by_public_id(uow.session, agent_id)
        await department_actions.remove_membership(uow, department_id=department.id, agent_id=agent.id)


routes = [
    list_departments,
    show_department,
    create_department,
    update_department,
    delete_department,
    list_members,
    set_member,
    remove_member,
]
