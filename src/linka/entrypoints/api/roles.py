"""Roles: the built-in owner/admin/agent, and custom roles that grant named permissions."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, delete, get, patch, post
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from linka.domains.accounts import queries, role_actions
from linka.domains.accounts.schemas import RoleCreateIn, RoleList, RoleOut, RoleUpdateIn
from linka.entrypoints.api.auth import CurrentActor, runtime_of

RoleId = Annotated[str, Parameter(max_length=24, description="`rl_…`, or owner / admin / agent")]


@get("/roles", tags=["roles"], summary="Built-in and custom roles with the permissions they give")
async def list_roles(request: Request[Any, Any, Any], actor: CurrentActor) -> RoleList:
    async with runtime_of(request).db.read_session() as session:
        return await queries.list_roles(session, actor)


@get("/roles/{role_id:str}", tags=["roles"], summary="One role")
async def show_role(request: Request[Any, Any, Any], actor: CurrentActor, role_id: RoleId) -> RoleOut:
    async with runtime_of(request).db.read_session() as session:
        return await queries.show_role(session, actor, role_id)


@post("/roles", tags=["roles"], summary="Create a custom role")
async def create_role(
    request: Request[Any, Any, Any], actor: CurrentActor, data: JSONBody[RoleCreateIn]
) -> RoleOut:
    async with runtime_of(request).uow(actor) as uow:
        role = await role_actions.create_role(
            uow, name=data.name, description=data.description, permissions=data.permissions
        )
        return queries.role_out(role)


@patch("/roles/{role_id:str}", tags=["roles"], summary="Change a custom role")
async def update_role(
    request: Request[Any, Any, Any], actor: CurrentActor, role_id: RoleId, data: JSONBody[RoleUpdateIn]
) -> RoleOut:
    async with runtime_of(request).uow(actor) as uow:
        role = await queries.role_by_public_id(uow.session, role_id)
        role = await role_actions.update_role(
            uow, role_id=role.id, name=data.name, description=data.description, permissions=data.permissions
        )
        return queries.role_out(role)


@delete(
    "/roles/{role_id:str}", tags=["roles"], status_code=HTTP_204_NO_CONTENT, summary="Delete an unused role"
)
async def delete_role(request: Request[Any, Any, Any], actor: CurrentActor, role_id: RoleId) -> None:
    async with runtime_of(request).uow(actor) as uow:
        role = await queries.role_by_public_id(uow.session, role_id)
        await role_actions.delete_role(uow, role_id=role.id)


routes = [list_roles, show_role, create_role, update_role, delete_role]
