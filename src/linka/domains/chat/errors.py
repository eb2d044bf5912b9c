"""The chat's refusals that the sockets name with their own codes (docs/chat-protocol.md): each says its
code (`reason`), so no entry point has to guess it from the English message."""

from __future__ import annotations

from linka.core.errors import Conflict, Invalid


class TooLong(Invalid):
    reason = "too_long"


class NoChat(Invalid):
    reason = "no_chat"


class ChatNotRunning(Conflict):
    reason = "chat_ended"


class NotOffered(Conflict):
    """Someone else took the chat, or the ring ran out."""

    reason = "taken"


def reason_of(error: Exception, default: str = "invalid") -> str:
    return str(getattr(error, "reason", default))
