"""The blob store: content addressing, atomic and bounded streaming writes, reading, deleting, and the
sweep that removes only blobs no attachment row references."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import delete

from linka.core.blobs import BlobStore, human_size
from linka.core.db import Database
from linka.core.errors import Invalid
from linka.core.permissions import Origin, system_actor
from linka.core.uow import unit_of_work
from linka.domains.tickets import thread_files
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.thread_models import Attachment
from linka.domains.tickets.thread_schemas import NewAttachment
from tests.personas import Personas


def files_in(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_content_addressed_path_and_round_trip(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs", max_bytes=1024 * 1024)
    data = b"Faktura 2026/05\n" * 1000
    blob = await store.put_stream(chunks(data[:5000], data[5000:]))

    digest = hashlib.sha256(data).hexdigest()
    assert (blob.sha256, blob.size) == (digest, len(data))
    assert files_in(tmp_path / "blobs") == [tmp_path / "blobs" / digest[:2] / digest[2:4] / digest]
    assert store.exists(digest)
    assert store.read_bytes(digest) == data
    assert b"".join([part async for part in store.read_chunks(digest, chunk_size=333)]) == data


async def test_same_bytes_are_one_blob(tmp_path: Path) -> None:
    store = BlobStore(tmp_path, max_bytes=1000)
    first = await store.put_bytes(b"same")
    second = await store.put_stream(chunks(b"sa", b"me"))
    assert first == second
    assert len(files_in(tmp_path)) == 1  # no temporary file left either


async def test_limit_is_enforced_while_streaming_and_leaves_nothing(tmp_path: Path) -> None:
    store = BlobStore(tmp_path, max_bytes=10)
    consumed = []

    async def endless() -> AsyncIterator[bytes]:
        for _ in range(1000):
            consumed.append(1)
            yield b"123456"

    with pytest.raises(Invalid) as raised:
        await store.put_stream(endless())
    assert raised.value.fields == {"file": "larger than 10 bytes, the largest accepted"}
    assert len(consumed) == 2  # stopped at the limit, not after reading everything
    assert files_in(tmp_path) == []
    # Exactly at the limit is fine.
    assert (await store.put_bytes(b"x" * 10)).size == 10


async def test_a_failing_source_leaves_nothing(tmp_path: Path) -> None:
    store = BlobStore(tmp_path, max_bytes=1000)

    async def broken() -> AsyncIterator[bytes]:
        yield b"half"
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        await store.put_stream(broken())
    assert files_in(tmp_path) == []


async def test_delete_and_bad_hashes(tmp_path: Path) -> None:
    store = BlobStore(tmp_path, max_bytes=1000)
    blob = await store.put_bytes(b"gone soon")
    assert store.delete(blob.sha256) is True
    assert store.delete(blob.sha256) is False
    assert not store.exists(blob.sha256)
    with pytest.raises(ValueError, match="SHA-256"):
        store.path_of("../../etc/passwd")


def test_human_sizes() -> None:
    assert human_size(25 * 1024 * 1024) == "25 MB"
    assert human_size(1536) == "1.5 KB"
    assert human_size(300) == "300 bytes"


async def test_sweep_deletes_only_unreferenced_blobs(
    db: Database, personas: Personas, tmp_path: Path
) -> None:
    store = BlobStore(tmp_path, max_bytes=1000)
    kept = await store.put_bytes(b"still attached")
    orphan = await store.put_bytes(b"nobody uses me")
    shared = await store.put_bytes(b"used twice")
    code = await _code(db, personas.tickets["karel"])
    async with unit_of_work(db, system_actor(Origin.API)) as uow:
        for blob, name in ((kept, "a.txt"), (shared, "b.txt"), (shared, "c.txt")):
            await thread_files.add_attachment(
                uow, code=code, file=NewAttachment(sha256=blob.sha256, size=blob.size, filename=name)
            )

    async with db.read_session() as session:
        deleted = await store.sweep_unreferenced(session, [kept.sha256, orphan.sha256, shared.sha256, "junk"])
    assert deleted == [orphan.sha256]
    assert store.exists(kept.sha256)
    assert store.exists(shared.sha256)
    assert not store.exists(orphan.sha256)

    # One of two references goes: the blob stays; the last goes: the blob goes. Running again is harmless.
    async with unit_of_work(db, system_actor(Origin.API)) as uow:
        await uow.session.execute(delete(Attachment).where(Attachment.filename == "b.txt"))
    async with db.read_session() as session:
        assert await store.sweep_unreferenced(session, [shared.sha256]) == []
    async with unit_of_work(db, system_actor(Origin.API)) as uow:
        await uow.session.execute(delete(Attachment).where(Attachment.filename == "c.txt"))
    async with db.read_session() as session:
        assert await store.sweep_unreferenced(session, [shared.sha256]) == [shared.sha256]
        assert await store.sweep_unreferenced(session, [shared.sha256]) == []
    assert not store.exists(shared.sha256)
    assert store.exists(kept.sha256)


async def _code(db: Database, ticket_id: int) -> str:
    async with db.read_session() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket.code
