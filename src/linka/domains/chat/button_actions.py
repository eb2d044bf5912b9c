"""Writes of chat buttons and their proactive-invitation rules (channel configuration: admins and
holders of manage_channels), and the pure matching of rules against a visitor the widget socket uses.

Every setting is checked here with an error naming its field (the API and the admin pages pass what
they were given); every change leaves history and a `ChatButtonChanged`, so open visitor sockets
reload the button."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, select

from linka.core.errors import Conflict, Invalid
from linka.core.ids import public_id
from linka.core.permissions import Permission, require, require_write
from linka.core.uow import UnitOfWork
from linka.domains.accounts import queries as accounts_queries
from linka.domains.chat import button_queries as queries
from linka.domains.chat import button_settings as settings
from linka.domains.chat.button_settings import (
    INVITATION_MESSAGE_MAX,
    MAX_RULES,
    PRIORITY_RANGE,
    normalise_origin,
)
from linka.domains.chat.constants import (
    BREATHING_SECONDS,
    END_STATUSES,
    INACTIVITY_MINUTES,
    MAX_CHATS_PER_AGENT,
    MISSED_AFTER_SECONDS,
    RING_SECONDS,
    InvitationField,
    InvitationOp,
    RoutingMethod,
)
from linka.domains.chat.events import ChatButtonChanged
from linka.domains.chat.models import ChatButton, InvitationRule

__all__ = [
    "create_chat_button",
    "create_invitation_rule",
    "delete_chat_button",
    "delete_invitation_rule",
    "matching_invitation",
    "move_invitation_rule",
    "normalise_origin",
    "reorder_invitation_rules",
    "seconds_until_time_rule",
    "update_chat_button",
    "update_invitation_rule",
]

BUTTON_SETTINGS = (
    "name",
    "department_id",
    "enabled",
    "allowed_origins",
    "routing_method",
    "ring_seconds",
    "max_chats_per_agent",
    "inactivity_minutes",
    "breathing_seconds",
    "missed_after_seconds",
    "prefer_previous_agent",
    "end_status",
    "agent_priorities",
    "prechat_fields",
    "offline_form",
    "file_uploads",
    "appearance",
)
RULE_SETTINGS = ("name", "conditions", "message", "enabled")


def _require_channel_admin(uow: UnitOfWork) -> None:
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_CHANNELS)


async def _department(uow: UnitOfWork, department_id: int) -> int:
    if not await accounts_queries.department_exists(uow.session, department_id):
        raise Invalid("department_id", "no such department")
    return department_id


async def _priorities(
    uow: UnitOfWork, department_id: int, values: Mapping[int, int] | None
) -> dict[str, int]:
    if not values:
        return {}
    members = {
        agent_id
        for agent_id, _, _ in await accounts_queries.department_member_agents(uow.session, department_id)
    }
    priorities: dict[str, int] = {}
    for agent_id, priority in values.items():
        if int(agent_id) not in members:
            raise Invalid(
                "agent_priorities", "every agent must be an active member of the button's department"
            )
        priorities[str(int(agent_id))] = settings.check_range("agent_priorities", priority, PRIORITY_RANGE)
    return priorities


def snapshot(button: ChatButton) -> dict[str, Any]:
    return {name: getattr(button, name) for name in BUTTON_SETTINGS}


# ---- buttons ---------------------------------------------------------------------------------------


async def _apply(uow: UnitOfWork, button: ChatButton, changes: Mapping[str, Any]) -> None:
    unknown = set(changes) - set(BUTTON_SETTINGS)
    if unknown:
        raise TypeError(f"unknown chat button settings: {', '.join(sorted(unknown))}")
    if "name" in changes:
        button.name = settings.check_name(changes["name"])
    if "department_id" in changes:
        button.department_id = await _department(uow, int(changes["department_id"]))
    for flag in ("enabled", "prefer_previous_agent", "offline_form", "file_uploads"):
        if flag in changes:
            setattr(button, flag, bool(changes[flag]))
    if "allowed_origins" in changes:
        button.allowed_origins = settings.check_origins(changes["allowed_origins"])
    if "routing_method" in changes:
        button.routing_method = settings.check_choice(
            "routing_method", changes["routing_method"], [m.value for m in RoutingMethod]
        )
    for field, bounds in (
        ("ring_seconds", RING_SECONDS),
        ("max_chats_per_agent", MAX_CHATS_PER_AGENT),
        ("inactivity_minutes", INACTIVITY_MINUTES),
        ("breathing_seconds", BREATHING_SECONDS),
        ("missed_after_seconds", MISSED_AFTER_SECONDS),
    ):
        if field in changes:
            setattr(button, field, settings.check_range(field, changes[field], bounds))
    if "end_status" in changes:
        button.end_status = settings.check_choice("end_status", changes["end_status"], END_STATUSES)
    if "prechat_fields" in changes:
        button.prechat_fields = settings.check_prechat_fields(changes["prechat_fields"])
    if "appearance" in changes:
        button.appearance = settings.check_appearance(changes["appearance"])
    if "agent_priorities" in changes:
        button.agent_priorities = await _priorities(uow, button.department_id, changes["agent_priorities"])
    elif "department_id" in changes:
        # Priorities name members of the old department: keep only those still members here.
        members = {
            str(a)
            for a, _, _ in await accounts_queries.department_member_agents(uow.session, button.department_id)
        }
        button.agent_priorities = {k: v for k, v in (button.agent_priorities or {}).items() if k in members}


async def create_chat_button(
    uow: UnitOfWork,
    *,
    name: str,
    department_id: int,
    enabled: bool = True,
    allowed_origins: Sequence[str] = (),
    routing_method: RoutingMethod | str = RoutingMethod.AVERAGE,
    ring_seconds: int = 30,
    max_chats_per_agent: int = 3,
    inactivity_minutes: int = 15,
    breathing_seconds: int = 0,
    missed_after_seconds: int = 180,
    prefer_previous_agent: bool = True,
    end_status: str = "answered",
    agent_priorities: Mapping[int, int] | None = None,
    prechat_fields: Sequence[Mapping[str, Any]] | None = None,
    offline_form: bool = True,
    file_uploads: bool = True,
    appearance: Mapping[str, Any] | None = None,
) -> ChatButton:
    _require_channel_admin(uow)
    button = ChatButton(
        public_id=public_id("cb"), created_at=uow.now, updated_at=uow.now, agent_priorities={}
    )
    await _apply(
        uow,
        button,
        {
            "name": name,
            "department_id": department_id,
            "enabled": enabled,
            "allowed_origins": allowed_origins,
            "routing_method": routing_method,
            "ring_seconds": ring_seconds,
            "max_chats_per_agent": max_chats_per_agent,
            "inactivity_minutes": inactivity_minutes,
            "breathing_seconds": breathing_seconds,
            "missed_after_seconds": missed_after_seconds,
            "prefer_previous_agent": prefer_previous_agent,
            "end_status": end_status,
            "agent_priorities": agent_priorities,
            "prechat_fields": prechat_fields,
            "offline_form": offline_form,
            "file_uploads": file_uploads,
            "appearance": appearance,
        },
    )
    uow.session.add(button)
    await uow.session.flush()
    uow.history("chat_button", button.id, "created", after=snapshot(button))
    uow.record(ChatButtonChanged(button_id=button.id, public_id=button.public_id))
    return button


async def update_chat_button(uow: UnitOfWork, *, button_id: int, **changes: Any) -> ChatButton:
    """Change the given settings (the keywords of `create_chat_button`); the others stay."""
    _require_channel_admin(uow)
    button = await queries.button_by_id(uow.session, uow.actor, button_id)
    before = snapshot(button)
    await _apply(uow, button, changes)
    changed = uow.history_of_changes("chat_button", button.id, before=before, after=snapshot(button))
    if changed:
        button.updated_at = uow.now
        uow.record(ChatButtonChanged(button_id=button.id, public_id=button.public_id))
    return button


async def delete_chat_button(uow: UnitOfWork, *, button_id: int) -> None:
    """Remove a button that never had a chat (its chats keep their button); its rules go with it."""
    _require_channel_admin(uow)
    button = await queries.button_by_id(uow.session, uow.actor, button_id)
    if await queries.button_has_chats(uow.session, button.id):
        raise Conflict("button", "this button has chats; switch it off instead")
    uow.history("chat_button", button.id, "deleted", before=snapshot(button))
    await uow.session.execute(delete(InvitationRule).where(InvitationRule.button_id == button.id))
    await uow.session.delete(button)
    await uow.session.flush()
    uow.record(ChatButtonChanged(button_id=button.id, public_id=button.public_id))


# ---- invitation rules ------------------------------------------------------------------------------


def rule_snapshot(rule: InvitationRule) -> dict[str, Any]:
    return {
        "button_id": rule.button_id,
        "name": rule.name,
        "enabled": rule.enabled,
        "position": rule.position,
        "conditions": rule.conditions,
        "message": rule.message,
    }


def _apply_rule(rule: InvitationRule, changes: Mapping[str, Any]) -> None:
    unknown = set(changes) - set(RULE_SETTINGS)
    if unknown:
        raise TypeError(f"unknown invitation rule settings: {', '.join(sorted(unknown))}")
    if "name" in changes:
        rule.name = settings.check_name(changes["name"])
    if "conditions" in changes:
        rule.conditions = settings.check_conditions(changes["conditions"])
    if "message" in changes:
        rule.message = settings.check_texts("message", changes["message"], limit=INVITATION_MESSAGE_MAX)
    if "enabled" in changes:
        rule.enabled = bool(changes["enabled"])


def _button_changed(uow: UnitOfWork, button: ChatButton) -> None:
    uow.record(ChatButtonChanged(button_id=button.id, public_id=button.public_id))


async def create_invitation_rule(
    uow: UnitOfWork,
    *,
    button_id: int,
    name: str,
    conditions: Sequence[Mapping[str, Any]],
    message: Mapping[str, str],
    enabled: bool = True,
) -> InvitationRule:
    """A new rule, last in the button's order."""
    _require_channel_admin(uow)
    button = await queries.button_by_id(uow.session, uow.actor, button_id)
    count, last = (
        await uow.session.execute(
            select(func.count(), func.max(InvitationRule.position)).where(
                InvitationRule.button_id == button.id
            )
        )
    ).one()
    if int(count) >= MAX_RULES:
        raise Invalid("button", "a button has at most %(max)s invitation rules", values={"max": MAX_RULES})
    rule = InvitationRule(
        public_id=public_id("ir"),
        button_id=button.id,
        position=(int(last) + 1) if last is not None else 0,
        created_at=uow.now,
        updated_at=uow.now,
    )
    _apply_rule(rule, {"name": name, "conditions": conditions, "message": message, "enabled": enabled})
    uow.session.add(rule)
    await uow.session.flush()
    uow.history("chat_invitation_rule", rule.id, "created", after=rule_snapshot(rule))
    _button_changed(uow, button)
    return rule


async def update_invitation_rule(uow: UnitOfWork, *, rule_id: int, **changes: Any) -> InvitationRule:
    """Change the given settings (name, conditions, message, enabled); the others stay."""
    _require_channel_admin(uow)
    rule = await queries.rule_by_id(uow.session, uow.actor, rule_id)
    before = rule_snapshot(rule)
    _apply_rule(rule, changes)
    if uow.history_of_changes("chat_invitation_rule", rule.id, before=before, after=rule_snapshot(rule)):
        rule.updated_at = uow.now
        _button_changed(uow, await queries.button_by_id(uow.session, uow.actor, rule.button_id))
    return rule


async def delete_invitation_rule(uow: UnitOfWork, *, rule_id: int) -> None:
    _require_channel_admin(uow)
    rule = await queries.rule_by_id(uow.session, uow.actor, rule_id)
    button = await queries.button_by_id(uow.session, uow.actor, rule.button_id)
    uow.history("chat_invitation_rule", rule.id, "deleted", before=rule_snapshot(rule))
    await uow.session.delete(rule)
    await uow.session.flush()
    _button_changed(uow, button)


async def reorder_invitation_rules(
    uow: UnitOfWork, *, button_id: int, rule_ids: Sequence[int]
) -> list[InvitationRule]:
    """Put the button's rules in the given order (every rule of the button, each once)."""
    _require_channel_admin(uow)
    button = await queries.button_by_id(uow.session, uow.actor, button_id)
    rules = await queries.invitation_rules_of(uow.session, button.id)
    by_id = {rule.id: rule for rule in rules}
    wanted = [int(rule_id) for rule_id in rule_ids]
    if sorted(wanted) != sorted(by_id):
        raise Invalid("ids", "name every rule of the button once")
    before = [rule.id for rule in rules]
    for position, rule_id in enumerate(wanted):
        by_id[rule_id].position = position
    if before != wanted:
        uow.history(
            "chat_button",
            button.id,
            "invitation_rules_reordered",
            before={"order": before},
            after={"order": wanted},
        )
        _button_changed(uow, button)
    return [by_id[rule_id] for rule_id in wanted]


async def move_invitation_rule(uow: UnitOfWork, *, rule_id: int, offset: int) -> list[InvitationRule]:
    """Move a rule `offset` places earlier (negative) or later (positive) in its button's order."""
    _require_channel_admin(uow)
    rule = await queries.rule_by_id(uow.session, uow.actor, rule_id)
    order = [r.id for r in await queries.invitation_rules_of(uow.session, rule.button_id)]
    index = order.index(rule.id)
    target = max(0, min(len(order) - 1, index + offset))
    order.insert(target, order.pop(index))
    return await reorder_invitation_rules(uow, button_id=rule.button_id, rule_ids=order)


# ---- matching (pure: the visitor socket calls it on every page and tick) ---------------------------


def _holds(condition: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    field, op, value = condition.get("field"), condition.get("op"), condition.get("value")
    actual = facts.get(str(field))
    if actual is None:
        return False
    if op == InvitationOp.AT_LEAST:
        return isinstance(actual, int) and isinstance(value, int) and actual >= value
    text, wanted = str(actual).casefold(), str(value).casefold()
    if op == InvitationOp.CONTAINS:
        return wanted in text
    if op == InvitationOp.EQUALS:
        return text == wanted
    if op == InvitationOp.STARTS_WITH:
        return text.startswith(wanted)
    return False


def _in_order(rules: Sequence[InvitationRule]) -> list[InvitationRule]:
    return sorted((r for r in rules if r.enabled), key=lambda r: (r.position, r.id or 0))


def matching_invitation(
    rules: Sequence[InvitationRule],
    *,
    page_url: str,
    referrer: str,
    time_on_site: int,
    visits: int,
    page_views: int,
) -> InvitationRule | None:
    """The first switched-on rule (by position) whose every condition holds for the visitor, or none.
    Text conditions ignore case."""
    facts = {
        "page_url": page_url,
        "referrer": referrer,
        "time_on_site": time_on_site,
        "visits": visits,
        "page_views": page_views,
    }
    for rule in _in_order(rules):
        conditions = rule.conditions or []
        if conditions and all(_holds(c, facts) for c in conditions):
            return rule
    return None


def seconds_until_time_rule(
    rules: Sequence[InvitationRule],
    *,
    page_url: str,
    referrer: str,
    time_on_site: int,
    visits: int,
    page_views: int,
) -> int | None:
    """Seconds until a rule that waits only for time on site would match: of the switched-on rules whose
    other conditions already hold and whose time threshold is still ahead, the nearest. None: no rule
    will match by waiting (the socket then sets no timer)."""
    facts = {
        "page_url": page_url,
        "referrer": referrer,
        "time_on_site": time_on_site,
        "visits": visits,
        "page_views": page_views,
    }
    nearest: int | None = None
    for rule in _in_order(rules):
        conditions = rule.conditions or []
        timed = [c for c in conditions if c.get("field") == InvitationField.TIME_ON_SITE]
        others = [c for c in conditions if c.get("field") != InvitationField.TIME_ON_SITE]
        if not timed or not all(_holds(c, facts) for c in others):
            continue
        threshold = max(int(c.get("value") or 0) for c in timed)
        if threshold > time_on_site:
            wait = threshold - time_on_site
            nearest = wait if nearest is None else min(nearest, wait)
    return nearest
