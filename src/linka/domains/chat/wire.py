"""The frames of docs/chat-protocol.md, built in one place for the visitor and the agent sockets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from linka.domains.chat.button_settings import APPEARANCE_TEXT_KEYS, DEFAULT_COLOUR, DEFAULT_TEXTS
from linka.domains.chat.constants import FILE_TYPES, MAX_FILE_BYTES, MAX_MESSAGE_CHARS
from linka.domains.chat.models import Chat, ChatButton


@dataclass(frozen=True)
class Line:
    """A chat line as the sockets show it (from a Message row and what it refers to)."""

    seq: int
    at: datetime
    kind: str  # text | file | system | form_field
    text: str
    author: str  # visitor | agent | system
    author_id: str | None = None  # the agent's public id
    name: str = ""
    key: str | None = None
    meta: dict[str, str] | None = None
    file_id: str | None = None
    file_name: str = ""
    file_size: int = 0
    file_type: str = ""


def line_frame(line: Line, *, for_agent: bool) -> dict[str, Any]:
    """A line; file links are relative to Linka's origin (the widget prefixes its server's)."""
    values = {key: value for key, value in (line.meta or {}).items() if key != "event"}
    frame: dict[str, Any] = {
        "seq": line.seq,
        "at": line.at.isoformat(),
        "author": line.author,
        "name": line.name,
        "kind": line.kind,
        "text": line.text,
        "key": line.key,
        "file": None,
        "event": (line.meta or {}).get("event"),
        "values": values or None,
    }
    if line.file_id is not None:
        # Agents fetch it like any attachment (permission-checked); the widget adds `?token=` (the
        # visitor's credential, never put in frames other sockets might see).
        url = f"/api/v1/attachments/{line.file_id}" if for_agent else f"/widget/files/{line.file_id}"
        frame["file"] = {"name": line.file_name, "size": line.file_size, "type": line.file_type, "url": url}
    if for_agent:
        frame["author_id"] = line.author_id
    return frame


def chat_frame(chat: Chat, *, agent_name: str | None, position: int | None) -> dict[str, Any]:
    """What the visitor knows of their chat."""
    return {
        "id": chat.public_id,
        "state": chat.state,
        "position": position,
        "agent": {"name": agent_name} if agent_name else None,
        "rating": chat.rating,
        "visitor_seen": chat.visitor_seen_seq,
        "agent_seen": chat.agent_seen_seq,
    }


def chat_agent_frame(
    chat: Chat,
    *,
    agent_name: str | None,
    position: int | None,
    ticket_code: str,
    department: str,
    visitor: dict[str, Any],
    participants: list[dict[str, Any]],
) -> dict[str, Any]:
    """What an agent in the chat knows of it."""
    return {
        **chat_frame(chat, agent_name=agent_name, position=position),
        "ticket": ticket_code,
        "department": department,
        "visitor": visitor,
        "participants": participants,
    }


def visitor_config(button: ChatButton, language: str) -> dict[str, Any]:
    """The button as the widget needs it, in the visitor's language (else English, else the default)."""
    appearance = button.appearance or {}
    texts_by_language: dict[str, dict[str, str]] = appearance.get("texts") or {}

    def text(key: str) -> str:
        for source in (
            texts_by_language.get(language),
            texts_by_language.get("en"),
            DEFAULT_TEXTS.get(language),
        ):
            if source and source.get(key):
                return str(source[key])
        return DEFAULT_TEXTS["en"][key]

    return {
        "button": button.public_id,
        "colour": appearance.get("colour") or DEFAULT_COLOUR,
        "position": appearance.get("position") or "right",
        "texts": {key: text(key) for key in APPEARANCE_TEXT_KEYS},
        "prechat_fields": [
            {
                "key": spec.get("key"),
                "kind": spec.get("kind", "text"),
                "required": bool(spec.get("required")),
                "label": (spec.get("label") or {}).get(language)
                or (spec.get("label") or {}).get("en")
                or spec.get("key"),
                "options": list(spec.get("options") or []),
            }
            for spec in button.prechat_fields or []
        ],
        "offline_form": button.offline_form,
        "file_uploads": button.file_uploads,
        "max_message": MAX_MESSAGE_CHARS,
        "max_file": MAX_FILE_BYTES,
        "file_types": sorted({suffix for suffixes in FILE_TYPES.values() for suffix in suffixes}),
    }
