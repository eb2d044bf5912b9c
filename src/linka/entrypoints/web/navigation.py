"""What the sidebar shows an actor. Admin pages check the same rules (`admin_sections`), so a page a
role may not use is neither shown nor reachable."""

from __future__ import annotations

from dataclasses import dataclass

from linka.core.errors import NotFound
from linka.core.i18n import N_
from linka.core.permissions import Actor, Permission


@dataclass(frozen=True)
class NavItem:
    key: str
    url: str
    label: str  # English source text; the template translates it
    icon: str


# Admin sections and the permission each needs (None: admins and owners only).
ADMIN_SECTIONS: tuple[tuple[str, str, str, Permission | None], ...] = (
    ("agents", "/admin/agents", N_("Agents"), Permission.MANAGE_AGENTS),
    ("roles", "/admin/roles", N_("Roles"), Permission.MANAGE_ROLES),
    ("departments", "/admin/departments", N_("Departments"), Permission.MANAGE_DEPARTMENTS),
    ("fields", "/admin/fields", N_("Custom fields"), Permission.MANAGE_SETTINGS),
    ("statuses", "/admin/statuses", N_("Statuses"), Permission.MANAGE_SETTINGS),
    ("mailboxes", "/admin/mailboxes", N_("Mailboxes"), Permission.MANAGE_CHANNELS),
    ("chat_buttons", "/admin/chat-buttons", N_("Chat buttons"), Permission.MANAGE_CHANNELS),
    ("settings", "/admin/settings", N_("Settings"), Permission.MANAGE_SETTINGS),
)


def may_use_admin_section(actor: Actor, key: str) -> bool:
    for section, _url, _label, permission in ADMIN_SECTIONS:
        if section == key:
            return actor.is_admin if permission is None else actor.has(permission)
    return False


def require_admin_section(actor: Actor, key: str) -> None:
    """Pages of a section the actor may not use answer 404: they are not there for that actor."""
    if not may_use_admin_section(actor, key):
        raise NotFound("page")


def admin_sections(actor: Actor) -> list[NavItem]:
    return [
        NavItem(key, url, label, "settings")
        for key, url, label, _permission in ADMIN_SECTIONS
        if may_use_admin_section(actor, key)
    ]


def navigation(actor: Actor) -> list[NavItem]:
    items = [
        NavItem("tickets", "/tickets", N_("Tickets"), "inbox"),
        NavItem("chats", "/chats", N_("Chats"), "chat"),
        NavItem("contacts", "/contacts", N_("Contacts"), "people"),
        NavItem("companies", "/companies", N_("Companies"), "building"),
        NavItem("answers", "/answers", N_("Answers"), "quote"),
    ]
    sections = admin_sections(actor)
    if sections:
        items.append(NavItem("admin", sections[0].url, N_("Administration"), "settings"))
    return items
