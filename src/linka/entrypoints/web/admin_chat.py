"""Admin: chat buttons. The list, adding and changing a button (department, sites allowed to embed it,
routing, agent priorities, the pre-chat form, the widget's look and texts per language), the snippet
to paste into a site and a link to the preview, deleting a button that never had a chat, and the
button's proactive-invitation rules (add, change, delete, order).

Forms work without JavaScript: the pre-chat form is a fixed set of rows (empty ones are ignored), a
rule has a fixed set of condition rows. The same actions and queries as `api/chat_buttons.py`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import PathParameter
from litestar.response import Template

from linka.core.errors import Invalid
from linka.core.i18n import LANGUAGES, N_
from linka.core.pagination import MAX_LIMIT
from linka.core.permissions import Actor
from linka.domains.accounts import queries as accounts_queries
from linka.domains.chat import button_actions, button_queries
from linka.domains.chat import button_settings as limits
from linka.domains.chat.button_schemas import ChatButtonOut, InvitationRuleOut, rule_out
from linka.domains.chat.constants import (
    BREATHING_SECONDS,
    END_STATUSES,
    INACTIVITY_MINUTES,
    MAX_CHATS_PER_AGENT,
    MISSED_AFTER_SECONDS,
    RING_SECONDS,
    InvitationField,
    InvitationOp,
    PrechatKind,
    RoutingMethod,
)
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.web.admin_common import (
    PAGE_SIZE,
    Cursor,
    FormData,
    admin_page,
    done_url,
    page_url,
    ticked,
)
from linka.entrypoints.web.auth import WebActor
from linka.entrypoints.web.errors import redirect
from linka.entrypoints.web.navigation import require_admin_section

SECTION = "chat_buttons"
ButtonPath = Annotated[str, PathParameter(max_length=24)]
RulePath = Annotated[str, PathParameter(max_length=24)]

ROUTING_METHODS: dict[str, tuple[str, str]] = {
    RoutingMethod.AVERAGE: (N_("Average utilisation"), N_("The agent with the fewest running chats.")),
    RoutingMethod.MAX: (N_("Maximum utilisation"), N_("Fill one agent's chat slots before the next agent.")),
    RoutingMethod.RANDOM: (N_("Random"), N_("Any available agent.")),
    RoutingMethod.RING_ALL: (
        N_("Ring to all"),
        N_("Every available agent at once; the first to accept takes it."),
    ),
    RoutingMethod.PRIORITY: (N_("By priority"), N_("Agents with a higher priority (below) ring first.")),
}
END_STATUS_LABELS = {"answered": N_("Answered"), "resolved": N_("Resolved"), "open": N_("Open")}
PRECHAT_KINDS = {
    PrechatKind.TEXT: N_("Short text"),
    PrechatKind.EMAIL: N_("Email"),
    PrechatKind.TEXTAREA: N_("Long text"),
    PrechatKind.SELECT: N_("Choice"),
}
TEXT_LABELS = {
    "title": N_("Title"),
    "greeting": N_("Greeting"),
    "offline_title": N_("Title when nobody is online"),
    "offline_greeting": N_("Greeting when nobody is online"),
}
CONDITION_FIELDS = {
    InvitationField.PAGE_URL: N_("Page address"),
    InvitationField.REFERRER: N_("Came from (referrer)"),
    InvitationField.TIME_ON_SITE: N_("Seconds on the site"),
    InvitationField.VISITS: N_("Number of visits"),
    InvitationField.PAGE_VIEWS: N_("Pages viewed"),
}
CONDITION_OPS = {
    InvitationOp.CONTAINS: N_("contains"),
    InvitationOp.EQUALS: N_("is"),
    InvitationOp.STARTS_WITH: N_("starts with"),
    InvitationOp.AT_LEAST: N_("at least"),
}
NUMBERS = {
    "ring_seconds": RING_SECONDS,
    "max_chats_per_agent": MAX_CHATS_PER_AGENT,
    "inactivity_minutes": INACTIVITY_MINUTES,
    "breathing_seconds": BREATHING_SECONDS,
    "missed_after_seconds": MISSED_AFTER_SECONDS,
}
FLAGS = ("enabled", "offline_form", "file_uploads", "prefer_previous_agent")
CONDITION_ROWS = 5


def snippet(base_url: str, button_public_id: str) -> str:
    """What a site pastes into its pages to show the button."""
    return (
        f'<script src="{base_url.rstrip("/")}/static/widget/linka-chat.js" '
        f'data-linka-button="{button_public_id}" async></script>'
    )


# ---- the list ----------------------------------------------------------------------------------------


@get("/admin/chat-buttons")
async def chat_buttons_page(
    request: Request[Any, Any, Any], actor: WebActor, cursor: Cursor = None
) -> Template:
    require_admin_section(actor, SECTION)
    async with runtime_of(request).db.read_session() as session:
        buttons = await button_queries.list_buttons(session, actor, cursor=cursor, limit=PAGE_SIZE)
        departments = await accounts_queries.list_departments(session, actor, limit=MAX_LIMIT)
        rule_counts = await button_queries.rule_counts(session, [b.id for b in buttons.items])
    next_url = page_url("/admin/chat-buttons", cursor=buttons.next_cursor) if buttons.next_cursor else ""
    return admin_page(
        request,
        "admin/chat_buttons.html",
        {
            "buttons": buttons.items,
            "department_names": {d.id: d.name for d in departments.items},
            "rule_counts": rule_counts,
            "routing_methods": ROUTING_METHODS,
            "next_url": next_url,
        },
        actor=actor,
        section=SECTION,
    )


# ---- a button's form ---------------------------------------------------------------------------------


def _prechat_rows(fields: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The pre-chat editor's rows: the fields there are, then empty rows up to the limit."""
    rows = [
        {
            "key": f.get("key", ""),
            "kind": f.get("kind", "text"),
            "required": bool(f.get("required")),
            **{f"label_{lang}": (f.get("label") or {}).get(lang, "") for lang in LANGUAGES},
            "options": "\n".join(f.get("options") or []),
        }
        for f in fields
    ]
    empty = {
        "key": "",
        "kind": "text",
        "required": False,
        "options": "",
        **{f"label_{x}": "" for x in LANGUAGES},
    }
    return rows + [dict(empty) for _ in range(limits.MAX_PRECHAT_FIELDS - len(rows))]


def _values_of(button: ChatButtonOut) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": button.name,
        "department_id": button.department_id,
        "allowed_origins": "\n".join(button.allowed_origins),
        "routing_method": button.routing_method,
        "end_status": button.end_status,
        "appearance.colour": button.appearance.colour,
        "appearance.position": button.appearance.position,
        "priorities": {agent: str(priority) for agent, priority in button.agent_priorities.items()},
        "prechat": _prechat_rows([msgspec.structs.asdict(f) for f in button.prechat_fields]),
    }
    values.update({name: getattr(button, name) for name in (*NUMBERS, *FLAGS)})
    for language in LANGUAGES:
        for key in limits.APPEARANCE_TEXT_KEYS:
            values[f"text_{language}_{key}"] = button.appearance.texts.get(language, {}).get(key, "")
    return values


def _new_values() -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "",
        "department_id": "",
        "allowed_origins": "",
        "routing_method": RoutingMethod.AVERAGE.value,
        "end_status": "answered",
        "appearance.colour": limits.DEFAULT_COLOUR,
        "appearance.position": "right",
        "priorities": {},
        "prechat": _prechat_rows(limits.DEFAULT_PRECHAT_FIELDS),
        "ring_seconds": 30,
        "max_chats_per_agent": 3,
        "inactivity_minutes": 15,
        "breathing_seconds": 0,
        "missed_after_seconds": 180,
        "enabled": True,
        "offline_form": True,
        "file_uploads": True,
        "prefer_previous_agent": True,
    }
    for language in LANGUAGES:
        for key in limits.APPEARANCE_TEXT_KEYS:
            values[f"text_{language}_{key}"] = limits.DEFAULT_TEXTS[language][key]
    return values


def _submitted(data: Mapping[str, str]) -> dict[str, Any]:
    """What the form sent, as the form shows it again after a refusal."""
    values: dict[str, Any] = {
        name: data.get(name, "").strip()
        for name in (
            "name",
            "department_id",
            "allowed_origins",
            "routing_method",
            "end_status",
            "appearance.colour",
            "appearance.position",
            *NUMBERS,
        )
    }
    values.update({flag: ticked(data, flag) for flag in FLAGS})
    values["priorities"] = {
        name.removeprefix("priority_"): value.strip()
        for name, value in data.items()
        if name.startswith("priority_")
    }
    values["prechat"] = [
        {
            "key": data.get(f"pf{row}_key", "").strip(),
            "kind": data.get(f"pf{row}_kind", "text"),
            "required": ticked(data, f"pf{row}_required"),
            "options": data.get(f"pf{row}_options", ""),
            **{f"label_{lang}": data.get(f"pf{row}_label_{lang}", "").strip() for lang in LANGUAGES},
        }
        for row in range(limits.MAX_PRECHAT_FIELDS)
    ]
    for language in LANGUAGES:
        for key in limits.APPEARANCE_TEXT_KEYS:
            values[f"text_{language}_{key}"] = data.get(f"text_{language}_{key}", "").strip()
    return values


def _number(values: Mapping[str, Any], name: str, bounds: tuple[int, int]) -> int:
    try:
        return int(str(values[name]).strip())
    except ValueError:
        raise Invalid(
            name,
            "must be a whole number from %(low)s to %(high)s",
            values={"low": bounds[0], "high": bounds[1]},
        ) from None


async def _settings(request: Request[Any, Any, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The action's keywords from the form: public ids become keys, empty pre-chat rows and empty
    priorities are left out."""
    async with runtime_of(request).db.read_session() as session:
        department = await accounts_queries.department_id_for_field(
            session, values["department_id"], field="department_id"
        )
        priorities: dict[int, int] = {}
        for agent, priority in values["priorities"].items():
            if priority:
                key = await accounts_queries.agent_id_for_field(session, agent, field="agent_priorities")
                priorities[key] = _number(
                    {"agent_priorities": priority}, "agent_priorities", limits.PRIORITY_RANGE
                )
    prechat = [
        {
            "key": row["key"],
            "kind": row["kind"],
            "required": row["required"],
            "label": {lang: row[f"label_{lang}"] for lang in LANGUAGES},
            "options": [line.strip() for line in row["options"].splitlines() if line.strip()],
        }
        for row in values["prechat"]
        if row["key"] or any(row[f"label_{lang}"] for lang in LANGUAGES) or row["options"].strip()
    ]
    return {
        "name": values["name"],
        "department_id": department,
        "allowed_origins": [line.strip() for line in values["allowed_origins"].splitlines() if line.strip()],
        "routing_method": values["routing_method"],
        "end_status": values["end_status"],
        **{name: _number(values, name, bounds) for name, bounds in NUMBERS.items()},
        **{flag: values[flag] for flag in FLAGS},
        "agent_priorities": priorities,
        "prechat_fields": prechat,
        "appearance": {
            "colour": values["appearance.colour"],
            "position": values["appearance.position"],
            "texts": {
                lang: {key: values[f"text_{lang}_{key}"] for key in limits.APPEARANCE_TEXT_KEYS}
                for lang in LANGUAGES
            },
        },
    }


async def _button_form(
    request: Request[Any, Any, Any],
    actor: Actor,
    values: dict[str, Any],
    *,
    button: ChatButtonOut | None = None,
    error: Invalid | None = None,
) -> Template:
    runtime = runtime_of(request)
    members: list[tuple[str, str]] = []
    rules: list[InvitationRuleOut] = []
    async with runtime.db.read_session() as session:
        departments = await accounts_queries.list_departments(session, actor, limit=MAX_LIMIT)
        if button is not None:
            model = await button_queries.button_by_public_id(session, actor, button.id)
            members = [
                (public, name)
                for _, public, name in await accounts_queries.department_member_agents(
                    session, model.department_id
                )
            ]
            rules = await button_queries.list_rules(session, actor, model.id)
    return admin_page(
        request,
        "admin/chat_button_form.html",
        {
            "values": values,
            "button": button,
            "departments": [(d.id, d.name) for d in departments.items],
            "members": members,
            "rules": rules,
            "languages": LANGUAGES,
            "routing_methods": ROUTING_METHODS,
            "end_statuses": [(status, END_STATUS_LABELS[status]) for status in END_STATUSES],
            "prechat_kinds": PRECHAT_KINDS,
            "text_labels": TEXT_LABELS,
            "numbers": NUMBERS,
            "limits": limits,
            "condition_fields": CONDITION_FIELDS,
            "condition_ops": CONDITION_OPS,
            "snippet": snippet(runtime.settings.base_url, button.id) if button is not None else "",
            "preview_url": f"/widget/preview/{button.id}" if button is not None else "",
        },
        actor=actor,
        section=SECTION,
        error=error,
    )


@get("/admin/chat-buttons/new")
async def new_chat_button_page(request: Request[Any, Any, Any], actor: WebActor) -> Template:
    require_admin_section(actor, SECTION)
    return await _button_form(request, actor, _new_values())


@post("/admin/chat-buttons")
async def create_chat_button(
    request: Request[Any, Any, Any], actor: WebActor, data: FormData
) -> Response[Any]:
    require_admin_section(actor, SECTION)
    values = _submitted(data)
    try:
        settings = await _settings(request, values)
        async with runtime_of(request).uow(actor) as uow:
            button = await button_actions.create_chat_button(uow, **settings)
    except Invalid as error:
        return await _button_form(request, actor, values, error=error)
    return redirect(request, done_url(f"/admin/chat-buttons/{button.public_id}", "created"))


async def _button_out(request: Request[Any, Any, Any], actor: Actor, button_id: str) -> ChatButtonOut:
    async with runtime_of(request).db.read_session() as session:
        return await button_queries.show_button(session, actor, button_id)


@get("/admin/chat-buttons/{button_id:str}")
async def chat_button_page(
    request: Request[Any, Any, Any], actor: WebActor, button_id: ButtonPath
) -> Template:
    require_admin_section(actor, SECTION)
    button = await _button_out(request, actor, button_id)
    return await _button_form(request, actor, _values_of(button), button=button)


@post("/admin/chat-buttons/{button_id:str}")
async def update_chat_button(
    request: Request[Any, Any, Any], actor: WebActor, button_id: ButtonPath, data: FormData
) -> Response[Any]:
    require_admin_section(actor, SECTION)
    button = await _button_out(request, actor, button_id)
    values = _submitted(data)
    try:
        settings = await _settings(request, values)
        if values["department_id"] != button.department_id:
            # The priorities on the page rank members of the old department; the action keeps those
            # who are members of the new one too.
            settings.pop("agent_priorities")
        async with runtime_of(request).uow(actor) as uow:
            key = await button_queries.button_id_of(uow.session, actor, button_id)
            await button_actions.update_chat_button(uow, button_id=key, **settings)
    except Invalid as error:
        return await _button_form(request, actor, values, button=button, error=error)
    return redirect(request, done_url(f"/admin/chat-buttons/{button_id}", "saved"))


@post("/admin/chat-buttons/{button_id:str}/delete")
async def delete_chat_button(
    request: Request[Any, Any, Any], actor: WebActor, button_id: ButtonPath
) -> Response[Any]:
    require_admin_section(actor, SECTION)
    try:
        async with runtime_of(request).uow(actor) as uow:
            key = await button_queries.button_id_of(uow.session, actor, button_id)
            await button_actions.delete_chat_button(uow, button_id=key)
    except Invalid as error:
        button = await _button_out(request, actor, button_id)
        return await _button_form(request, actor, _values_of(button), button=button, error=error)
    return redirect(request, done_url("/admin/chat-buttons", "deleted"))


# ---- invitation rules --------------------------------------------------------------------------------


def _rule_values(rule: InvitationRuleOut | None) -> dict[str, Any]:
    conditions = (
        [{"field": c.field, "op": c.op, "value": str(c.value)} for c in rule.conditions] if rule else []
    )
    rows = max(CONDITION_ROWS, min(len(conditions) + 2, limits.MAX_CONDITIONS))
    conditions += [{"field": "", "op": "", "value": ""} for _ in range(rows - len(conditions))]
    values: dict[str, Any] = {
        "name": rule.name if rule else "",
        "enabled": rule.enabled if rule else True,
        "conditions": conditions,
    }
    for language in LANGUAGES:
        values[f"message_{language}"] = (rule.message if rule else {}).get(language, "")
    return values


def _rule_submitted(data: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {"name": data.get("name", "").strip(), "enabled": ticked(data, "enabled")}
    values["conditions"] = [
        {
            "field": data.get(f"c{row}_field", ""),
            "op": data.get(f"c{row}_op", ""),
            "value": data.get(f"c{row}_value", "").strip(),
        }
        for row in range(limits.MAX_CONDITIONS)
        if f"c{row}_field" in data
    ]
    for language in LANGUAGES:
        values[f"message_{language}"] = data.get(f"message_{language}", "").strip()
    return values


def _rule_settings(values: Mapping[str, Any]) -> dict[str, Any]:
    """The action's keywords: a condition row without a field and a value is an empty row."""
    return {
        "name": values["name"],
        "enabled": values["enabled"],
        "conditions": [dict(c) for c in values["conditions"] if c["field"] or c["value"]],
        "message": {language: values[f"message_{language}"] for language in LANGUAGES},
    }


async def _rule_form(
    request: Request[Any, Any, Any],
    actor: Actor,
    button: ChatButtonOut,
    values: dict[str, Any],
    *,
    rule: InvitationRuleOut | None = None,
    error: Invalid | None = None,
) -> Template:
    return admin_page(
        request,
        "admin/chat_rule_form.html",
        {
            "button": button,
            "rule": rule,
            "values": values,
            "languages": LANGUAGES,
            "condition_fields": CONDITION_FIELDS,
            "condition_ops": CONDITION_OPS,
            "limits": limits,
        },
        actor=actor,
        section=SECTION,
        error=error,
    )


async def _rule_out(
    request: Request[Any, Any, Any], actor: Actor, button_id: str, rule_id: str
) -> InvitationRuleOut:
    async with runtime_of(request).db.read_session() as session:
        key = await button_queries.button_id_of(session, actor, button_id)
        return rule_out(await button_queries.rule_by_public_id(session, actor, key, rule_id))


@get("/admin/chat-buttons/{button_id:str}/rules/new")
async def new_rule_page(request: Request[Any, Any, Any], actor: WebActor, button_id: ButtonPath) -> Template:
    require_admin_section(actor, SECTION)
    button = await _button_out(request, actor, button_id)
    return await _rule_form(request, actor, button, _rule_values(None))


@post("/admin/chat-buttons/{button_id:str}/rules")
async def create_rule(
    request: Request[Any, Any, Any], actor: WebActor, button_id: ButtonPath, data: FormData
) -> Response[Any]:
    require_admin_section(actor, SECTION)
    values = _rule_submitted(data)
    try:
        async with runtime_of(request).uow(actor) as uow:
            key = await button_queries.button_id_of(uow.session, actor, button_id)
            await button_actions.create_invitation_rule(uow, button_id=key, **_rule_settings(values))
    except Invalid as error:
        button = await _button_out(request, actor, button_id)
        return await _rule_form(request, actor, button, values, error=error)
    return redirect(request, done_url(f"/admin/chat-buttons/{button_id}", "created") + "#rules")


@get("/admin/chat-buttons/{button_id:str}/rules/{rule_id:str}")
async def rule_page(
    request: Request[Any, Any, Any], actor: WebActor, button_id: ButtonPath, rule_id: RulePath
) -> Template:
    require_admin_section(actor, SECTION)
    button = await _button_out(request, actor, button_id)
    rule = await _rule_out(request, actor, button_id, rule_id)
    return await _rule_form(request, actor, button, _rule_values(rule), rule=rule)


@post("/admin/chat-buttons/{button_id:str}/rules/{rule_id:str}")
async def update_rule(
    request: Request[Any, Any, Any], actor: WebActor, button_id: ButtonPath, rule_id: RulePath, data: FormData
) -> Response[Any]:
    require_admin_section(actor, SECTION)
    values = _rule_submitted(data)
    try:
        async with runtime_of(request).uow(actor) as uow:
            key = await button_queries.button_id_of(uow.session, actor, button_id)
            rule = await button_queries.rule_by_public_id(uow.session, actor, key, rule_id)
            await button_actions.update_invitation_rule(uow, rule_id=rule.id, **_rule_settings(values))
    except Invalid as error:
        button = await _button_out(request, actor, button_id)
        rule_shown = await _rule_out(request, actor, button_id, rule_id)
        return await _rule_form(request, actor, button, values, rule=rule_shown, error=error)
    return redirect(request, done_url(f"/admin/chat-buttons/{button_id}", "saved") + "#rules")


@post("/admin/chat-buttons/{button_id:str}/rules/{rule_id:str}/delete")
async def delete_rule(
    request: Request[Any, Any, Any], actor: WebActor, button_id: ButtonPath, rule_id: RulePath
) -> Response[Any]:
    require_admin_section(actor, SECTION)
    async with runtime_of(request).uow(actor) as uow:
        key = await button_queries.button_id_of(uow.session, actor, button_id)
        rule = await button_queries.rule_by_public_id(uow.session, actor, key, rule_id)
        await button_actions.delete_invitation_rule(uow, rule_id=rule.id)
    return redirect(request, done_url(f"/admin/chat-buttons/{button_id}", "deleted") + "#rules")


@post("/admin/chat-buttons/{button_id:str}/rules/{rule_id:str}/move")
async def move_rule(
    request: Request[Any, Any, Any], actor: WebActor, button_id: ButtonPath, rule_id: RulePath, data: FormData
) -> Response[Any]:
    """One place earlier (`direction=up`) or later (`down`): the first rule that matches invites."""
    require_admin_section(actor, SECTION)
    offset = -1 if data.get("direction") == "up" else 1
    async with runtime_of(request).uow(actor) as uow:
        key = await button_queries.button_id_of(uow.session, actor, button_id)
        rule = await button_queries.rule_by_public_id(uow.session, actor, key, rule_id)
        await button_actions.move_invitation_rule(uow, rule_id=rule.id, offset=offset)
    return redirect(request, done_url(f"/admin/chat-buttons/{button_id}", "moved") + "#rules")


routes = [
    chat_buttons_page,
    new_chat_button_page,
    create_chat_button,
    chat_button_page,
    update_chat_button,
    delete_chat_button,
    new_rule_page,
    create_rule,
    rule_page,
    update_rule,
    delete_rule,
    move_rule,
]
