"""Storage for login sessions: a Litestar `Store` kept in the database, so logins survive restarts and
are shared by every process. Litestar writes the session back after each response; unchanged data that
was written recently is not written again, so a page view costs one read, not a write."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from datetime import timedelta

from litestar.stores.base import Store
from sqlalchemy import delete, select

from linka.core import clock
from linka.core.db import Database
from linka.domains.accounts.models import WebSession

_REWRITE_AFTER_SECONDS = 300
_REMEMBERED = 10_000


class DatabaseSessionStore(Store):
    def __init__(self, db: Database) -> None:
        self.db = db
        # key -> (digest of data last read or written, monotonic time of last write)
        self._seen: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        # Keys logged out here: a request still in flight must not write them back to life.
        self._ended: OrderedDict[str, None] = OrderedDict()

    def _remember(self, key: str, data: bytes, written_at: float) -> None:
        self._seen[key] = (hashlib.blake2b(data, digest_size=16).digest(), written_at)
        self._seen.move_to_end(key)
        while len(self._seen) > _REMEMBERED:
            self._seen.popitem(last=False)

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        if key in self._ended:
            return
        data = value.encode() if isinstance(value, str) else value
        digest = hashlib.blake2b(data, digest_size=16).digest()
        seen = self._seen.get(key)
        if seen and seen[0] == digest and time.monotonic() - seen[1] < _REWRITE_AFTER_SECONDS:
            return
        seconds = expires_in.total_seconds() if isinstance(expires_in, timedelta) else expires_in
        expires_at = clock.now() + timedelta(seconds=seconds) if seconds else None
        async with self.db.sessions() as session:
            row = await session.get(WebSession, key)
            if row is None:
                session.add(WebSession(key=key, data=data, expires_at=expires_at))
            else:
                row.data, row.expires_at = data, expires_at
            await session.commit()
        self._remember(key, data, time.monotonic())

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        async with self.db.read_session() as session:
            row = await session.get(WebSession, key)
            if row is None:
                return None
            if row.expires_at is not None and row.expires_at <= clock.now():
                return None
            data = bytes(row.data)
        if key not in self._seen:
            # Treat what we just read as freshly written: Litestar's write-back after the response
            # then costs nothing unless the data changed.
            self._remember(key, data, time.monotonic())
        return data

    async def delete(self, key: str) -> None:
        self._seen.pop(key, None)
        self._ended[key] = None
        while len(self._ended) > _REMEMBERED:
            self._ended.popitem(last=False)
        async with self.db.sessions() as session:
            await session.execute(delete(WebSession).where(WebSession.key == key))
            await session.commit()

    async def delete_all(self) -> None:
        self._seen.clear()
        async with self.db.sessions() as session:
            await session.execute(delete(WebSession))
            await session.commit()

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        async with self.db.read_session() as session:
            expires_at = (
                await session.execute(select(WebSession.expires_at).where(WebSession.key == key))
            ).scalar_one_or_none()
        if expires_at is None:
            return None
        return int((expires_at - clock.now()).total_seconds())

    async def delete_expired(self) -> int:
        async with self.db.sessions() as session:
            result = await session.execute(delete(WebSession).where(WebSession.expires_at <= clock.now()))
            await session.commit()
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
