"""Writing a chat's lines and telling the sockets: every line is numbered under the chat's row lock,
stored, and signalled to the agents in the chat and to the visitor after the commit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from linka.core.uow import UnitOfWork
from linka.domains.chat import queries
from linka.domains.chat.events import ChatSignal
from linka.domains.chat.models import Chat
from linka.domains.chat.wire import Line, chat_agent_frame, chat_frame, line_frame
from linka.domains.tickets import chat_thread
from linka.domains.tickets.thread_schemas import MessageKind, NewAttachment

# Lines a visitor sees: not the pre-chat form's answers (they typed them) nor anything internal.
VISITOR_KINDS = frozenset({MessageKind.TEXT.value, MessageKind.FILE.value, MessageKind.SYSTEM.value})


async def locked_chat(uow: UnitOfWork, chat_id: int) -> Chat:
    """The chat row, locked for this transaction (PostgreSQL; SQLite has one writer at a time) and
    re-read, so numbering and state changes never race."""
    found = await uow.session.execute(
        select(Chat).where(Chat.id == chat_id).with_for_update().execution_options(populate_existing=True)
    )
    return found.scalar_one()


async def append_line(
    uow: UnitOfWork,
    chat: Chat,
    *,
    kind: MessageKind,
    text: str,
    author_agent_id: int | None = None,
    author_name: str = "",
    from_visitor: bool = False,
    key: str | None = None,
    meta: dict[str, str] | None = None,
    file: NewAttachment | None = None,
    participants: Sequence[int] | None = None,
) -> Line:
    """Store one line in a chat the caller has locked, and signal it. `participants` (agents present)
    is looked up when not given."""
    ticket = await chat_thread.chat_ticket(uow, chat.ticket_id)
    chat.last_seq += 1
    message, attachment = await chat_thread.add_chat_line(
        uow,
        ticket=ticket,
        group_id=chat.group_id,
        position=chat.last_seq,
        kind=kind,
        body=text,
        author_agent_id=author_agent_id,
        from_visitor=from_visitor,
        key=key,
        meta=meta,
        file=file,
    )
    if from_visitor:
        chat.last_visitor_activity_at = uow.now
    author_id = None
    if author_agent_id is not None:
        author_id = (await queries.agent_names(uow.session, [author_agent_id])).get(
            author_agent_id, ("", "")
        )[0]
    line = Line(
        seq=message.position,
        at=uow.now,
        kind=kind.value,
        text=text,
        author="agent" if author_agent_id is not None else "visitor" if from_visitor else "system",
        author_id=author_id,
        name=author_name,
        key=key,
        meta=meta,
        file_id=attachment.public_id if attachment is not None else None,
        file_name=attachment.filename if attachment is not None else "",
        file_size=attachment.size if attachment is not None else 0,
        file_type=attachment.mime_type if attachment is not None else "",
    )
    agents = participants if participants is not None else await queries.participant_ids(uow.session, chat.id)
    signal(
        uow,
        chat,
        agents=agents,
        agent_frame={
            "type": "chat_message",
            "chat": chat.public_id,
            "message": line_frame(line, for_agent=True),
        },
        visitor_frame=(
            {"type": "message", "message": line_frame(line, for_agent=False)}
            if kind.value in VISITOR_KINDS
            else None
        ),
    )
    return line


async def append_system_line(
    uow: UnitOfWork,
    chat: Chat,
    *,
    text: str,
    event: str,
    participants: Sequence[int] | None = None,
    **values: str,
) -> Line:
    """ "Sára joined the chat": English in the thread, event and values for each reader's language."""
    return await append_line(
        uow,
        chat,
        kind=MessageKind.SYSTEM,
        text=text,
        meta={"event": event, **values},
        participants=participants,
    )


def signal(
    uow: UnitOfWork,
    chat: Chat,
    *,
    agents: Sequence[int] = (),
    agent_frame: dict[str, Any] | None = None,
    visitor_frame: dict[str, Any] | None = None,
) -> None:
    """Frames for the sockets, handed out after the commit (none if the transaction fails)."""
    uow.record(
        ChatSignal(
            chat=chat.public_id,
            agents=tuple(sorted(set(agents))) if agent_frame is not None else (),
            agent_frame=agent_frame,
            visitor_id=chat.visitor_id if visitor_frame is not None else None,
            visitor_frame=visitor_frame,
        )
    )


async def signal_state(uow: UnitOfWork, chat: Chat, *, extra_agents: Sequence[int] = ()) -> None:
    """The chat's state to its visitor and to the agents in it (and `extra_agents`, e.g. one who left)."""
    present = await queries.participant_ids(uow.session, chat.id)
    everyone = await queries.participant_ids(uow.session, chat.id, present_only=False)
    names = await queries.agent_names(uow.session, [*everyone, *([chat.agent_id] if chat.agent_id else [])])
    agent_name = names[chat.agent_id][1] if chat.agent_id in names else None
    position = await queries.queue_position(uow.session, chat)
    signal(
        uow,
        chat,
        agents=[*present, *extra_agents],
        agent_frame={
            "type": "chat_state",
            "chat": chat_agent_frame(
                chat,
                agent_name=agent_name,
                position=position,
                ticket_code=await queries.ticket_code(uow.session, chat.ticket_id),
                department=await queries.department_name(uow.session, chat.department_id),
                visitor=await queries.contact_summary(uow.session, chat.contact_id),
                participants=[
                    {
                        "id": names[agent][0],
                        "name": names[agent][1],
                        "role": "owner" if agent == chat.agent_id else "invited",
                    }
                    for agent in present
                    if agent in names
                ],
            ),
        },
        visitor_frame={"type": "chat", "chat": chat_frame(chat, agent_name=agent_name, position=position)},
    )
