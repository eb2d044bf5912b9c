"""What the visitor-side tests look at besides the frames: the refusal a handshake ends with, and what is
stored (the chat's lines, its files, the visitor row), read straight from the database."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from linka.domains.chat.models import Chat, Visitor
from linka.domains.tickets.thread_models import Attachment, Message
from linka.entrypoints.runtime import Runtime
from tests.entrypoints.widget.chat_helpers import SITE, VisitorSocket, chat_row, visitor_url
from tests.served_app import Served


async def refusal(
    served: Served, button: str, *, origin: str | None = SITE, first: str | None = None
) -> tuple[dict[str, Any], int | None]:
    """Open the visitor socket (sending `first` as the first frame, if given) and return the error frame
    the server sends and the close code it ends with."""
    async with connect(visitor_url(served, button), origin=origin) as connection:  # type: ignore[arg-type]
        if first is not None:
            await connection.send(first)
        frame = json.loads(await connection.recv())
        try:
            extra = await connection.recv()
        except ConnectionClosed:
            extra = None
        assert extra is None, f"nothing may follow the refusal: {extra!r}"
        return frame, connection.close_code


def hello(token: str | None = None, *, page: str = "http://127.0.0.1/shop") -> str:
    return json.dumps({"type": "hello", "token": token, "language": "en", "page": {"url": page}, "since": 0})


async def send_raw(visitor: VisitorSocket, data: str | bytes) -> None:
    await visitor.connection.send(data)


async def stored_lines(runtime: Runtime, chat_public_id: str, *, kind: str | None = None) -> list[Message]:
    """The chat's stored lines in order (all kinds, or one)."""
    chat = await chat_row(runtime, chat_public_id)
    query = select(Message).where(Message.group_id == chat.group_id).order_by(Message.position)
    if kind is not None:
        query = query.where(Message.kind == kind)
    async with runtime.db.read_session() as session:
        return list((await session.execute(query)).scalars())


async def visitor_row(runtime: Runtime, public_id: str) -> Visitor:
    async with runtime.db.read_session() as session:
        found = await session.execute(select(Visitor).where(Visitor.public_id == public_id))
        return found.scalar_one()


async def chats_of_visitor(runtime: Runtime, public_id: str) -> list[Chat]:
    async with runtime.db.read_session() as session:
        found = await session.execute(
            select(Chat).join(Visitor, Visitor.id == Chat.visitor_id).where(Visitor.public_id == public_id)
        )
        return list(found.scalars())


async def attachments_with(runtime: Runtime, sha256: str) -> list[Attachment]:
    async with runtime.db.read_session() as session:
        return list((await session.execute(select(Attachment).where(Attachment.sha256 == sha256))).scalars())
