"""Reads of the workspace settings: one row, with its defaults until someone first changes a setting.
They are not secret: every signed-in agent may read them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from linka.domains.accounts.models import WorkspaceSettings

WORKSPACE_SETTINGS_ID = 1
DEFAULT_NAME = "Linka"
DEFAULT_LANGUAGE = "en"
DEFAULT_TIMEZONE = "Europe/Prague"


@dataclass(frozen=True)
class WorkspaceView:
    name: str
    default_language: str  # what new agents start with
    default_timezone: str
    require_two_factor: bool


async def workspace_settings(session: AsyncSession) -> WorkspaceView:
    row = await session.get(WorkspaceSettings, WORKSPACE_SETTINGS_ID)
    if row is None:
        return WorkspaceView(DEFAULT_NAME, DEFAULT_LANGUAGE, DEFAULT_TIMEZONE, require_two_factor=False)
    return WorkspaceView(row.name, row.default_language, row.default_timezone, row.require_two_factor)
