"""Files in a chat, from the visitor's side: uploading one into their running chat, and fetching the
files of their chat (with their token). Called from the customer's site, so the answers carry CORS
headers for the button's allowed origins; no cookies are involved (the token is the credential)."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated, Any

from litestar import Request, Response, get, post, route
from litestar.params import Parameter
from litestar.response import Stream

from linka.core.errors import Invalid, LinkaError, RateLimited
from linka.core.permissions import Actor, Origin
from linka.domains.chat import actions, button_queries, queries
from linka.domains.chat.constants import FILE_TYPES, MAX_FILE_BYTES
from linka.domains.chat.errors import ChatNotRunning, reason_of
from linka.domains.chat.models import ChatButton
from linka.domains.tickets.thread_schemas import NewAttachment
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.api.ticket_thread import INLINE_TYPES, content_disposition
from linka.entrypoints.api.uploads import FRAMING_ALLOWANCE, discard, receive_file
from linka.entrypoints.widget.origins import origin_allowed

Token = Annotated[str, Parameter(query="token", min_length=10, max_length=64)]
Key = Annotated[str, Parameter(query="key", min_length=1, max_length=64)]
MIME_OF_SUFFIX = {suffix: mime for mime, suffixes in FILE_TYPES.items() for suffix in suffixes}
# One path for the upload (a button's public id), its preflight and the download (a file's): Litestar
# merges handlers only of the very same path, and with two spellings its own OPTIONS answer (no CORS
# headers) shadowed the preflight below.
FILES_PATH = "/widget/files/{public_id:str}"


def _cors(request: Request[Any, Any, Any], button: ChatButton | None) -> dict[str, str]:
    origin = request.headers.get("origin")
    runtime = runtime_of(request)
    if origin and button is not None and origin_allowed(origin, button, runtime.settings.base_url):
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    return {"Vary": "Origin"}


def _refusal(status: int, code: str, message: str, headers: dict[str, str]) -> Response[dict[str, Any]]:
    return Response({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def file_type(filename: str) -> str | None:
    """The type a file is stored and served as, by its name's suffix; none: not accepted."""
    return MIME_OF_SUFFIX.get(PurePosixPath(filename.lower()).suffix)


@route(FILES_PATH, http_method=["OPTIONS"], include_in_schema=False)
async def upload_preflight(request: Request[Any, Any, Any], public_id: str) -> Response[None]:
    async with runtime_of(request).db.read_session() as session:
        found = await button_queries.enabled_button_by_public_id(session, public_id[:24])
    headers = _cors(request, found)
    headers.update({"Access-Control-Allow-Methods": "POST", "Access-Control-Max-Age": "600"})
    return Response(None, status_code=204, headers=headers)


# The body limit is the file limit, checked below with answers the widget can read (CORS headers).
@post(FILES_PATH, include_in_schema=False, status_code=201, request_max_body_size=None)
async def upload_file(
    request: Request[Any, Any, Any], public_id: str, token: Token, key: Key
) -> Response[dict[str, Any]]:
    """One file into the visitor's running chat (`public_id`: the button's): `?token=&key=`, multipart
    field `file`."""
    runtime = runtime_of(request)
    async with runtime.db.read_session() as session:
        found = await button_queries.enabled_button_by_public_id(session, public_id[:24])
        visitor = await queries.visitor_by_token(session, found.id, token) if found is not None else None
    headers = _cors(request, found)
    if found is None:
        return _refusal(404, "unknown_button", "There is no such chat button.", headers)
    if not origin_allowed(request.headers.get("origin"), found, runtime.settings.base_url):
        return _refusal(403, "origin_not_allowed", "This site may not use this chat button.", headers)
    if visitor is None:
        return _refusal(403, "unknown_visitor", "Reload the page and try again.", headers)
    if not found.file_uploads:
        return _refusal(403, "no_files", "This chat takes no files.", headers)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FILE_BYTES + FRAMING_ALLOWANCE:
        return _refusal(413, "file_too_large", "The file is too large.", headers)
    try:
        await runtime.visitor_limits.hit(visitor.id)
        received = await receive_file(request, runtime.blobs, runtime.db, max_bytes=MAX_FILE_BYTES)
    except RateLimited as refused:
        headers["Retry-After"] = str(refused.retry_after)
        return _refusal(429, "rate_limited", "You are sending too fast; please wait a moment.", headers)
    except Invalid as refused:
        too_large = "largest accepted" in refused.message
        code, status = ("file_too_large", 413) if too_large else ("invalid", 400)
        return _refusal(status, code, refused.fields.get("file", refused.message), headers)
    mime = file_type(received.filename)
    if mime is None or received.blob.size > MAX_FILE_BYTES:
        await discard(runtime.blobs, runtime.db, [received.blob.sha256])
        if mime is None:
            return _refusal(415, "file_type", "Files of this type cannot be sent.", headers)
        return _refusal(413, "file_too_large", "The file is too large.", headers)
    file = NewAttachment(
        sha256=received.blob.sha256, size=received.blob.size, filename=received.filename[:255], mime_type=mime
    )
    try:
        async with runtime.uow(Actor(origin=Origin.CHAT, name="Visitor")) as uow:
            _, seq = await actions.post_visitor_line(uow, visitor_id=visitor.id, key=key, file=file)
    except LinkaError as refused:
        await discard(runtime.blobs, runtime.db, [received.blob.sha256])
        return _refusal(
            refused.status if isinstance(refused, ChatNotRunning) else 400,
            reason_of(refused),
            refused.message,
            headers,
        )
    return Response({"seq": seq}, status_code=201, headers=headers)


@get(FILES_PATH, include_in_schema=False)
async def download_file(
    request: Request[Any, Any, Any], public_id: str, token: Token
) -> Stream | Response[dict[str, Any]]:
    """A file of the visitor's chat (`public_id`: the file's), for the visitor (their token); agents use
    the API's link."""
    runtime = runtime_of(request)
    async with runtime.db.read_session() as session:
        found = await queries.visitor_attachment(session, public_id[:32], token)
    if found is None or not runtime.blobs.exists(found.sha256):
        return _refusal(404, "not_found", "No such file.", {})
    return Stream(
        runtime.blobs.read_chunks(found.sha256),
        media_type=found.mime_type,
        headers={
            "Content-Disposition": content_disposition(
                found.filename, inline=found.mime_type in INLINE_TYPES
            ),
            "Content-Length": str(found.size),
            "Cache-Control": "private, max-age=0, must-revalidate",
        },
    )


routes = [upload_preflight, upload_file, download_file]
