"""Events of the accounts domain."""

from __future__ import annotations

from dataclasses import dataclass

from linka.core.events import Event


@dataclass(frozen=True, kw_only=True)
class AgentCreated(Event):
    name = "agent.created"
    agent_id: int


@dataclass(frozen=True, kw_only=True)
class AgentChanged(Event):
    name = "agent.changed"
    agent_id: int
    fields: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class AgentLoggedIn(Event):
    name = "agent.logged_in"
    agent_id: int


@dataclass(frozen=True, kw_only=True)
class DepartmentChanged(Event):
    name = "department.changed"
    department_id: int


@dataclass(frozen=True, kw_only=True)
class MembershipChanged(Event):
    name = "membership.changed"
    department_id: int
    agent_id: int


@dataclass(frozen=True, kw_only=True)
class AgentDeactivated(Event):
    name = "agent.deactivated"
    agent_id: int


@dataclass(frozen=True, kw_only=True)
class AgentReactivated(Event):
    name = "agent.reactivated"
    agent_id: int


@dataclass(frozen=True, kw_only=True)
class RoleChanged(Event):
    name = "role.changed"
    role_id: int


@dataclass(frozen=True, kw_only=True)
class RoleDeleted(Event):
    name = "role.deleted"
    role_id: int


@dataclass(frozen=True, kw_only=True)
class DepartmentDeleted(Event):
    name = "department.deleted"
    department_id: int


@dataclass(frozen=True, kw_only=True)
class MembershipRemoved(Event):
    name = "membership.removed"
    department_id: int
    agent_id: int
