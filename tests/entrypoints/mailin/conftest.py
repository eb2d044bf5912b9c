"""A real IMAP server for the polling tests: pymap with its in-memory backend, listening on loopback in a
thread of its own (with its own event loop, so the test's blocking imapclient calls never stall it).

One server per module; every test gets its own account (its own folders), so tests never see each
other's mail. `ImapAccount` appends messages and reads flags through a separate imapclient connection,
as a mail client would.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import threading
from argparse import Namespace
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime

import pytest
from imapclient import IMAPClient
from pymap.backend.dict import Config, DictBackend, Identity, Login
from pymap.imap import IMAPService
from pymap.user import Passwords, UserMetadata
from pysasl.hashing import BuiltinHash

from tests.live_server import free_port


class _QuietConfig(Config):
    @property
    def greeting(self) -> bytes:
        return b"Server ready imap.test"  # pymap's default looks up the machine's FQDN on every connection


class ImapServer:
    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="pymap", daemon=True)
        self._names = itertools.count(1)

    def start(self) -> ImapServer:
        self._thread.start()
        if not self._ready.wait(10) or self._failure is not None:
            raise RuntimeError(f"pymap did not start: {self._failure!r}")
        return self

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported by start()
            self._failure = exc
            self._ready.set()
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        args = Namespace(inherited_sockets=None, passlib_cfg=None, debug=False, proxy_protocol=None)
        self.config = _QuietConfig(
            args,
            host=self.host,
            port=self.port,
            demo_data=False,
            demo_user="demouser",
            demo_password="demopass",
            tls_enabled=False,
            reject_dnsbl=False,
            invalid_user_sleep=0.0,
            hash_context=BuiltinHash(rounds=1000),  # the default 500 000 rounds cost ~0.4 s per login
        )
        self.config.apply_context()
        self.login = Login(self.config)
        backend = DictBackend(self.login, self.config)
        self._stop = asyncio.Event()
        async with AsyncExitStack() as stack:
            await backend.start(stack)
            await IMAPService(backend, self.config).start(stack)
            self._ready.set()
            await self._stop.wait()

    def account(self, password: str = "imap-secret") -> ImapAccount:  # noqa: S107 (a test account)
        """A new user with an empty INBOX."""
        name = f"user{next(self._names)}@imap.test"

        async def add() -> None:
            hashed = await Passwords(self.config).hash_password(password)
            user = UserMetadata(self.config, name, password=hashed)
            await Identity(name, self.login, None, frozenset()).set(user)

        asyncio.run_coroutine_threadsafe(add(), self._loop).result(10)
        return ImapAccount(self, name, password)


@dataclass
class ImapAccount:
    server: ImapServer
    username: str
    password: str

    def client(self) -> IMAPClient:
        client = IMAPClient(self.server.host, port=self.server.port, ssl=False, timeout=10)
        client.login(self.username, self.password)
        return client

    def append(
        self,
        raw: bytes,
        *,
        folder: str = "INBOX",
        flags: tuple[bytes, ...] = (),
        when: datetime | None = None,
    ) -> int:
        """Deliver a message into a folder as the mail server would; returns its UID."""
        client = self.client()
        try:
            answer = client.append(folder, raw, flags=flags, msg_time=when)
        finally:
            client.logout()
        found = re.search(rb"APPENDUID \d+ (\d+)", answer)
        assert found is not None, answer
        return int(found.group(1))

    def flags(self, uid: int, *, folder: str = "INBOX") -> set[bytes]:
        client = self.client()
        try:
            client.select_folder(folder, readonly=True)
            return set(client.get_flags([uid]).get(uid, ()))
        finally:
            client.logout()

    def uids(self, folder: str = "INBOX") -> list[int]:
        client = self.client()
        try:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            return sorted(client.search(["ALL"]))
        finally:
            client.logout()

    def create_folder(self, folder: str) -> None:
        client = self.client()
        try:
            client.create_folder(folder)
        finally:
            client.logout()

    def delete_folder(self, folder: str) -> None:
        client = self.client()
        try:
            client.delete_folder(folder)
        finally:
            client.logout()


@pytest.fixture(scope="module")
def imap_server() -> Iterator[ImapServer]:
    server = ImapServer().start()
    yield server
    server.stop()


@pytest.fixture
def imap(imap_server: ImapServer) -> ImapAccount:
    return imap_server.account()
