"""Request guards that apply before any handler: a NUL character in the path or query string is
refused with a 422 naming where it was (PostgreSQL cannot store or compare text containing one, and no
id, code or filter of ours ever holds one)."""

from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from litestar.response.base import ASGIResponse
from litestar.types import ASGIApp, Receive, Scope, Send

from linka.entrypoints.api.errors import error_body


def _has_nul(raw: bytes) -> bool:
    return b"\x00" in raw or b"\x00" in unquote_to_bytes(raw)


class RejectNulMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
            for where, raw in (("path", path), ("query", scope.get("query_string", b""))):
                if _has_nul(raw):
                    await _refuse(scope, receive, send, where)
                    return
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, receive: Receive, send: Send, where: str) -> None:
    message = "must not contain NUL characters"
    body = json.dumps(error_body("invalid", f"{where}: {message}", {where: message})).encode()
    await ASGIResponse(body=body, status_code=422, media_type="application/json")(scope, receive, send)
