"""What the API accepts and returns for chat buttons and invitation rules. Outside, buttons, rules,
departments and agents are named by public ids, never database keys. The shapes here only check
structure; the actions (button_actions.py) check meaning and name the field at fault."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, UnsetType

from linka.domains.accounts.schemas import Input, Name, PublicId
from linka.domains.chat.models import ChatButton, InvitationRule

ShortText = Annotated[str, msgspec.Meta(max_length=2000)]
Texts = dict[str, ShortText]
Origins = Annotated[list[Annotated[str, msgspec.Meta(max_length=300)]], msgspec.Meta(max_length=200)]


class PrechatFieldIn(Input):
    key: Annotated[str, msgspec.Meta(max_length=64)]
    kind: Annotated[str, msgspec.Meta(max_length=16)] = "text"
    required: bool = False
    label: Texts = msgspec.field(default_factory=dict)
    options: Annotated[list[ShortText], msgspec.Meta(max_length=100)] = msgspec.field(default_factory=list)


class AppearanceIn(Input):
    """Left out: the default. `texts` per language ("en", "cs", "hu"): title, greeting, offline_title,
    offline_greeting; a text left out or empty is the default text of that language."""

    colour: Annotated[str, msgspec.Meta(max_length=16)] | UnsetType = UNSET
    position: Annotated[str, msgspec.Meta(max_length=8)] | UnsetType = UNSET
    texts: dict[str, Texts] | UnsetType = UNSET


PrechatFields = Annotated[list[PrechatFieldIn], msgspec.Meta(max_length=100)]


class ChatButtonCreateIn(Input):
    name: Name
    department_id: PublicId
    enabled: bool = True
    allowed_origins: Origins = msgspec.field(default_factory=list)
    routing_method: Annotated[str, msgspec.Meta(max_length=16)] = "average"
    ring_seconds: int = 30
    max_chats_per_agent: int = 3
    inactivity_minutes: int = 15
    breathing_seconds: int = 0
    missed_after_seconds: int = 180
    prefer_previous_agent: bool = True
    end_status: Annotated[str, msgspec.Meta(max_length=16)] = "answered"
    # agent public id → priority (higher rings first with routing method "priority")
    agent_priorities: dict[PublicId, int] = msgspec.field(default_factory=dict)
    # null: the default form (name, email)
    prechat_fields: PrechatFields | None = None
    offline_form: bool = True
    file_uploads: bool = True
    appearance: AppearanceIn | None = None


class ChatButtonUpdateIn(Input):
    """Only the fields given change."""

    name: Name | UnsetType = UNSET
    department_id: PublicId | UnsetType = UNSET
    enabled: bool | UnsetType = UNSET
    allowed_origins: Origins | UnsetType = UNSET
    routing_method: Annotated[str, msgspec.Meta(max_length=16)] | UnsetType = UNSET
    ring_seconds: int | UnsetType = UNSET
    max_chats_per_agent: int | UnsetType = UNSET
    inactivity_minutes: int | UnsetType = UNSET
    breathing_seconds: int | UnsetType = UNSET
    missed_after_seconds: int | UnsetType = UNSET
    prefer_previous_agent: bool | UnsetType = UNSET
    end_status: Annotated[str, msgspec.Meta(max_length=16)] | UnsetType = UNSET
    agent_priorities: dict[PublicId, int] | UnsetType = UNSET
    prechat_fields: PrechatFields | UnsetType | None = UNSET
    offline_form: bool | UnsetType = UNSET
    file_uploads: bool | UnsetType = UNSET
    appearance: AppearanceIn | UnsetType | None = UNSET


class PrechatFieldOut(msgspec.Struct, kw_only=True):
    key: str
    kind: str
    required: bool
    label: dict[str, str]
    options: list[str]


class AppearanceOut(msgspec.Struct, kw_only=True):
    colour: str
    position: str
    texts: dict[str, dict[str, str]]


class ChatButtonOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    department_id: str
    enabled: bool
    allowed_origins: list[str]
    routing_method: str
    ring_seconds: int
    max_chats_per_agent: int
    inactivity_minutes: int
    breathing_seconds: int
    missed_after_seconds: int
    prefer_previous_agent: bool
    end_status: str
    agent_priorities: dict[str, int]
    prechat_fields: list[PrechatFieldOut]
    offline_form: bool
    file_uploads: bool
    appearance: AppearanceOut
    created_at: datetime
    updated_at: datetime


class ChatButtonPage(msgspec.Struct, kw_only=True):
    items: list[ChatButtonOut]
    next_cursor: str | None


class ConditionIn(Input):
    field: Annotated[str, msgspec.Meta(max_length=32)]
    op: Annotated[str, msgspec.Meta(max_length=16)]
    value: Annotated[str, msgspec.Meta(max_length=2000)] | int


Conditions = Annotated[list[ConditionIn], msgspec.Meta(max_length=100)]


class InvitationRuleCreateIn(Input):
    name: Name
    conditions: Conditions
    # per language ("en" required, "cs", "hu")
    message: Texts
    enabled: bool = True


class InvitationRuleUpdateIn(Input):
    name: Name | UnsetType = UNSET
    conditions: Conditions | UnsetType = UNSET
    message: Texts | UnsetType = UNSET
    enabled: bool | UnsetType = UNSET


class InvitationRuleOrderIn(Input):
    """Every rule of the button, by public id, in the new order."""

    ids: Annotated[list[PublicId], msgspec.Meta(max_length=100)]


class ConditionOut(msgspec.Struct, kw_only=True):
    field: str
    op: str
    value: str | int


class InvitationRuleOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    enabled: bool
    position: int
    conditions: list[ConditionOut]
    message: dict[str, str]
    created_at: datetime
    updated_at: datetime


class InvitationRuleList(msgspec.Struct, kw_only=True):
    items: list[InvitationRuleOut]


def button_out(
    button: ChatButton, department_public_id: str, agents: dict[int, tuple[str, str]]
) -> ChatButtonOut:
    """`agents`: (public id, name) per agent key, for the priorities."""
    appearance: dict[str, Any] = button.appearance or {}
    priorities = {
        agents[int(key)][0]: int(value)
        for key, value in (button.agent_priorities or {}).items()
        if int(key) in agents
    }
    return ChatButtonOut(
        id=button.public_id,
        name=button.name,
        department_id=department_public_id,
        enabled=button.enabled,
        allowed_origins=list(button.allowed_origins or []),
        routing_method=button.routing_method,
        ring_seconds=button.ring_seconds,
        max_chats_per_agent=button.max_chats_per_agent,
        inactivity_minutes=button.inactivity_minutes,
        breathing_seconds=button.breathing_seconds,
        missed_after_seconds=button.missed_after_seconds,
        prefer_previous_agent=button.prefer_previous_agent,
        end_status=button.end_status,
        agent_priorities=priorities,
        prechat_fields=[
            PrechatFieldOut(
                key=str(f.get("key", "")),
                kind=str(f.get("kind", "text")),
                required=bool(f.get("required", False)),
                label=dict(f.get("label") or {}),
                options=list(f.get("options") or []),
            )
            for f in button.prechat_fields or []
        ],
        offline_form=button.offline_form,
        file_uploads=button.file_uploads,
        appearance=AppearanceOut(
            colour=str(appearance.get("colour", "")),
            position=str(appearance.get("position", "right")),
            texts={lang: dict(texts) for lang, texts in (appearance.get("texts") or {}).items()},
        ),
        created_at=button.created_at,
        updated_at=button.updated_at,
    )


def rule_out(rule: InvitationRule) -> InvitationRuleOut:
    return InvitationRuleOut(
        id=rule.public_id,
        name=rule.name,
        enabled=rule.enabled,
        position=rule.position,
        conditions=[
            ConditionOut(field=str(c["field"]), op=str(c["op"]), value=c["value"])
            for c in rule.conditions or []
        ],
        message=dict(rule.message or {}),
        created_at=rule.created_at,
        updated_at=rule.updated_at,
    )
