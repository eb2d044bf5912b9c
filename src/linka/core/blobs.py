"""The blob store: file contents kept once per SHA-256 in a local folder (`data_dir/blobs` by default).

A blob lives at `ab/cd/abcd…` (its hash, split so no folder grows huge). Writing streams the bytes
into a temporary file in the same folder tree, hashing and counting on the way (the size limit is
enforced while streaming, so an oversized upload stops at the limit and leaves nothing), fsyncs it,
and renames it into place: a blob is either whole or absent. The same bytes written twice are one blob.

Rows that use a blob (attachments) name it by hash; `sweep_unreferenced` deletes blobs no row names any
more. Run it after the transaction that removed the rows has committed, never before: a rollback would
leave rows pointing at deleted files. It is idempotent.

One narrow race is accepted: a sweep that runs while an identical file is being uploaded (between the
upload's write and its commit) may delete the blob the upload is about to reference.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import ColumnClause, column, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.errors import Invalid

_SHA256 = re.compile(r"[0-9a-f]{64}")
# Writes are batched up to this size before going to disk (in a thread): memory stays bounded.
WRITE_BUFFER = 1024 * 1024
READ_CHUNK = 256 * 1024
_IN_BATCH = 500
# Columns that reference blobs by hash. The store only needs their names (core imports no domain).
REFERENCES: tuple[tuple[str, str], ...] = (
    ("attachments", "sha256"),
    ("inbound_emails", "raw_sha256"),
    ("mail_dead_letters", "raw_sha256"),
)


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int


def human_size(size: int) -> str:
    """25 MB, 10 KB, 300 bytes: how a limit reads in an error message."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{round(size / factor, 1):g} {unit}"
    return f"{size} bytes"


class BlobStore:
    def __init__(self, root: Path, *, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    # ---- addressing ---------------------------------------------------------------------------

    def path_of(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[0:2] / sha256[2:4] / sha256

    def too_large(self, limit: int | None = None) -> Invalid:
        return Invalid("file", f"larger than {human_size(limit or self.max_bytes)}, the largest accepted")

    # ---- writing ------------------------------------------------------------------------------

    async def put_stream(self, chunks: AsyncIterable[bytes], *, max_bytes: int | None = None) -> StoredBlob:
        """Store what `chunks` yields; Invalid("file") as soon as it passes the limit (nothing kept)."""
        limit = self.max_bytes if max_bytes is None else max_bytes
        temp_dir = self.root / "tmp"
        await asyncio.to_thread(temp_dir.mkdir, parents=True, exist_ok=True)
        temp = temp_dir / f"{secrets.token_hex(16)}.part"
        handle = await asyncio.to_thread(_open_new, temp)
        digest, size, buffer = hashlib.sha256(), 0, bytearray()
        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise self.too_large(limit)
                digest.update(chunk)
                buffer += chunk
                if len(buffer) >= WRITE_BUFFER:
                    await asyncio.to_thread(handle.write, bytes(buffer))
                    buffer.clear()
            await asyncio.to_thread(_finish, handle, bytes(buffer))
        except BaseException:
            await asyncio.to_thread(_discard, handle, temp)
            raise
        sha256 = digest.hexdigest()
        await asyncio.to_thread(self._move_into_place, temp, sha256)
        return StoredBlob(sha256=sha256, size=size)

    async def put_bytes(self, data: bytes, *, max_bytes: int | None = None) -> StoredBlob:
        """Store bytes already in memory (e.g. a part of a parsed email)."""

        async def one() -> AsyncIterator[bytes]:
            yield data

        return await self.put_stream(one(), max_bytes=max_bytes)

    def _move_into_place(self, temp: Path, sha256: str) -> None:
        final = self.path_of(sha256)
        if final.exists():
            temp.unlink(missing_ok=True)  # the same bytes are already stored
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, final)
        _fsync_dir(final.parent)

    # ---- reading ------------------------------------------------------------------------------

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def read_bytes(self, sha256: str) -> bytes:
        return self.path_of(sha256).read_bytes()

    async def read_chunks(self, sha256: str, *, chunk_size: int = READ_CHUNK) -> AsyncIterator[bytes]:
        """The blob's bytes in chunks (for streaming a download); FileNotFoundError when absent."""
        handle = await asyncio.to_thread(self.path_of(sha256).open, "rb")
        try:
            while chunk := await asyncio.to_thread(handle.read, chunk_size):
                yield chunk
        finally:
            await asyncio.to_thread(handle.close)

    # ---- deleting -----------------------------------------------------------------------------

    def delete(self, sha256: str) -> bool:
        """Remove a blob; False when it was not there."""
        try:
            self.path_of(sha256).unlink()
        except FileNotFoundError:
            return False
        return True

    async def sweep_unreferenced(self, session: AsyncSession, candidates: Iterable[str]) -> list[str]:
        """Delete those of `candidates` that no row references any more; returns the deleted hashes.
        Call after the commit that removed the references."""
        hashes = sorted({value for value in candidates if _SHA256.fullmatch(value)})
        referenced: set[str] = set()
        for table_name, column_name in REFERENCES:
            column_: ColumnClause[str] = column(column_name)
            source = table(table_name, column_)
            for start in range(0, len(hashes), _IN_BATCH):
                batch = hashes[start : start + _IN_BATCH]
                rows = await session.execute(select(column_).select_from(source).where(column_.in_(batch)))
                referenced.update(str(value) for value in rows.scalars())
        unreferenced = [value for value in hashes if value not in referenced]
        return [value for value in unreferenced if await asyncio.to_thread(self.delete, value)]


def _open_new(path: Path) -> BinaryIO:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "wb")


def _finish(handle: BinaryIO, rest: bytes) -> None:
    try:
        handle.write(rest)
        handle.flush()
        os.fsync(handle.fileno())
    finally:
        handle.close()


def _discard(handle: BinaryIO, path: Path) -> None:
    handle.close()
    path.unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    """Make a rename durable (the directory entry); some platforms cannot open a directory."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
