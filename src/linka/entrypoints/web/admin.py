"""The admin area: one module per section (keys and permissions in navigation.ADMIN_SECTIONS)."""

from __future__ import annotations

from linka.entrypoints.web import (
    admin_agents,
    admin_chat,
    admin_departments,
    admin_fields,
    admin_mail_problems,
    admin_mailboxes,
    admin_roles,
    admin_settings,
    admin_statuses,
)

routes = [
    *admin_agents.routes,
    *admin_roles.routes,
    *admin_departments.routes,
    *admin_fields.routes,
    *admin_statuses.routes,
    *admin_mailboxes.routes,
    *admin_mail_problems.routes,
    *admin_chat.routes,
    *admin_settings.routes,
]
