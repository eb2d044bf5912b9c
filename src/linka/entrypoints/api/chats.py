"""Live chats for integrations: list and read the chats you may see, write a line as an agent in the
chat, end it, hand it over or send it to a department, invite a colleague, leave; and the visitors on
the sites, with an invitation to chat. The agent app does the same over its socket and form posts
(docs/chat-protocol.md); every operation is the chat domain's action."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, get, post
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from linka.core import clock
from linka.core.errors import Invalid
from linka.core.permissions import Actor
from linka.core.uow import UnitOfWork
from linka.domains.accounts import queries as accounts_queries
from linka.domains.accounts.schemas import Input
from linka.domains.chat import actions, agent_queries, visitor_actions
from linka.domains.chat.actions import KEY_MAX
from linka.domains.chat.constants import MAX_MESSAGE_CHARS
from linka.domains.chat.models import Chat
from linka.domains.chat.wire import Line, line_frame
from linka.entrypoints.api.agents import Cursor, Limit
from linka.entrypoints.api.auth import CurrentActor, runtime_of

ChatId = Annotated[str, Parameter(max_length=24, description="`ch_…`")]
VisitorId = Annotated[str, Parameter(max_length=24, description="`vi_…`")]
PublicRef = Annotated[str, msgspec.Meta(min_length=1, max_length=24)]
TAGS = ["chat"]


# ---- what the API shows (the agent_queries summaries, as JSON) -----------------------------------


class ChatRefOut(msgspec.Struct, kw_only=True):
    """An agent or a department: public id and name."""

    id: str | None
    name: str


class ChatVisitorOut(msgspec.Struct, kw_only=True):
    id: str | None  # `vi_…` (none when the visitor record is gone)
    contact_id: str | None  # `ct_…`
    name: str
    email: str | None
    language: str
    page_url: str = ""
    page_title: str = ""


class ChatParticipantOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    role: str  # owner | invited


class ChatOut(msgspec.Struct, kw_only=True):
    id: str
    state: str  # queued | active | ended | missed
    ticket: str
    department: ChatRefOut
    agent: ChatRefOut | None
    visitor: ChatVisitorOut
    participants: list[ChatParticipantOut]
    started_at: datetime
    accepted_at: datetime | None
    ended_at: datetime | None
    ended_by: str | None
    rating: str | None
    rating_comment: str
    last_seq: int
    visitor_seen: int
    agent_seen: int


class ChatFileOut(msgspec.Struct, kw_only=True):
    name: str
    size: int
    type: str
    url: str


class ChatLineOut(msgspec.Struct, kw_only=True):
    """A line as the agent socket sends it (docs/chat-protocol.md, MSG)."""

    seq: int
    at: str
    author: str  # visitor | agent | system
    author_id: str | None
    name: str
    kind: str  # text | file | system | form_field
    text: str
    key: str | None
    file: ChatFileOut | None
    event: str | None
    values: dict[str, str] | None


class ChatDetailOut(ChatOut, kw_only=True):
    lines: list[ChatLineOut]


class ChatPage(msgspec.Struct, kw_only=True):
    items: list[ChatOut]
    next_cursor: str | None


class OnlineVisitorOut(msgspec.Struct, kw_only=True):
    id: str
    name: str | None  # the contact's name, when the visitor has chatted or left a message before
    button: ChatRefOut
    department: str  # `dp_…`
    language: str
    page_url: str
    page_title: str
    referrer: str
    visits: int
    page_views: int
    visit_started_at: datetime
    last_seen_at: datetime
    invited_at: datetime | None
    chatting: bool


class OnlineVisitorList(msgspec.Struct, kw_only=True):
    items: list[OnlineVisitorOut]


def chat_out(summary: agent_queries.ChatSummary) -> ChatOut:
    return ChatOut(**_out_fields(summary))


def _out_fields(summary: agent_queries.ChatSummary) -> dict[str, Any]:
    chat, visitor = summary.chat, summary.visitor
    return {
        "id": chat.public_id,
        "state": chat.state,
        "ticket": summary.ticket_code,
        "department": ChatRefOut(id=summary.department_public_id, name=summary.department_name),
        "agent": ChatRefOut(id=summary.owner.public_id, name=summary.owner.name) if summary.owner else None,
        "visitor": ChatVisitorOut(
            id=visitor.public_id if visitor else None,
            contact_id=summary.contact_public_id,
            name=summary.contact_name,
            email=summary.contact_email,
            language=chat.language,
            page_url=visitor.page_url if visitor else "",
            page_title=visitor.page_title if visitor else "",
        ),
        "participants": [
            ChatParticipantOut(id=p.public_id, name=p.name, role=p.role) for p in summary.participants
        ],
        "started_at": chat.started_at,
        "accepted_at": chat.accepted_at,
        "ended_at": chat.ended_at,
        "ended_by": chat.ended_by,
        "rating": chat.rating,
        "rating_comment": chat.rating_comment,
        "last_seq": chat.last_seq,
        "visitor_seen": chat.visitor_seen_seq,
        "agent_seen": chat.agent_seen_seq,
    }


def line_out(line: Line) -> ChatLineOut:
    return msgspec.convert(line_frame(line, for_agent=True), ChatLineOut)


def online_visitor_out(row: agent_queries.OnlineVisitor) -> OnlineVisitorOut:
    visitor = row.visitor
    return OnlineVisitorOut(
        id=visitor.public_id,
        name=row.contact_name,
        button=ChatRefOut(id=row.button_public_id, name=row.button_name),
        department=row.department_public_id,
        language=visitor.language,
        page_url=visitor.page_url,
        page_title=visitor.page_title,
        referrer=visitor.referrer,
        visits=visitor.visits,
        page_views=visitor.page_views,
        visit_started_at=visitor.visit_started_at,
        last_seen_at=visitor.last_seen_at,
        invited_at=visitor.invited_at,
        chatting=row.chatting,
    )


class ChatLineIn(Input):
    """A line to the visitor. `key` makes a retry safe: the same key is stored once (default: new)."""

    text: Annotated[str, msgspec.Meta(max_length=MAX_MESSAGE_CHARS * 2)]
    key: Annotated[str, msgspec.Meta(min_length=1, max_length=KEY_MAX)] | None = None


class ChatLineAck(msgspec.Struct, kw_only=True):
    seq: int
    key: str


class ChatTransferIn(Input):
    """To a colleague available for chats in the chat's department (`agent_id`, `ag_…`), or into a
    department's queue (`department_id`, `dp_…`): one of the two."""

    agent_id: PublicRef | None = None
    department_id: PublicRef | None = None


class ChatInviteIn(Input):
    agent_id: PublicRef


class VisitorInviteIn(Input):
    text: Annotated[str, msgspec.Meta(max_length=MAX_MESSAGE_CHARS * 2)]


async def _chat_out(uow: UnitOfWork, chat: Chat) -> ChatOut:
    [summary] = await agent_queries.chat_summaries(uow.session, [chat])
    return chat_out(summary)


async def _visible(uow: UnitOfWork, actor: Actor, chat_id: str) -> Chat:
    """The chat, if the caller may see it (404 otherwise, before any other refusal)."""
    return await agent_queries.visible_chat(uow.session, actor, chat_id)


@get("/chats", tags=TAGS, summary="Chats you may see, newest first (keyset pages)")
async def list_chats(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    cursor: Cursor = None,
    limit: Limit = None,
    chat_state: Annotated[
        Literal["queued", "active", "ended", "missed"] | None,
        Parameter(query="state", description="only chats in this state"),
    ] = None,
    department: Annotated[str | None, Parameter(max_length=24, description="`dp_…`")] = None,
) -> ChatPage:
    async with runtime_of(request).db.read_session() as session:
        found = await agent_queries.list_chats(
            session, actor, state=chat_state, department=department, cursor=cursor, limit=limit
        )
    return ChatPage(items=[chat_out(summary) for summary in found.items], next_cursor=found.next_cursor)


@get("/chats/visitors", tags=TAGS, summary="Visitors on the sites of your departments' chat buttons now")
async def list_online_visitors(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    limit: Annotated[
        int | None, Parameter(ge=1, le=agent_queries.ONLINE_VISITORS_MAX, description="at most this many")
    ] = None,
) -> OnlineVisitorList:
    async with runtime_of(request).db.read_session() as session:
        rows = await agent_queries.online_visitors(
            session, actor, clock.now(), limit=limit or agent_queries.ONLINE_VISITORS_MAX
        )
    return OnlineVisitorList(items=[online_visitor_out(row) for row in rows])


@post(
    "/chats/visitors/{visitor_id:str}/invite",
    tags=TAGS,
    status_code=HTTP_204_NO_CONTENT,
    summary="Invite a visitor on the site to chat (the widget opens with your words)",
)
async def invite_visitor(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    visitor_id: VisitorId,
    data: JSONBody[VisitorInviteIn],
) -> None:
    async with runtime_of(request).uow(actor) as uow:
        await visitor_actions.invite_visitor(uow, visitor_public_id=visitor_id, text=data.text)


@get("/chats/{chat_id:str}", tags=TAGS, summary="One chat with its lines (after `since`)")
async def show_chat(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    chat_id: ChatId,
    since: Annotated[int, Parameter(ge=0, le=2**31, description="lines after this number")] = 0,
) -> ChatDetailOut:
    async with runtime_of(request).db.read_session() as session:
        summary, lines = await agent_queries.chat_with_lines(session, actor, chat_id, since=since)
    return ChatDetailOut(**_out_fields(summary), lines=[line_out(line) for line in lines])


@post(
    "/chats/{chat_id:str}/lines", tags=TAGS, summary="Write a line to the visitor (you must be in the chat)"
)
async def post_line(
    request: Request[Any, Any, Any], actor: CurrentActor, chat_id: ChatId, data: JSONBody[ChatLineIn]
) -> ChatLineAck:
    key = data.key or secrets.token_hex(8)
    async with runtime_of(request).uow(actor) as uow:
        await _visible(uow, actor, chat_id)
        _, seq = await actions.post_agent_line(uow, chat_public_id=chat_id, key=key, text=data.text)
    return ChatLineAck(seq=seq, key=key)


@post("/chats/{chat_id:str}/end", tags=TAGS, status_code=HTTP_200_OK, summary="End the chat")
async def end_chat(request: Request[Any, Any, Any], actor: CurrentActor, chat_id: ChatId) -> ChatOut:
    async with runtime_of(request).uow(actor) as uow:
        await _visible(uow, actor, chat_id)
        chat = await actions.end_chat(uow, chat_public_id=chat_id, by="agent")
        return await _chat_out(uow, chat)


@post(
    "/chats/{chat_id:str}/transfer",
    tags=TAGS,
    status_code=HTTP_200_OK,
    summary="Hand the chat to a colleague, or send it to a department's queue",
)
async def transfer_chat(
    request: Request[Any, Any, Any], actor: CurrentActor, chat_id: ChatId, data: JSONBody[ChatTransferIn]
) -> ChatOut:
    if (data.agent_id is None) == (data.department_id is None):
        raise Invalid("agent_id", "name an agent or a department")
    async with runtime_of(request).uow(actor) as uow:
        await _visible(uow, actor, chat_id)
        if data.agent_id is not None:
            agent_id = await accounts_queries.agent_id_for_field(uow.session, data.agent_id, field="agent_id")
            chat = await actions.transfer_chat(uow, chat_public_id=chat_id, agent_id=agent_id)
        else:
            department_id = await accounts_queries.department_id_for_field(
                uow.session, data.department_id or "", field="department_id"
            )
            chat = await actions.transfer_chat(uow, chat_public_id=chat_id, department_id=department_id)
        return await _chat_out(uow, chat)


@post(
    "/chats/{chat_id:str}/invite",
    tags=TAGS,
    status_code=HTTP_200_OK,
    summary="Invite a colleague into the chat",
)
async def invite_colleague(
    request: Request[Any, Any, Any], actor: CurrentActor, chat_id: ChatId, data: JSONBody[ChatInviteIn]
) -> ChatOut:
    async with runtime_of(request).uow(actor) as uow:
        await _visible(uow, actor, chat_id)
        agent_id = await accounts_queries.agent_id_for_field(uow.session, data.agent_id, field="agent_id")
        chat = await actions.invite_to_chat(uow, chat_public_id=chat_id, agent_id=agent_id)
        return await _chat_out(uow, chat)


@post(
    "/chats/{chat_id:str}/leave",
    tags=TAGS,
    status_code=HTTP_200_OK,
    summary="Leave a chat you were invited into",
)
async def leave_chat(request: Request[Any, Any, Any], actor: CurrentActor, chat_id: ChatId) -> ChatOut:
    async with runtime_of(request).uow(actor) as uow:
        await _visible(uow, actor, chat_id)
        chat = await actions.leave_chat(uow, chat_public_id=chat_id)
        return await _chat_out(uow, chat)


routes = [
    list_chats,
    list_online_visitors,
    invite_visitor,
    show_chat,
    post_line,
    end_chat,
    transfer_chat,
    invite_colleague,
    leave_chat,
]
