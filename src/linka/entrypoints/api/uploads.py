"""Receiving one uploaded file: the multipart body is parsed as it arrives and the file's bytes go
straight into the blob store, hashed and counted on the way. Nothing holds the whole file in memory,
and an oversized file stops at the limit (422 naming `file`, nothing kept), whatever the body claims.

Litestar's own form parsing is not used here: it would spool the whole body first and apply the
app-wide body limit (413) instead of the attachment limit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState
from multipart import MultipartError, MultipartSegment, ParserLimitReached, PushMultipartParser

from linka.core.blobs import BlobStore, StoredBlob
from linka.core.db import Database
from linka.core.errors import Invalid

FIELD = "file"
# Room for the multipart framing around the file: boundaries, part headers, a few small fields.
FRAMING_ALLOWANCE = 64 * 1024
_SMALL_FIELD_MAX = 4096
_MAX_PARTS = 8


@dataclass(frozen=True)
class ReceivedFile:
    blob: StoredBlob
    filename: str
    content_type: str


def _events(request: Request[Any, Any, Any], parser: PushMultipartParser) -> AsyncIterator[Any]:
    async def run() -> AsyncIterator[Any]:
        async for chunk in request.stream():
            if not chunk:
                continue
            for event in parser.parse(chunk):
                yield event
        for event in parser.parse(b""):
            yield event
        parser.close()

    return run()


async def _until_part_end(events: AsyncIterator[Any], limit: int | None = None) -> AsyncIterator[bytes]:
    """The body chunks of the current part (stops at its end event)."""
    seen = 0
    async for event in events:
        if event is None:
            return
        if isinstance(event, bytes | bytearray):
            seen += len(event)
            if limit is not None and seen > limit:
                raise Invalid("file", "send only the file (other form fields are not used)")
            yield bytes(event)
    raise Invalid("file", "the multipart body ended in the middle of a part")


async def receive_file(
    request: Request[Any, Any, Any], blobs: BlobStore, db: Database, *, max_bytes: int | None = None
) -> ReceivedFile:
    """The one file of a multipart/form-data body (field `file`), stored in the blob store; refused as
    soon as it passes `max_bytes` (default: the attachment limit)."""
    limit = blobs.max_bytes if max_bytes is None else max_bytes
    if ScopeState.from_scope(request.scope).form is not Empty:
        # A cookie-authenticated form that carried its CSRF token as a field was parsed by the CSRF
        # check already: the body is spent, but the file is in Litestar's spooled copy.
        return await _from_parsed_form(request, blobs, limit)
    content_type, options = request.content_type
    boundary = options.get("boundary")
    if content_type != "multipart/form-data" or not boundary:
        raise Invalid(FIELD, "send the file as multipart/form-data, in the field `file`")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit + FRAMING_ALLOWANCE:
        raise blobs.too_large(limit)
    parser = PushMultipartParser(boundary, max_segment_count=_MAX_PARTS, max_header_size=8192)
    events = _events(request, parser)
    received: ReceivedFile | None = None
    try:
        async for event in events:
            if not isinstance(event, MultipartSegment):
                continue
            if event.name != FIELD or event.filename is None:
                async for _ in _until_part_end(events, _SMALL_FIELD_MAX):
                    pass
                continue
            if received is not None:
                raise Invalid(FIELD, "send one file per request")
            blob = await blobs.put_stream(_until_part_end(events), max_bytes=limit)
            received = ReceivedFile(blob=blob, filename=event.filename, content_type=event.content_type or "")
    except ParserLimitReached:
        await discard(blobs, db, [received.blob.sha256] if received else [])
        raise Invalid(FIELD, "too many parts in the form") from None
    except MultipartError:
        await discard(blobs, db, [received.blob.sha256] if received else [])
        raise Invalid(FIELD, "the multipart body is malformed") from None
    except BaseException:
        await discard(blobs, db, [received.blob.sha256] if received else [])
        raise
    if received is None:
        raise Invalid(FIELD, "no file in the field `file`")
    return received


async def _from_parsed_form(request: Request[Any, Any, Any], blobs: BlobStore, limit: int) -> ReceivedFile:
    form = await request.form()
    files = [value for value in form.getall(FIELD, []) if isinstance(value, UploadFile)]
    if len(files) != 1:
        raise Invalid(FIELD, "send one file, in the field `file`")
    upload = files[0]

    async def chunks() -> AsyncIterator[bytes]:
        while chunk := await upload.read(256 * 1024):
            yield chunk

    blob = await blobs.put_stream(chunks(), max_bytes=limit)
    return ReceivedFile(blob=blob, filename=upload.filename, content_type=upload.content_type or "")


async def discard(blobs: BlobStore, db: Database, hashes: Iterable[str]) -> None:
    """Remove blobs stored for a request that then failed, unless something else uses them."""
    hashes = list(hashes)
    if hashes:
        async with db.read_session() as session:
            await blobs.sweep_unreferenced(session, hashes)


@dataclass
class UploadOperation(Operation):
    """Documents the multipart body (the handler parses it itself, so Litestar cannot infer it)."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            content={
                "multipart/form-data": OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.OBJECT,
                        required=[FIELD],
                        properties={
                            FIELD: Schema(
                                type=OpenAPIType.STRING,
                                format=OpenAPIFormat.BINARY,
                                description="the file (its filename and type are kept)",
                            )
                        },
                    )
                )
            },
        )


@dataclass
class DownloadOperation(Operation):
    """Documents a file answer: any type (the stored one), as bytes."""

    def __post_init__(self) -> None:
        responses = dict(self.responses or {})
        responses["200"] = OpenAPIResponse(
            description="the file, with its original filename in Content-Disposition",
            content={
                "*/*": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY))
            },
        )
        self.responses = responses
