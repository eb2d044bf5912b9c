"""The one place that decides what an actor may do.

Actions and queries ask `require(actor, Permission.X)` or `department_role_at_least(...)`; queries that
list things compose the same facts into SQL (each domain's `queries.visible_*` helpers) so that lists,
counts, searches and details can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from linka.core.errors import Forbidden


class Origin(StrEnum):
    API = "api"
    WEB = "web"
    MAIL = "mail"
    CHAT = "chat"
    PHONE = "phone"
    CLI = "cli"
    RULE = "rule"
    SYSTEM = "system"


class Permission(StrEnum):
    MANAGE_AGENTS = "manage_agents"
    MANAGE_ROLES = "manage_roles"
    MANAGE_DEPARTMENTS = "manage_departments"
    MANAGE_CHANNELS = "manage_channels"
    MANAGE_RULES = "manage_rules"
    MANAGE_CONTACTS = "manage_contacts"
    VIEW_ALL_REPORTS = "view_all_reports"
    VIEW_AGENT_RANKINGS = "view_agent_rankings"
    MANAGE_KNOWLEDGE_BASE = "manage_knowledge_base"
    REVIEW_QA = "review_qa"
    MANAGE_SETTINGS = "manage_settings"
    # Department-wide and workspace-wide canned messages and predefined answers.
    MANAGE_ANSWERS = "manage_answers"
    PURGE_DATA = "purge_data"


class BaseRole(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    AGENT = "agent"


# Owner-only powers: a custom role can never grant them, an admin never has them.
OWNER_ONLY: frozenset[Permission] = frozenset({Permission.PURGE_DATA})
BASE_ROLE_PERMISSIONS: dict[BaseRole, frozenset[Permission]] = {
    BaseRole.OWNER: frozenset(Permission),
    BaseRole.ADMIN: frozenset(Permission) - OWNER_ONLY,
    BaseRole.AGENT: frozenset(),
}
GRANTABLE: frozenset[Permission] = frozenset(Permission) - OWNER_ONLY


class DepartmentRole(StrEnum):
    """Per-department roles, weakest first."""

    READER = "reader"
    SOLVER = "solver"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"

    @property
    def rank(self) -> int:
        return list(DepartmentRole).index(self)

    def at_least(self, other: DepartmentRole) -> bool:
        return self.rank >= other.rank


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"


@dataclass(frozen=True)
class Actor:
    """Who is acting, from where, and with which powers. Built once per request by the entry point."""

    origin: Origin
    agent_id: int | None = None
    name: str = "system"
    base_role: BaseRole | None = None
    permissions: frozenset[Permission] = frozenset()
    departments: dict[int, DepartmentRole] = field(default_factory=dict)
    scopes: frozenset[Scope] = frozenset({Scope.READ, Scope.WRITE})
    api_key_id: int | None = None
    language: str = "en"
    timezone: str = "Europe/Prague"
    availability: str = "offline"  # shown in the agent app's top bar

    @property
    def is_system(self) -> bool:
        return self.agent_id is None

    @property
    def is_owner(self) -> bool:
        return self.is_system or self.base_role is BaseRole.OWNER

    @property
    def is_admin(self) -> bool:
        """Admins and owners see and work everything; the system actor too."""
        return self.is_system or self.base_role in (BaseRole.OWNER, BaseRole.ADMIN)

    def has(self, permission: Permission) -> bool:
        return self.is_system or permission in self.permissions

    def department_role(self, department_id: int) -> DepartmentRole | None:
        return self.departments.get(department_id)

    def departments_at_least(self, role: DepartmentRole) -> list[int]:
        return sorted(dept for dept, held in self.departments.items() if held.at_least(role))

    def label(self) -> str:
        return f"{self.name} ({self.origin})"


SYSTEM = Actor(origin=Origin.SYSTEM)


def system_actor(origin: Origin = Origin.SYSTEM) -> Actor:
    return Actor(origin=origin, name=origin.value)


def require(actor: Actor, permission: Permission) -> None:
    if not actor.has(permission):
        raise Forbidden(f"needs the permission {permission.value}")


def require_owner(actor: Actor) -> None:
    if not actor.is_owner:
        raise Forbidden("only an owner may do this")


def require_write(actor: Actor) -> None:
    """API keys with read scope may not change anything."""
    if Scope.WRITE not in actor.scopes:
        raise Forbidden("this API key has read scope only")


def department_role_at_least(actor: Actor, department_id: int, role: DepartmentRole) -> bool:
    if actor.is_admin:
        return True
    held = actor.department_role(department_id)
    return held is not None and held.at_least(role)


def permissions_for(
    base_role: BaseRole, granted: frozenset[Permission] | set[Permission]
) -> frozenset[Permission]:
    """Effective permissions: the base role's, plus what a custom role grants (never owner-only powers)."""
    return BASE_ROLE_PERMISSIONS[base_role] | (frozenset(granted) & GRANTABLE)
