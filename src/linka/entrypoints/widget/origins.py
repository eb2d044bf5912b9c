"""Which pages may open a chat button's widget: the button's allowed origins, and Linka's own (its
preview page)."""

from __future__ import annotations

from urllib.parse import urlsplit

from linka.domains.chat.models import ChatButton


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def origin_allowed(origin: str | None, button: ChatButton, base_url: str) -> bool:
    """A browser always sends Origin on a WebSocket handshake and on cross-site requests; without one
    the caller is no page of any site, and is refused like an unknown one."""
    if not origin:
        return False
    origin = origin.strip().lower()
    return origin in (button.allowed_origins or []) or origin == origin_of(base_url)
