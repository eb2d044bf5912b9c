"""Reads of chat buttons and their invitation rules. Buttons are channel configuration: only admins
and holders of manage_channels see them here (the widget server reads a button by its public id without
an actor, through `enabled_button_by_public_id` and `invitation_rules_of`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.errors import Invalid, NotFound
from linka.core.pagination import check_limit, decode_cursor, encode_cursor
from linka.core.permissions import Actor, Permission, require
from linka.domains.accounts import queries as accounts_queries
from linka.domains.chat.button_schemas import (
    ChatButtonCreateIn,
    ChatButtonOut,
    ChatButtonPage,
    ChatButtonUpdateIn,
    InvitationRuleCreateIn,
    InvitationRuleOut,
    InvitationRuleUpdateIn,
    button_out,
    rule_out,
)
from linka.domains.chat.models import Chat, ChatButton, InvitationRule


async def button_by_id(session: AsyncSession, actor: Actor, button_id: int) -> ChatButton:
    require(actor, Permission.MANAGE_CHANNELS)
    button = await session.get(ChatButton, button_id)
    if button is None:
        raise NotFound("chat button")
    return button


async def button_by_public_id(session: AsyncSession, actor: Actor, public_id: str) -> ChatButton:
    require(actor, Permission.MANAGE_CHANNELS)
    found = await session.execute(select(ChatButton).where(ChatButton.public_id == public_id))
    button = found.scalar_one_or_none()
    if button is None:
        raise NotFound("chat button")
    return button


async def button_id_of(session: AsyncSession, actor: Actor, public_id: str) -> int:
    """The key of a button named by its public id (what entry points hand to the actions)."""
    return (await button_by_public_id(session, actor, public_id)).id


async def enabled_button_by_public_id(session: AsyncSession, public_id: str) -> ChatButton | None:
    """The button a visitor's page names, if it exists and is switched on (no actor: the widget)."""
    found = await session.execute(
        select(ChatButton).where(ChatButton.public_id == public_id, ChatButton.enabled.is_(True))
    )
    return found.scalar_one_or_none()


async def invitation_rules_of(session: AsyncSession, button_id: int) -> list[InvitationRule]:
    """A button's rules in their order (the visitor socket matches them; no actor)."""
    rows = await session.execute(
        select(InvitationRule)
        .where(InvitationRule.button_id == button_id)
        .order_by(InvitationRule.position, InvitationRule.id)
    )
    return list(rows.scalars())


async def rule_by_id(session: AsyncSession, actor: Actor, rule_id: int) -> InvitationRule:
    require(actor, Permission.MANAGE_CHANNELS)
    rule = await session.get(InvitationRule, rule_id)
    if rule is None:
        raise NotFound("invitation rule")
    return rule


async def rule_by_public_id(
    session: AsyncSession, actor: Actor, button_id: int, public_id: str
) -> InvitationRule:
    """A rule of that button (a rule of another button is not found, whatever its id)."""
    require(actor, Permission.MANAGE_CHANNELS)
    found = await session.execute(
        select(InvitationRule).where(
            InvitationRule.public_id == public_id, InvitationRule.button_id == button_id
        )
    )
    rule = found.scalar_one_or_none()
    if rule is None:
        raise NotFound("invitation rule")
    return rule


async def button_has_chats(session: AsyncSession, button_id: int) -> bool:
    found = await session.execute(select(Chat.id).where(Chat.button_id == button_id).limit(1))
    return found.first() is not None


async def button_outs(session: AsyncSession, buttons: Sequence[ChatButton]) -> list[ChatButtonOut]:
    """The API view of buttons: department and agents by public id (two queries, whatever the count)."""
    departments = await accounts_queries.public_ids_of_departments(
        session, [b.department_id for b in buttons]
    )
    agent_ids = {int(key) for b in buttons for key in b.agent_priorities}
    agents = await accounts_queries.agent_summaries(session, sorted(agent_ids))
    return [button_out(b, departments.get(b.department_id, ""), agents) for b in buttons]


async def list_buttons(
    session: AsyncSession, actor: Actor, *, cursor: str | None = None, limit: int | None = None
) -> ChatButtonPage:
    require(actor, Permission.MANAGE_CHANNELS)
    limit = check_limit(limit)
    query = select(ChatButton).order_by(ChatButton.id).limit(limit + 1)
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(ChatButton.id > int(after[0]))
    rows = list((await session.execute(query)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return ChatButtonPage(
        items=await button_outs(session, rows),
        next_cursor=encode_cursor([rows[-1].id]) if more and rows else None,
    )


async def show_button(session: AsyncSession, actor: Actor, public_id: str) -> ChatButtonOut:
    button = await button_by_public_id(session, actor, public_id)
    return (await button_outs(session, [button]))[0]


async def list_rules(session: AsyncSession, actor: Actor, button_id: int) -> list[InvitationRuleOut]:
    """A button's rules in their order (a button has few: no pagination needed, at most MAX_RULES)."""
    require(actor, Permission.MANAGE_CHANNELS)
    return [rule_out(rule) for rule in await invitation_rules_of(session, button_id)]


async def rule_counts(session: AsyncSession, button_public_ids: Sequence[str]) -> dict[str, int]:
    """How many invitation rules each button (by public id) has, in one query."""
    if not button_public_ids:
        return {}
    rows = await session.execute(
        select(ChatButton.public_id, func.count(InvitationRule.id))
        .join(InvitationRule, InvitationRule.button_id == ChatButton.id)
        .where(ChatButton.public_id.in_(list(button_public_ids)))
        .group_by(ChatButton.public_id)
    )
    return {str(public): int(count) for public, count in rows.all()}


async def button_settings_of(
    session: AsyncSession, data: ChatButtonCreateIn | ChatButtonUpdateIn
) -> dict[str, Any]:
    """The keywords of create/update_chat_button from an API body: public ids become keys (an unknown
    department or agent is invalid input naming its field); what the body left out is left out."""
    given: dict[str, Any] = msgspec.to_builtins(data)
    if "department_id" in given:
        given["department_id"] = await accounts_queries.department_id_for_field(
            session, given["department_id"], field="department_id"
        )
    if "agent_priorities" in given:
        given["agent_priorities"] = {
            await accounts_queries.agent_id_for_field(session, agent, field="agent_priorities"): priority
            for agent, priority in given["agent_priorities"].items()
        }
    return given


def rule_settings_of(data: InvitationRuleCreateIn | InvitationRuleUpdateIn) -> dict[str, Any]:
    """The keywords of create/update_invitation_rule from an API body (what it left out stays out)."""
    given: dict[str, Any] = msgspec.to_builtins(data)
    return given


async def rule_ids_of(
    session: AsyncSession, actor: Actor, button_id: int, public_ids: Sequence[str]
) -> list[int]:
    """Keys of the button's rules named by public id, in the order given (an unknown one: not found)."""
    require(actor, Permission.MANAGE_CHANNELS)
    rows = await session.execute(
        select(InvitationRule.public_id, InvitationRule.id).where(
            InvitationRule.button_id == button_id, InvitationRule.public_id.in_(list(public_ids))
        )
    )
    found = {public: int(key) for public, key in rows.all()}
    if any(public not in found for public in public_ids):
        raise Invalid("ids", "name every rule of the button once")
    return [found[public] for public in public_ids]
