"""Agents, roles, departments, memberships, API keys, login sessions and workspace settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from linka.core.db import Base, BigId, Json


class Role(Base):
    """A custom role: the agent defaults plus the named permissions it grants."""

    __tablename__ = "roles"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    permissions: Mapped[list[str]] = mapped_column(Json, default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(5), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Prague")
    base_role: Mapped[str] = mapped_column(String(16), default="agent", index=True)
    role_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("roles.id", ondelete="RESTRICT"), index=True
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    availability: Mapped[str] = mapped_column(String(16), default="offline")
    signature: Mapped[str] = mapped_column(Text, default="")
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The last TOTP time-step accepted: a code is never accepted twice (no replay within its window).
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # Bumped when a password, two-factor setting or activity changes: every older login dies with it.
    auth_epoch: Mapped[int] = mapped_column(Integer, default=0)
    # What the agent wants to be told about, and how (`NotificationSettings`; None: the defaults).
    # Deferred: only the profile page and notification dispatch read it, not every load of an agent.
    notification_settings: Mapped[dict[str, bool] | None] = mapped_column(Json, deferred=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    invited_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    deactivated_at: Mapped[datetime | None]


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DepartmentMember(Base):
    """An agent's place in a department: their role there and which services they take."""

    __tablename__ = "department_members"
    __table_args__ = (
        UniqueConstraint("department_id", "agent_id", name="uq_department_members_department_agent"),
        Index("ix_department_members_agent", "agent_id", "department_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    department_id: Mapped[int] = mapped_column(BigId, ForeignKey("departments.id", ondelete="RESTRICT"))
    agent_id: Mapped[int] = mapped_column(BigId, ForeignKey("agents.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16), default="solver")
    tickets: Mapped[bool] = mapped_column(Boolean, default=True)
    chats: Mapped[bool] = mapped_column(Boolean, default=True)
    calls: Mapped[bool] = mapped_column(Boolean, default=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class ApiKey(Base):
    """`lk_<prefix>_<secret>`: the prefix finds the row, the secret is kept only as a SHA-256 hash."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True)
    agent_id: Mapped[int] = mapped_column(BigId, ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(Json, default=list)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class WebSession(Base):
    """Server-side login sessions (the storage behind Litestar's session middleware)."""

    __tablename__ = "web_sessions"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime | None] = mapped_column(index=True)


class WorkspaceSettings(Base):
    """One row of workspace-wide settings that owners and admins change in the app."""

    __tablename__ = "workspace_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="Linka")
    require_two_factor: Mapped[bool] = mapped_column(Boolean, default=False)
    default_language: Mapped[str] = mapped_column(String(5), default="en")
    default_timezone: Mapped[str] = mapped_column(String(64), default="Europe/Prague")
    updated_at: Mapped[datetime]
