"""What the API accepts and returns for accounts. Never a password hash, key hash or TOTP secret."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from linka.domains.accounts.models import Agent

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class Input(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every request body: unknown fields are refused, not ignored."""


class LoginIn(Input):
    email: Email
    password: Password
    totp_code: Annotated[str, msgspec.Meta(max_length=12)] | None = None


class AgentOut(msgspec.Struct, kw_only=True):
    id: str
    email: str
    name: str
    language: str
    timezone: str
    role: str
    custom_role_id: str | None
    is_active: bool
    availability: str
    two_factor_enabled: bool
    created_at: datetime
    last_login_at: datetime | None

    @classmethod
    def from_model(cls, agent: Agent, *, custom_role_public_id: str | None = None) -> AgentOut:
        return cls(
            id=agent.public_id,
            email=agent.email,
            name=agent.name,
            language=agent.language,
            timezone=agent.timezone,
            role=agent.base_role,
            custom_role_id=custom_role_public_id,
            is_active=agent.is_active,
            availability=agent.availability,
            two_factor_enabled=agent.totp_enabled,
            created_at=agent.created_at,
            last_login_at=agent.last_login_at,
        )


# --- Agents, roles, departments and memberships (the management part of the API) ---------------------

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
RoleName = Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
Description = Annotated[str, msgspec.Meta(max_length=2000)]
Signature = Annotated[str, msgspec.Meta(max_length=5000)]
Timezone = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
PublicId = Annotated[str, msgspec.Meta(min_length=1, max_length=24)]
PermissionName = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
Language = Literal["en", "cs", "hu"]
BaseRoleName = Literal["owner", "admin", "agent"]
Availability = Literal["online", "paused", "offline"]
DepartmentRoleName = Literal["reader", "solver", "supervisor", "manager"]


class AgentCreateIn(Input):
    """Without a password the agent is invited: they set one through the invitation link."""

    email: Email
    name: Name
    password: Password | None = None
    role: BaseRoleName = "agent"
    custom_role_id: PublicId | None = None
    language: Language = "en"
    timezone: Timezone = "Europe/Prague"


class AgentUpdateIn(Input):
    """Only the fields given change; `custom_role_id: null` removes the custom role."""

    name: Name | UnsetType = UNSET
    language: Language | UnsetType = UNSET
    timezone: Timezone | UnsetType = UNSET
    role: BaseRoleName | UnsetType = UNSET
    custom_role_id: PublicId | UnsetType | None = UNSET
    availability: Availability | UnsetType = UNSET


class MeUpdateIn(Input):
    """An agent's own minor settings."""

    name: Name | UnsetType = UNSET
    language: Language | UnsetType = UNSET
    timezone: Timezone | UnsetType = UNSET
    signature: Signature | UnsetType = UNSET
    availability: Availability | UnsetType = UNSET


class NotificationSettings(Input):
    """What an agent is told about, and how. Stored on the agent; a missing key reads as its default."""

    # A ticket was assigned to me: a notification in the browser (the app must be open), an email.
    assigned_browser: bool = True
    assigned_email: bool = False

    @classmethod
    def from_stored(cls, stored: dict[str, bool] | None) -> NotificationSettings:
        defaults = cls()
        return cls(
            **{
                name: bool((stored or {}).get(name, getattr(defaults, name)))
                for name in cls.__struct_fields__
            }
        )

    def to_stored(self) -> dict[str, bool]:
        return {name: bool(getattr(self, name)) for name in self.__struct_fields__}


class OwnMembershipOut(msgspec.Struct, kw_only=True):
    """One of the signed-in agent's departments, with the services they take there."""

    department_id: str
    name: str
    role: str
    tickets: bool
    chats: bool
    calls: bool
    paused: bool


class AgentDepartmentOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    role: str


class AgentView(msgspec.Struct, kw_only=True):
    """An agent as the caller may see them. Agents without manage_agents see colleagues through the
    public part only (id, name, availability, departments); the rest is left out of the JSON."""

    id: str
    name: str
    availability: str
    departments: list[AgentDepartmentOut]
    email: str | UnsetType = UNSET
    language: str | UnsetType = UNSET
    timezone: str | UnsetType = UNSET
    role: str | UnsetType = UNSET
    custom_role_id: str | UnsetType | None = UNSET
    is_active: bool | UnsetType = UNSET
    invited: bool | UnsetType = UNSET
    two_factor_enabled: bool | UnsetType = UNSET
    created_at: datetime | UnsetType = UNSET
    last_login_at: datetime | UnsetType | None = UNSET
    deactivated_at: datetime | UnsetType | None = UNSET


class AgentPage(msgspec.Struct, kw_only=True):
    items: list[AgentView]
    next_cursor: str | None


class MeOut(msgspec.Struct, kw_only=True):
    id: str
    email: str
    name: str
    language: str
    timezone: str
    role: str
    custom_role_id: str | None
    is_active: bool
    availability: str
    signature: str
    two_factor_enabled: bool
    created_at: datetime
    last_login_at: datetime | None
    permissions: list[str]
    departments: list[AgentDepartmentOut]


class RoleCreateIn(Input):
    name: RoleName
    description: Description = ""
    permissions: Annotated[list[PermissionName], msgspec.Meta(max_length=50)] = msgspec.field(
        default_factory=list
    )


class RoleUpdateIn(Input):
    name: RoleName | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    permissions: Annotated[list[PermissionName], msgspec.Meta(max_length=50)] | UnsetType = UNSET


class RoleOut(msgspec.Struct, kw_only=True):
    """A built-in role (`id` is its name: owner, admin, agent) or a custom one (`rl_…`), with the
    permissions it actually gives."""

    id: str
    name: str
    description: str
    builtin: bool
    permissions: list[str]


class RoleList(msgspec.Struct, kw_only=True):
    items: list[RoleOut]


class DepartmentCreateIn(Input):
    name: Name
    description: Description = ""


class DepartmentUpdateIn(Input):
    name: Name | UnsetType = UNSET
    description: Description | UnsetType = UNSET


class DepartmentOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    description: str
    created_at: datetime


class DepartmentPage(msgspec.Struct, kw_only=True):
    items: list[DepartmentOut]
    next_cursor: str | None


class MembershipIn(Input):
    role: DepartmentRoleName = "solver"
    tickets: bool = True
    chats: bool = True
    calls: bool = True
    paused: bool = False


class MemberOut(msgspec.Struct, kw_only=True):
    agent_id: str
    name: str
    availability: str
    role: str
    tickets: bool
    chats: bool
    calls: bool
    paused: bool


class MemberPage(msgspec.Struct, kw_only=True):
    items: list[MemberOut]
    next_cursor: str | None
