"""Chat buttons and their proactive-invitation rules (admins with manage_channels): what a site embeds,
where its chats go, how they are routed, and when visitors are invited."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, delete, get, patch, post, put
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from linka.domains.chat import button_actions, button_queries
from linka.domains.chat.button_schemas import (
    ChatButtonCreateIn,
    ChatButtonOut,
    ChatButtonPage,
    ChatButtonUpdateIn,
    InvitationRuleCreateIn,
    InvitationRuleList,
    InvitationRuleOrderIn,
    InvitationRuleOut,
    InvitationRuleUpdateIn,
    rule_out,
)
from linka.entrypoints.api.agents import Cursor, Limit
from linka.entrypoints.api.auth import CurrentActor, runtime_of

ButtonId = Annotated[str, Parameter(max_length=24, description="`cb_…`")]
RuleId = Annotated[str, Parameter(max_length=24, description="`ir_…`")]
TAGS = ["chat"]


@get("/chat-buttons", tags=TAGS, summary="Chat buttons")
async def list_chat_buttons(
    request: Request[Any, Any, Any], actor: CurrentActor, cursor: Cursor = None, limit: Limit = None
) -> ChatButtonPage:
    async with runtime_of(request).db.read_session() as session:
        return await button_queries.list_buttons(session, actor, cursor=cursor, limit=limit)


@get("/chat-buttons/{button_id:str}", tags=TAGS, summary="One chat button")
async def show_chat_button(
    request: Request[Any, Any, Any], actor: CurrentActor, button_id: ButtonId
) -> ChatButtonOut:
    async with runtime_of(request).db.read_session() as session:
        return await button_queries.show_button(session, actor, button_id)


@post("/chat-buttons", tags=TAGS, summary="Add a chat button")
async def create_chat_button(
    request: Request[Any, Any, Any], actor: CurrentActor, data: JSONBody[ChatButtonCreateIn]
) -> ChatButtonOut:
    async with runtime_of(request).uow(actor) as uow:
        settings = await button_queries.button_settings_of(uow.session, data)
        button = await button_actions.create_chat_button(uow, **settings)
        return (await button_queries.button_outs(uow.session, [button]))[0]


@patch("/chat-buttons/{button_id:str}", tags=TAGS, summary="Change a chat button (only the fields given)")
async def update_chat_button(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    button_id: ButtonId,
    data: JSONBody[ChatButtonUpdateIn],
) -> ChatButtonOut:
    async with runtime_of(request).uow(actor) as uow:
        key = await button_queries.button_id_of(uow.session, actor, button_id)
        settings = await button_queries.button_settings_of(uow.session, data)
        button = await button_actions.update_chat_button(uow, button_id=key, **settings)
        return (await button_queries.button_outs(uow.session, [button]))[0]


@delete(
    "/chat-buttons/{button_id:str}",
    tags=TAGS,
    status_code=HTTP_204_NO_CONTENT,
    summary="Remove a chat button that never had a chat (otherwise switch it off)",
)
async def delete_chat_button(
    request: Request[Any, Any, Any], actor: CurrentActor, button_id: ButtonId
) -> None:
    async with runtime_of(request).uow(actor) as uow:
        key = await button_queries.button_id_of(uow.session, actor, button_id)
        await button_actions.delete_chat_button(uow, button_id=key)


@get(
    "/chat-buttons/{button_id:str}/invitation-rules",
    tags=TAGS,
    summary="A button's invitation rules, in order",
)
async def list_invitation_rules(
    request: Request[Any, Any, Any], actor: CurrentActor, button_id: ButtonId
) -> InvitationRuleList:
    async with runtime_of(request).db.read_session() as session:
        key = await button_queries.button_id_of(session, actor, button_id)
        return InvitationRuleList(items=await button_queries.list_rules(session, actor, key))


@get("/chat-buttons/{button_id:str}/invitation-rules/{rule_id:str}", tags=TAGS, summary="One invitation rule")
async def show_invitation_rule(
    request: Request[Any, Any, Any], actor: CurrentActor, button_id: ButtonId, rule_id: RuleId
) -> InvitationRuleOut:
    async with runtime_of(request).db.read_session() as session:
        key = await button_queries.button_id_of(session, actor, button_id)
        return rule_out(await button_queries.rule_by_public_id(session, actor, key, rule_id))


@post("/chat-buttons/{button_id:str}/invitation-rules", tags=TAGS, summary="Add an invitation rule (last)")
async def create_invitation_rule(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    button_id: ButtonId,
    data: JSONBody[InvitationRuleCreateIn],
) -> InvitationRuleOut:
    async with runtime_of(request).uow(actor) as uow:
        key = await button_queries.button_id_of(uow.session, actor, button_id)
        rule = await button_actions.create_invitation_rule(
            uow, button_id=key, **button_queries.rule_settings_of(data)
        )
        return rule_out(rule)


@patch(
    "/chat-buttons/{button_id:str}/invitation-rules/{rule_id:str}",
    tags=TAGS,
    summary="Change an invitation rule (only the fields given)",
)
async def update_invitation_rule(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    button_id: ButtonId,
    rule_id: RuleId,
    data: JSONBody[InvitationRuleUpdateIn],
) -> InvitationRuleOut:
    async with runtime_of(request).uow(actor) as uow:
        key = await button_queries.button_id_of(uow.session, actor, button_id)
        rule = await button_queries.rule_by_public_id(uow.session, actor, key, rule_id)
        rule = await button_actions.update_invitation_rule(
            uow, rule_id=rule.id, **button_queries.rule_settings_of(data)
        )
        return rule_out(rule)


@delete(
    "/chat-buttons/{button_id:str}/invitation-rules/{rule_id:str}",
    tags=TAGS,
    status_code=HTTP_204_NO_CONTENT,
    summary="Remove an invitation rule",
)
async def delete_invitation_rule(
    request: Request[Any, Any, Any], actor: CurrentActor, button_id: ButtonId, rule_id: RuleId
) -> None:
    async with runtime_of(request).uow(actor) as uow:
        key = await button_queries.button_id_of(uow.session, actor, button_id)
        rule = await button_queries.rule_by_public_id(uow.session, actor, key, rule_id)
        await button_actions.delete_invitation_rule(uow, rule_id=rule.id)


@put(
    "/chat-buttons/{button_id:str}/invitation-rules/order",
    tags=TAGS,
    summary="Put a button's invitation rules in order (every rule once; the first that matches invites)",
)
async def order_invitation_rules(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    button_id: ButtonId,
    data: JSONBody[InvitationRuleOrderIn],
) -> InvitationRuleList:
    async with runtime_of(request).uow(actor) as uow:
        key = await button_queries.button_id_of(uow.session, actor, button_id)
        ids = await button_queries.rule_ids_of(uow.session, actor, key, data.ids)
        rules = await button_actions.reorder_invitation_rules(uow, button_id=key, rule_ids=ids)
        return InvitationRuleList(items=[rule_out(rule) for rule in rules])


routes = [
    list_chat_buttons,
    show_chat_button,
    create_chat_button,
    update_chat_button,
    delete_chat_button,
    list_invitation_rules,
    show_invitation_rule,
    create_invitation_rule,
    update_invitation_rule,
    delete_invitation_rule,
    order_invitation_rules,
]
