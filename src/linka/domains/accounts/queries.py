"""Reads of agents, roles, departments and memberships, with the actor's permissions applied."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.errors import Forbidden, Invalid, NotFound
from linka.core.pagination import check_limit, decode_cursor, encode_cursor
from linka.core.permissions import (
    BASE_ROLE_PERMISSIONS,
    Actor,
    BaseRole,
    DepartmentRole,
    Origin,
    Permission,
    Scope,
    permissions_for,
    require,
)
from linka.domains.accounts.models import Agent, Department, DepartmentMember, Role
from linka.domains.accounts.schemas import (
    AgentDepartmentOut,
    AgentPage,
    AgentView,
    DepartmentOut,
    DepartmentPage,
    MemberOut,
    MemberPage,
    MeOut,
    NotificationSettings,
    OwnMembershipOut,
    RoleList,
    RoleOut,
)

# Built once: every request of a signed-in agent runs it.
_MEMBERSHIPS_OF_AGENT = select(DepartmentMember.department_id, DepartmentMember.role).where(
    DepartmentMember.agent_id == bindparam("agent_id")
)


async def build_actor(
    session: AsyncSession,
    agent: Agent,
    *,
    origin: Origin,
    scopes: frozenset[Scope] = frozenset({Scope.READ, Scope.WRITE}),
    api_key_id: int | None = None,
) -> Actor:
    """The Actor for an active agent: base role, custom role permissions and department roles."""
    granted: set[Permission] = set()
    if agent.role_id is not None and agent.base_role == BaseRole.AGENT:
        role = await session.get(Role, agent.role_id)
        if role is not None:
            granted = {Permission(p) for p in role.permissions if p in Permission.__members__.values()}
    rows = await session.execute(_MEMBERSHIPS_OF_AGENT, {"agent_id": agent.id})
    base_role = BaseRole(agent.base_role)
    return Actor(
        origin=origin,
        agent_id=agent.id,
        name=agent.name,
        base_role=base_role,
        permissions=permissions_for(base_role, granted),
        departments={dept: DepartmentRole(role) for dept, role in rows.all()},
        scopes=scopes,
        api_key_id=api_key_id,
        language=agent.language,
        timezone=agent.timezone,
        availability=agent.availability,
    )


async def active_agent(session: AsyncSession, agent_id: int) -> Agent:
    agent = await session.get(Agent, agent_id)
    if agent is None or not agent.is_active:
        raise NotFound("agent")
    return agent


async def agent_id_for_field(session: AsyncSession, public_id: str, *, field: str) -> int:
    """The key of an active agent named in a request body (unknown or deactivated: invalid input)."""
    row = await session.execute(
        select(Agent.id).where(Agent.public_id == public_id, Agent.is_active.is_(True))
    )
    agent_id = row.scalar_one_or_none()
    if agent_id is None:
        raise Invalid(field, "no such active agent")
    return int(agent_id)


async def department_id_for_field(session: AsyncSession, public_id: str, *, field: str) -> int:
    row = await session.execute(select(Department.id).where(Department.public_id == public_id))
    department_id = row.scalar_one_or_none()
    if department_id is None:
        raise Invalid(field, "no such department")
    return int(department_id)


async def department_exists(session: AsyncSession, department_id: int) -> bool:
    return await session.get(Department, department_id) is not None


async def agent_works_tickets_in(session: AsyncSession, agent_id: int, department_id: int) -> bool:
    """Whether an agent may be given a ticket of a department: active, and an admin/owner or a solver
    (or more) there with the tickets service switched on."""
    agent = await session.get(Agent, agent_id)
    if agent is None or not agent.is_active:
        return False
    if agent.base_role in (BaseRole.OWNER, BaseRole.ADMIN):
        return True
    row = await session.execute(
        select(DepartmentMember.role, DepartmentMember.tickets).where(
            DepartmentMember.agent_id == agent_id, DepartmentMember.department_id == department_id
        )
    )
    found = row.first()
    return found is not None and bool(found[1]) and DepartmentRole(found[0]).at_least(DepartmentRole.SOLVER)


async def public_ids_of_departments(session: AsyncSession, department_ids: Sequence[int]) -> dict[int, str]:
    ids = list(set(department_ids))
    if not ids:
        return {}
    rows = await session.execute(select(Department.id, Department.public_id).where(Department.id.in_(ids)))
    return {int(department_id): public_id for department_id, public_id in rows.all()}


# --- Agents, roles, departments and members as the API shows them ------------------------------------


def sees_agents_fully(actor: Actor) -> bool:
    """Admins and manage_agents holders see everything about agents; others see colleagues' public
    view (id, name, availability, departments) and all of themselves."""
    return actor.has(Permission.MANAGE_AGENTS)


def _cursor_public_id(cursor: str | None) -> str | None:
    values = decode_cursor(cursor)
    if values is None:
        return None
    if not isinstance(values[0], str):
        raise Invalid("cursor", "not a cursor this API handed out")
    return values[0]


async def agent_by_public_id(session: AsyncSession, public_id: str) -> Agent:
    agent = (await session.execute(select(Agent).where(Agent.public_id == public_id))).scalar_one_or_none()
    if agent is None:
        raise NotFound("agent")
    return agent


async def role_by_public_id(session: AsyncSession, public_id: str) -> Role:
    role = (await session.execute(select(Role).where(Role.public_id == public_id))).scalar_one_or_none()
    if role is None:
        raise NotFound("role")
    return role


async def department_by_public_id(session: AsyncSession, public_id: str) -> Department:
    department = (
        await session.execute(select(Department).where(Department.public_id == public_id))
    ).scalar_one_or_none()
    if department is None:
        raise NotFound("department")
    return department


async def role_id_for_field(session: AsyncSession, public_id: str | None, *, field: str) -> int | None:
    """The key of a custom role named in a request body (an unknown one is invalid input, not 404)."""
    if public_id is None:
        return None
    role_id = (await session.execute(select(Role.id).where(Role.public_id == public_id))).scalar_one_or_none()
    if role_id is None:
        raise Invalid(field, "no such custom role")
    return int(role_id)


async def departments_of_agents(
    session: AsyncSession, agent_ids: Sequence[int]
) -> dict[int, list[AgentDepartmentOut]]:
    """Every membership of these agents, in one query."""
    found: dict[int, list[AgentDepartmentOut]] = {agent_id: [] for agent_id in agent_ids}
    if not agent_ids:
        return found
    rows = await session.execute(
        select(DepartmentMember.agent_id, Department.public_id, Department.name, DepartmentMember.role)
        .join(Department, Department.id == DepartmentMember.department_id)
        .where(DepartmentMember.agent_id.in_(agent_ids))
        .order_by(DepartmentMember.agent_id, Department.name)
    )
    for agent_id, public_id, name, role in rows.all():
        found[agent_id].append(AgentDepartmentOut(id=public_id, name=name, role=role))
    return found


def agent_view(
    agent: Agent, *, custom_role_public_id: str | None, departments: list[AgentDepartmentOut], full: bool
) -> AgentView:
    view = AgentView(
        id=agent.public_id, name=agent.name, availability=agent.availability, departments=departments
    )
    if full:
        view.email = agent.email
        view.language = agent.language
        view.timezone = agent.timezone
        view.role = agent.base_role
        view.custom_role_id = custom_role_public_id
        view.is_active = agent.is_active
        view.invited = agent.password_hash is None and agent.is_active
        view.two_factor_enabled = agent.totp_enabled
        view.created_at = agent.created_at
        view.last_login_at = agent.last_login_at
        view.deactivated_at = agent.deactivated_at
    return view


async def show_agent(session: AsyncSession, actor: Actor, agent: Agent) -> AgentView:
    """One agent as the actor may see them; a deactivated colleague is not visible to plain agents."""
    full = sees_agents_fully(actor) or actor.agent_id == agent.id
    if not full and not agent.is_active:
        raise NotFound("agent")
    role_public_id = None
    if full and agent.role_id is not None:
        role_public_id = (
            await session.execute(select(Role.public_id).where(Role.id == agent.role_id))
        ).scalar_one_or_none()
    departments = await departments_of_agents(session, [agent.id])
    return agent_view(
        agent, custom_role_public_id=role_public_id, departments=departments[agent.id], full=full
    )


async def list_agents(
    session: AsyncSession,
    actor: Actor,
    *,
    cursor: str | None = None,
    limit: int | None = None,
    department: str | None = None,
    role: str | None = None,
    active: bool | None = None,
    q: str | None = None,
) -> AgentPage:
    """Agents in creation order, keyset-paginated; two queries whatever the page size."""
    limit = check_limit(limit)
    full = sees_agents_fully(actor)
    query = select(Agent, Role.public_id).outerjoin(Role, Role.id == Agent.role_id)
    after = _cursor_public_id(cursor)
    if after is not None:
        query = query.where(Agent.id > select(Agent.id).where(Agent.public_id == after).scalar_subquery())
    if department is not None:
        query = query.where(
            select(DepartmentMember.id)
            .join(Department, Department.id == DepartmentMember.department_id)
            .where(DepartmentMember.agent_id == Agent.id, Department.public_id == department)
            .exists()
        )
    if role is not None:
        if not full:
            raise Forbidden("filtering agents by role needs the permission manage_agents")
        if role not in {r.value for r in BaseRole}:
            raise Invalid("role", "must be one of owner, admin, agent")
        query = query.where(Agent.base_role == role)
    if not full:
        if active is False:
            raise Forbidden("seeing deactivated agents needs the permission manage_agents")
        query = query.where(Agent.is_active.is_(True))
    elif active is not None:
        query = query.where(Agent.is_active.is_(active))
    if q:
        needle = q.strip().lower()
        matches = func.lower(Agent.name).contains(needle, autoescape=True)
        if full:
            matches = or_(matches, Agent.email.contains(needle, autoescape=True))
        query = query.where(matches)
    rows = (await session.execute(query.order_by(Agent.id).limit(limit + 1))).all()
    more = len(rows) > limit
    rows = rows[:limit]
    departments = await departments_of_agents(session, [agent.id for agent, _ in rows])
    items = [
        agent_view(agent, custom_role_public_id=role_id, departments=departments[agent.id], full=full)
        for agent, role_id in rows
    ]
    next_cursor = encode_cursor([rows[-1][0].public_id]) if more and rows else None
    return AgentPage(items=items, next_cursor=next_cursor)


async def show_me(session: AsyncSession, actor: Actor) -> MeOut:
    if actor.agent_id is None:
        raise NotFound("agent")
    agent = await session.get(Agent, actor.agent_id)
    if agent is None:
        raise NotFound("agent")
    view = await show_agent(session, actor, agent)
    return MeOut(
        id=agent.public_id,
        email=agent.email,
        name=agent.name,
        language=agent.language,
        timezone=agent.timezone,
        role=agent.base_role,
        custom_role_id=view.custom_role_id if isinstance(view.custom_role_id, str) else None,
        is_active=agent.is_active,
        availability=agent.availability,
        signature=agent.signature,
        two_factor_enabled=agent.totp_enabled,
        created_at=agent.created_at,
        last_login_at=agent.last_login_at,
        permissions=sorted(p.value for p in actor.permissions),
        departments=view.departments,
    )


def _require_role_reader(actor: Actor) -> None:
    if not (actor.has(Permission.MANAGE_ROLES) or actor.has(Permission.MANAGE_AGENTS)):
        require(actor, Permission.MANAGE_ROLES)


BUILTIN_ROLE_DESCRIPTIONS = {
    BaseRole.OWNER: "Everything, including account-level settings and purging data",
    BaseRole.ADMIN: "Configures the system and sees every department",
    BaseRole.AGENT: "Front-line work in the agent's departments",
}


def builtin_role_out(role: BaseRole) -> RoleOut:
    return RoleOut(
        id=role.value,
        name=role.value,
        description=BUILTIN_ROLE_DESCRIPTIONS[role],
        builtin=True,
        permissions=sorted(p.value for p in BASE_ROLE_PERMISSIONS[role]),
    )


def role_out(role: Role) -> RoleOut:
    granted = {Permission(p) for p in role.permissions if p in Permission.__members__.values()}
    return RoleOut(
        id=role.public_id,
        name=role.name,
        description=role.description,
        builtin=False,
        permissions=sorted(p.value for p in permissions_for(BaseRole.AGENT, granted)),
    )


async def list_roles(session: AsyncSession, actor: Actor) -> RoleList:
    """The built-in roles, then every custom role by name (custom roles are few: one query, no pages)."""
    _require_role_reader(actor)
    custom = (await session.execute(select(Role).order_by(Role.name, Role.id))).scalars().all()
    return RoleList(items=[*(builtin_role_out(r) for r in BaseRole), *(role_out(r) for r in custom)])


async def show_role(session: AsyncSession, actor: Actor, role_id: str) -> RoleOut:
    _require_role_reader(actor)
    if role_id in {r.value for r in BaseRole}:
        return builtin_role_out(BaseRole(role_id))
    return role_out(await role_by_public_id(session, role_id))


def department_out(department: Department) -> DepartmentOut:
    return DepartmentOut(
        id=department.public_id,
        name=department.name,
        description=department.description,
        created_at=department.created_at,
    )


async def list_departments(
    session: AsyncSession, actor: Actor, *, cursor: str | None = None, limit: int | None = None
) -> DepartmentPage:
    """Every agent may read the departments (to transfer tickets to them)."""
    limit = check_limit(limit)
    query = select(Department)
    after = _cursor_public_id(cursor)
    if after is not None:
        query = query.where(
            Department.id > select(Department.id).where(Department.public_id == after).scalar_subquery()
        )
    rows = list((await session.execute(query.order_by(Department.id).limit(limit + 1))).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return DepartmentPage(
        items=[department_out(d) for d in rows],
        next_cursor=encode_cursor([rows[-1].public_id]) if more and rows else None,
    )


def member_out(member: DepartmentMember, agent: Agent) -> MemberOut:
    return MemberOut(
        agent_id=agent.public_id,
        name=agent.name,
        availability=agent.availability,
        role=member.role,
        tickets=member.tickets,
        chats=member.chats,
        calls=member.calls,
        paused=member.paused,
    )


async def list_members(
    session: AsyncSession,
    actor: Actor,
    department: Department,
    *,
    cursor: str | None = None,
    limit: int | None = None,
) -> MemberPage:
    """Members of a department (one query), in the order they joined."""
    limit = check_limit(limit)
    query = (
        select(DepartmentMember, Agent)
        .join(Agent, Agent.id == DepartmentMember.agent_id)
        .where(DepartmentMember.department_id == department.id)
    )
    if not sees_agents_fully(actor):
        query = query.where(Agent.is_active.is_(True))
    after = _cursor_public_id(cursor)
    if after is not None:
        query = query.where(
            DepartmentMember.id
            > select(DepartmentMember.id)
            .join(Agent, Agent.id == DepartmentMember.agent_id)
            .where(DepartmentMember.department_id == department.id, Agent.public_id == after)
            .scalar_subquery()
        )
    rows = (await session.execute(query.order_by(DepartmentMember.id).limit(limit + 1))).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return MemberPage(
        items=[member_out(member, agent) for member, agent in rows],
        next_cursor=encode_cursor([rows[-1][1].public_id]) if more and rows else None,
    )


async def agent_summaries(session: AsyncSession, agent_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """(public id, name) per agent in one query: authors shown in lists of other things (a thread)."""
    ids = sorted(set(agent_ids))
    if not ids:
        return {}
    rows = await session.execute(select(Agent.id, Agent.public_id, Agent.name).where(Agent.id.in_(ids)))
    return {int(agent_id): (public_id, name) for agent_id, public_id, name in rows.all()}


async def department_names(session: AsyncSession, department_ids: Sequence[int]) -> dict[int, str]:
    ids = sorted(set(department_ids))
    if not ids:
        return {}
    rows = await session.execute(select(Department.id, Department.name).where(Department.id.in_(ids)))
    return {int(department_id): name for department_id, name in rows.all()}


async def agents_working_tickets_in(session: AsyncSession, department_id: int) -> list[tuple[str, str]]:
    """(public id, name) of the active agents who work the department's tickets (solver or more, the
    tickets service on), by name: whom a ticket of it may be given to (`agent_works_tickets_in`)."""
    roles = [role.value for role in DepartmentRole if role.at_least(DepartmentRole.SOLVER)]
    rows = await session.execute(
        select(Agent.public_id, Agent.name)
        .join(DepartmentMember, DepartmentMember.agent_id == Agent.id)
        .where(
            DepartmentMember.department_id == department_id,
            DepartmentMember.role.in_(roles),
            DepartmentMember.tickets.is_(True),
            Agent.is_active.is_(True),
        )
        .order_by(Agent.name, Agent.id)
    )
    return [(public_id, name) for public_id, name in rows.all()]


async def own_memberships(session: AsyncSession, actor: Actor) -> list[OwnMembershipOut]:
    """The signed-in agent's departments with the services they take there, by department name."""
    if actor.agent_id is None:
        return []
    rows = await session.execute(
        select(DepartmentMember, Department.public_id, Department.name)
        .join(Department, Department.id == DepartmentMember.department_id)
        .where(DepartmentMember.agent_id == actor.agent_id)
        .order_by(Department.name, Department.id)
    )
    return [
        OwnMembershipOut(
            department_id=public_id,
            name=name,
            role=member.role,
            tickets=member.tickets,
            chats=member.chats,
            calls=member.calls,
            paused=member.paused,
        )
        for member, public_id, name in rows.all()
    ]


async def notification_settings_of(session: AsyncSession, agent_id: int) -> NotificationSettings:
    """What an agent chose to be told about (the defaults where they chose nothing)."""
    stored = (
        await session.execute(select(Agent.notification_settings).where(Agent.id == agent_id))
    ).scalar_one_or_none()
    return NotificationSettings.from_stored(stored)


async def assignment_mail_recipient(session: AsyncSession, agent_id: int) -> tuple[str, str, str] | None:
    """(email, name, language) of an active agent who asked to be mailed when given a ticket; else None."""
    row = (
        await session.execute(
            select(
                Agent.email, Agent.name, Agent.language, Agent.notification_settings, Agent.is_active
            ).where(Agent.id == agent_id)
        )
    ).one_or_none()
    if row is None or not row.is_active:
        return None
    if not NotificationSettings.from_stored(row.notification_settings).assigned_email:
        return None
    return row.email, row.name, row.language


async def wants_browser_notices(session: AsyncSession, agent_id: int) -> bool:
    """Whether the agent's open app should pop up a notice when a ticket is assigned to them."""
    return (await notification_settings_of(session, agent_id)).assigned_browser


async def department_member_agents(session: AsyncSession, department_id: int) -> list[tuple[int, str, str]]:
    """(id, public id, name) of the department's active members, by name: whom a chat button of the
    department may rank (its agent priorities)."""
    rows = await session.execute(
        select(Agent.id, Agent.public_id, Agent.name)
        .join(DepartmentMember, DepartmentMember.agent_id == Agent.id)
        .where(DepartmentMember.department_id == department_id, Agent.is_active.is_(True))
        .order_by(Agent.name, Agent.id)
    )
    return [(int(agent_id), public_id, name) for agent_id, public_id, name in rows.all()]
