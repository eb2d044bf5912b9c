"""How the chat pages show a chat: its lines and the internal notes written meanwhile as one timeline,
what the agent may do in it (write, hand over, invite, leave, end), and chat system lines in the
reader's language. The same texts go to chat.js (`client_texts`), which renders the lines that arrive
live, so a line looks the same whether the page was rendered or the socket brought it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.i18n import N_, Translator
from linka.core.permissions import Actor, DepartmentRole, department_role_at_least
from linka.domains.chat import agent_queries
from linka.domains.chat.agent_queries import ChatNote, ChatSummary, Colleague
from linka.domains.chat.constants import ChatState
from linka.domains.chat.models import Chat
from linka.domains.chat.wire import Line

# System lines of a chat, by the event the chat domain stored with them (chat/lines.py).
CHAT_EVENTS: dict[str, str] = {
    "joined": N_("%(agent)s joined the chat"),
    "left": N_("%(agent)s left the chat"),
    "transferred": N_("The chat was sent to %(department)s"),
    "ended_agent": N_("An agent ended the chat"),
    "ended_visitor": N_("The visitor ended the chat"),
    "ended_inactivity": N_("The chat ended: the visitor was silent too long"),
    "missed": N_("Nobody took the chat"),
}
STATE_LABELS: dict[str, str] = {
    ChatState.QUEUED.value: N_("Waiting"),
    ChatState.ACTIVE.value: N_("Running"),
    ChatState.ENDED.value: N_("Ended"),
    ChatState.MISSED.value: N_("Missed"),
}
# What chat.js shows on its own (rings, sending, states), translated once per page.
CLIENT_TEXTS: dict[str, str] = {
    "sending": N_("Sending…"),
    "not_sent": N_("Not sent: %(reason)s"),
    "retry": N_("Send again"),
    "seen": N_("Seen"),
    "internal_note": N_("Internal note"),
    "ended": N_("The chat has ended."),
    "not_in_chat": N_("You are no longer in this chat."),
    "new_line": N_("New message from %(name)s"),
    "offline": N_("Not connected: the line is sent when the connection is back."),
}


def event_key(meta: dict[str, str] | None) -> str | None:
    if not meta or "event" not in meta:
        return None
    event = meta["event"]
    return f"ended_{meta.get('by', 'agent')}" if event == "ended" else event


def system_text(line: Line, t: Translator) -> str:
    """A chat system line in the reader's language (the stored English text for unknown events)."""
    key = event_key(line.meta)
    if key not in CHAT_EVENTS:
        return line.text
    try:
        return t.gettext(CHAT_EVENTS[key]) % {k: v for k, v in (line.meta or {}).items() if k != "event"}
    except (KeyError, ValueError, TypeError):
        return line.text


def client_texts(t: Translator) -> dict[str, Any]:
    return {
        "events": {key: t.gettext(text) for key, text in CHAT_EVENTS.items()},
        "states": {key: t.gettext(text) for key, text in STATE_LABELS.items()},
        **{key: t.gettext(text) for key, text in CLIENT_TEXTS.items()},
    }


@dataclass
class Entry:
    """One row of a chat's timeline: a line, or an internal note."""

    at: datetime
    line: Line | None = None
    note: ChatNote | None = None


@dataclass
class ChatPanel:
    summary: ChatSummary
    entries: list[Entry]
    my_role: str | None  # owner | invited | None (not in the chat)
    can_write: bool
    can_end: bool
    can_transfer: bool
    can_invite: bool
    can_leave: bool
    can_note: bool
    transfer_agents: list[Colleague] = field(default_factory=list)
    invite_agents: list[Colleague] = field(default_factory=list)
    departments: list[tuple[str, str]] = field(default_factory=list)

    @property
    def chat(self) -> Chat:
        return self.summary.chat

    @property
    def id(self) -> str:
        return self.summary.chat.public_id

    @property
    def visitor_name(self) -> str:
        return self.summary.contact_name

    @property
    def last_seq(self) -> int:
        seqs = [entry.line.seq for entry in self.entries if entry.line is not None]
        return max(seqs, default=0)


def timeline(lines: Sequence[Line], notes: Sequence[ChatNote]) -> list[Entry]:
    """Lines in their order with notes placed by time (a note goes after lines of the same moment)."""
    entries = [Entry(at=line.at, line=line) for line in lines]
    for note in notes:
        index = len(entries)
        while index > 0 and entries[index - 1].at > note.at:
            index -= 1
        entries.insert(index, Entry(at=note.at, note=note))
    return entries


async def chat_panels(
    session: AsyncSession, actor: Actor, chats: Sequence[Chat], now: datetime
) -> list[ChatPanel]:
    """Everything the chat page shows of these chats, in a fixed number of queries."""
    if not chats:
        return []
    summaries = await agent_queries.chat_summaries(session, chats)
    lines = await agent_queries.lines_of_chats(session, summaries)
    notes = await agent_queries.notes_of_chats(session, chats)
    colleagues = await agent_queries.chat_colleagues(session, sorted({c.department_id for c in chats}), now)
    departments = await agent_queries.all_departments(session)
    panels = []
    for summary in summaries:
        chat = summary.chat
        me = next((p for p in summary.participants if p.agent_id == actor.agent_id), None)
        active = chat.state == ChatState.ACTIVE.value
        supervises = department_role_at_least(actor, chat.department_id, DepartmentRole.SUPERVISOR)
        owns = chat.agent_id is not None and chat.agent_id == actor.agent_id
        present = set(summary.participant_ids)
        here = [c for c in colleagues if c.department_id == chat.department_id]
        panels.append(
            ChatPanel(
                summary=summary,
                entries=timeline(lines[chat.id], notes[chat.id]),
                my_role=me.role if me else None,
                can_write=active and me is not None,
                can_end=chat.state in (ChatState.QUEUED.value, ChatState.ACTIVE.value)
                and (me is not None or supervises),
                can_transfer=active and (owns or supervises),
                can_invite=active and (owns or supervises),
                can_leave=active and me is not None and me.role == "invited",
                can_note=me is not None
                or owns
                or department_role_at_least(actor, chat.department_id, DepartmentRole.SOLVER),
                transfer_agents=[c for c in here if c.available_for_chats and c.agent_id != chat.agent_id],
                invite_agents=[c for c in here if c.works_tickets and c.agent_id not in present],
                departments=[(public_id, name) for _, public_id, name in departments],
            )
        )
    return panels
