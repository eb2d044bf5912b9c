"""Writes of the workspace settings: its name and the language and time zone new agents start with
(manage_settings). Whether two-factor sign-in is mandatory is an owner's decision:
`credentials.set_security_settings`."""

from __future__ import annotations

from typing import Any

from msgspec import UNSET, UnsetType

from linka.core.errors import Invalid
from linka.core.permissions import Permission, require, require_write
from linka.core.uow import UnitOfWork
from linka.domains.accounts.actions import LANGUAGES, check_timezone
from linka.domains.accounts.models import WorkspaceSettings
from linka.domains.accounts.workspace_queries import (
    DEFAULT_LANGUAGE,
    DEFAULT_NAME,
    DEFAULT_TIMEZONE,
    WORKSPACE_SETTINGS_ID,
)

NAME_MAX = 120


async def settings_row(uow: UnitOfWork) -> WorkspaceSettings:
    """The one settings row, created on first change."""
    row = await uow.session.get(WorkspaceSettings, WORKSPACE_SETTINGS_ID)
    if row is None:
        row = WorkspaceSettings(
            id=WORKSPACE_SETTINGS_ID,
            name=DEFAULT_NAME,
            require_two_factor=False,
            default_language=DEFAULT_LANGUAGE,
            default_timezone=DEFAULT_TIMEZONE,
            updated_at=uow.now,
        )
        uow.session.add(row)
        await uow.session.flush()
    return row


def _snapshot(row: WorkspaceSettings) -> dict[str, Any]:
    return {
        "name": row.name,
        "default_language": row.default_language,
        "default_timezone": row.default_timezone,
    }


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise Invalid("name", "must not be empty")
    if len(name) > NAME_MAX:
        raise Invalid("name", "at most %(max)s characters", values={"max": NAME_MAX})
    return name


async def update_workspace_settings(
    uow: UnitOfWork,
    *,
    name: str | UnsetType = UNSET,
    default_language: str | UnsetType = UNSET,
    default_timezone: str | UnsetType = UNSET,
) -> WorkspaceSettings:
    """Change the given settings (every one is checked before any changes)."""
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_SETTINGS)
    if not isinstance(name, UnsetType):
        name = _clean_name(name)
    if not isinstance(default_language, UnsetType) and default_language not in LANGUAGES:
        raise Invalid(
            "default_language", "must be one of %(choices)s", values={"choices": ", ".join(LANGUAGES)}
        )
    if not isinstance(default_timezone, UnsetType):
        check_timezone(default_timezone, field="default_timezone")
    row = await settings_row(uow)
    before = _snapshot(row)
    if not isinstance(name, UnsetType):
        row.name = name
    if not isinstance(default_language, UnsetType):
        row.default_language = default_language
    if not isinstance(default_timezone, UnsetType):
        row.default_timezone = default_timezone
    if uow.history_of_changes("workspace_settings", row.id, before=before, after=_snapshot(row)):
        row.updated_at = uow.now
    return row
