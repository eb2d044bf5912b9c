"""IMAP polling, the pull side of email intake: each mailbox with IMAP settings is fetched when it is due
(its poll interval, or later while it keeps failing), a few mailboxes at once.

Fetching is incremental by UID within the folder's UIDVALIDITY (`imap_last_uid` is the mark: every UID
up to it is handled or was deliberately left alone):

- the first run starts from "now": the mark becomes the folder's highest UID and nothing already in the
  folder is imported, unless an admin asked for a backfill (`mailbox_actions.start_backfill`), which
  imports the folder's mail SINCE that date once;
- a changed UIDVALIDITY (the folder was rebuilt and its UIDs renumbered) re-reads the mail since a day
  before the last successful fetch, as a backfill; the intake drops what it already has by Message-ID,
  so nothing becomes a ticket twice.

A message is read with BODY.PEEK[] (nothing is marked read by reading it) and handed to the intake. Only
after `take_in_mail` returned, i.e. the message is committed as a thread entry or a dead letter, is it
flagged \\Seen or moved, and then the mark moves in its own short transaction: a crash anywhere repeats
at most one message, which the intake dedupes. When the intake cannot store a message (database or disk
down) the poll stops there with the message untouched on the server, and the mailbox backs off.

Every failure (login, TLS, network, timeout, missing folder) is kept on the mailbox's health with an
exponential backoff and logged on "linka.mail"; none escapes a poll or stops another mailbox's.
IMAP is spoken by imapclient, which blocks, in worker threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from linka.core.permissions import Origin, system_actor
from linka.domains.mail import mailbox_actions
from linka.domains.mail.intake import take_in_mail
from linka.domains.mail.models import Mailbox
from linka.entrypoints.runtime import Runtime

log = logging.getLogger("linka.mail")

MAIL = system_actor(Origin.MAIL)
# Messages taken in per mailbox and poll; more waiting keeps the mailbox due, so the rest comes next round.
BATCH = 100
PARALLEL_MAILBOXES = 4
# Seconds a connect or any one IMAP command may take before the poll gives up on the server.
TIMEOUT = 30.0
# SEARCH SINCE compares dates in the server's time zone: a day of margin covers the difference.
RESYNC_MARGIN = timedelta(days=1)
SEEN = b"\\Seen"
DELETED = b"\\Deleted"

T = TypeVar("T")


@dataclass(frozen=True)
class _Target:
    """What a poll needs of a mailbox, read once before any network I/O."""

    id: int
    public_id: str
    address: str
    host: str
    port: int
    security: str
    username: str
    password_sealed: str
    folder: str
    after_import: str
    move_folder: str
    uidvalidity: int | None
    last_uid: int | None
    backfill_since: datetime | None
    last_fetch_at: datetime | None

    @classmethod
    def of(cls, mailbox: Mailbox) -> _Target:
        return cls(
            id=mailbox.id,
            public_id=mailbox.public_id,
            address=mailbox.address,
            host=mailbox.imap_host,
            port=mailbox.imap_port,
            security=mailbox.imap_security,
            username=mailbox.imap_username,
            password_sealed=mailbox.imap_password_sealed,
            folder=mailbox.imap_folder,
            after_import=mailbox.imap_after_import,
            move_folder=mailbox.imap_move_folder,
            uidvalidity=mailbox.imap_uidvalidity,
            last_uid=mailbox.imap_last_uid,
            backfill_since=mailbox.imap_backfill_since,
            last_fetch_at=mailbox.last_fetch_at,
        )

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class _Plan:
    uids: list[int]  # to take in, ascending
    start: int  # the mark before this poll
    backfill: bool


class _FetchFailed(Exception):
    """The poll stops; `error` is what the admin reads on the mailbox."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


# ---- the jobs ---------------------------------------------------------------------------------------


async def poll_due_mailboxes(runtime: Runtime, *, parallel: int = PARALLEL_MAILBOXES) -> int:
    """Fetch every mailbox that is due, `parallel` at a time; returns the messages taken in."""
    async with runtime.uow(system_actor(Origin.SYSTEM)) as uow:
        due = await mailbox_actions.claim_due_mailboxes(uow)
    if not due:
        return 0
    gate = asyncio.Semaphore(parallel)

    async def one(mailbox_id: int) -> int:
        async with gate:
            return await poll_mailbox(runtime, mailbox_id)

    results = await asyncio.gather(*(one(i) for i in due), return_exceptions=True)
    total = 0
    for mailbox_id, result in zip(due, results, strict=True):
        if isinstance(result, BaseException):  # poll_mailbox catches everything; this is a last guard
            log.error("polling mailbox %d failed", mailbox_id, exc_info=result)
        else:
            total += result
    return total


async def poll_mailbox(runtime: Runtime, mailbox_id: int, *, batch: int = BATCH) -> int:
    """Fetch one mailbox's new mail, at most `batch` messages (see the module docstring); returns the
    messages taken in. Never raises: a failure is recorded on the mailbox and logged."""
    try:
        target = await _load(runtime, mailbox_id)
    except Exception:
        log.exception("mailbox %d could not be read from the database; it is polled again later", mailbox_id)
        return 0
    if target is None:
        return 0
    poll = _Poll(runtime, target, batch)
    failed = True
    try:
        await poll.run()
        failed = False
    except _FetchFailed as failure:
        await _record_failure(runtime, target, failure.error)
    except Exception as exc:  # a bug: still visible on the mailbox, and the other mailboxes go on
        log.exception("mailbox %s <%s>: unexpected error while polling", target.public_id, target.address)
        await _record_failure(runtime, target, f"unexpected error: {type(exc).__name__}: {exc}")
    finally:
        await poll.close(graceful=not failed)
    if poll.taken:
        log.info("mailbox %s <%s>: %d message(s) taken in", target.public_id, target.address, poll.taken)
    return poll.taken


async def _load(runtime: Runtime, mailbox_id: int) -> _Target | None:
    async with runtime.db.read_session() as session:
        mailbox = await session.get(Mailbox, mailbox_id)
        if mailbox is None or not mailbox.is_active or not mailbox.imap_enabled:
            return None
        return _Target.of(mailbox)


async def _record_failure(runtime: Runtime, target: _Target, error: str) -> None:
    wait: timedelta | None = None
    try:
        async with runtime.uow(MAIL) as uow:
            wait = await mailbox_actions.record_fetch_failure(uow, mailbox_id=target.id, error=error)
    except Exception:
        log.exception("mailbox %s: the fetch failure could not be recorded", target.public_id)
    log.warning(
        "mailbox %s <%s>: fetching mail failed, next try in %s: %s",
        target.public_id,
        target.address,
        wait if wait is not None else "the next round",
        error,
    )


# ---- one poll ---------------------------------------------------------------------------------------


class _Poll:
    def __init__(self, runtime: Runtime, target: _Target, batch: int) -> None:
        self.runtime = runtime
        self.target = target
        self.batch = batch
        self.client: IMAPClient | None = None
        self.taken = 0

    async def run(self) -> None:
        target = self.target
        try:
            password = self.runtime.sealer.open(target.password_sealed)
        except ValueError as exc:
            raise _FetchFailed(f"the IMAP password cannot be read: {exc}") from exc
        self.client = client = await self._imap("connecting to", _connect, target)
        await self._imap("logging in to", client.login, target.username, password)
        uidvalidity, highest = await self._imap(
            f"opening folder {target.folder!r} on", _select, client, target.folder
        )
        plan = await self._plan(client, uidvalidity)
        if plan is None:  # first run: from now on
            await self._record_success(uidvalidity, highest, backfill_done=False)
            return
        batch = plan.uids[: self.batch]
        if batch and target.after_import == "move":
            await self._imap(
                f"creating folder {target.move_folder!r} on", _ensure_folder, client, target.move_folder
            )
        mark = plan.start
        for uid in batch:
            raw = await self._imap(f"fetching message UID {uid} from", _fetch, client, uid)
            if raw is not None:  # None: deleted by someone else meanwhile
                await self._take_in(uid, raw)
                await self._imap(_acknowledging(target, uid), _acknowledge, client, uid, target)
                self.taken += 1
            mark = uid
            async with self.runtime.uow(MAIL) as uow:
                await mailbox_actions.record_fetch_progress(
                    uow, mailbox_id=target.id, uidvalidity=uidvalidity, last_uid=mark
                )
        if len(plan.uids) > len(batch):
            return  # more is waiting: the mailbox stays due and the next round goes on from the mark
        await self._record_success(uidvalidity, max(mark, highest), backfill_done=plan.backfill)

    async def _plan(self, client: IMAPClient, uidvalidity: int) -> _Plan | None:
        """Which UIDs to take in; None on a first run (nothing is imported, the mark is set)."""
        target = self.target
        same_folder = target.uidvalidity == uidvalidity and target.last_uid is not None
        since = target.backfill_since
        renumbered = target.uidvalidity is not None and target.uidvalidity != uidvalidity
        if since is None and renumbered and target.last_fetch_at is not None:
            since = target.last_fetch_at - RESYNC_MARGIN
            await self._request_resync(since, uidvalidity)
        if since is not None:
            # A backfill that took a full batch last time goes on from the mark it reached.
            start = (target.last_uid or 0) if same_folder else 0
            found = await self._imap("searching", _uids_since, client, since.date())
            return _Plan(uids=[u for u in found if u > start], start=start, backfill=True)
        if same_folder:
            assert target.last_uid is not None
            found = await self._imap("searching", _uids_above, client, target.last_uid)
            return _Plan(uids=found, start=target.last_uid, backfill=False)
        return None

    async def _request_resync(self, since: datetime, uidvalidity: int) -> None:
        log.warning(
            "mailbox %s <%s>: folder %r on %s has a new UIDVALIDITY (%s, was %s); re-reading mail since %s",
            self.target.public_id,
            self.target.address,
            self.target.folder,
            self.target.server,
            uidvalidity,
            self.target.uidvalidity,
            since.date(),
        )
        async with self.runtime.uow(MAIL) as uow:
            await mailbox_actions.start_backfill(uow, mailbox_id=self.target.public_id, since=since)

    async def _take_in(self, uid: int, raw: bytes) -> None:
        try:
            await take_in_mail(self.runtime, raw, source="imap", mailbox_id=self.target.id, recipients=())
        except Exception as exc:
            # The intake raises only when it could store nothing; the message stays as it is on the
            # server and comes again on the next poll.
            first_line = (str(exc).splitlines() or [""])[0]  # a database error goes on with SQL
            raise _FetchFailed(
                f"message UID {uid} from {self.target.server} could not be stored and stays on the server "
                f"for the next try: {type(exc).__name__}: {first_line}"
            ) from exc

    async def _record_success(self, uidvalidity: int, last_uid: int, *, backfill_done: bool) -> None:
        async with self.runtime.uow(MAIL) as uow:
            await mailbox_actions.record_fetch_success(
                uow,
                mailbox_id=self.target.id,
                uidvalidity=uidvalidity,
                last_uid=last_uid,
                received=self.taken,
                backfill_done=backfill_done,
            )

    async def _imap(self, step: str, call: Callable[..., T], *args: Any) -> T:
        """Run one blocking IMAP step in a thread; any failure becomes a readable _FetchFailed."""
        try:
            return await asyncio.to_thread(call, *args)
        except Exception as exc:
            raise _FetchFailed(f"{step} {self.target.server}: {_reason(exc)}") from exc

    async def close(self, *, graceful: bool) -> None:
        if self.client is not None:
            await asyncio.to_thread(_close, self.client, graceful)
            self.client = None


def _acknowledging(target: _Target, uid: int) -> str:
    if target.after_import == "move":
        return f"moving message UID {uid} to {target.move_folder!r} on"
    return f"flagging message UID {uid} as seen on"


def _reason(exc: Exception) -> str:
    if isinstance(exc, LoginError):
        return f"login refused: {_text(exc)}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {_text(exc)}"
    if isinstance(exc, TimeoutError):
        return f"no answer within {TIMEOUT:g} seconds"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, OSError):
        return f"network error: {_text(exc)}"
    return _text(exc)


def _text(exc: Exception) -> str:
    if len(exc.args) == 1 and isinstance(exc.args[0], bytes):
        return exc.args[0].decode("utf-8", "replace")
    return str(exc) or type(exc).__name__


# ---- blocking IMAP steps (each runs in a worker thread) -----------------------------------------------


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Certificates and host names verified; built once (loading the system's CA certificates is slow)."""
    return ssl.create_default_context()


def _connect(target: _Target) -> IMAPClient:
    tls = target.security == "tls"
    client = IMAPClient(
        target.host, port=target.port, ssl=tls, ssl_context=_tls_context() if tls else None, timeout=TIMEOUT
    )
    if target.security == "starttls":
        try:
            # Refused when the server does not offer it: never falls back to plain text.
            client.starttls(_tls_context())
        except Exception:
            _close(client, graceful=False)
            raise
    return client


def _select(client: IMAPClient, folder: str) -> tuple[int, int]:
    """(UIDVALIDITY, the highest UID now in the folder)."""
    info = client.select_folder(folder)
    uidvalidity = int(info[b"UIDVALIDITY"])
    uidnext = info.get(b"UIDNEXT")
    if uidnext is not None:
        return uidvalidity, int(uidnext) - 1
    return uidvalidity, max((int(u) for u in client.search(["ALL"])), default=0)


def _uids_above(client: IMAPClient, last_uid: int) -> list[int]:
    # "n:*" also matches the highest UID when it is below n, hence the filter.
    return sorted(int(u) for u in client.search(["UID", f"{last_uid + 1}:*"]) if int(u) > last_uid)


def _uids_since(client: IMAPClient, since: date) -> list[int]:
    return sorted(int(u) for u in client.search(["SINCE", since]))


def _fetch(client: IMAPClient, uid: int) -> bytes | None:
    found = client.fetch([uid], ["BODY.PEEK[]"]).get(uid)
    if found is None:
        return None
    body = found.get(b"BODY[]")
    if body is None:
        raise ValueError("the server sent no body for the message")
    return bytes(body)


def _ensure_folder(client: IMAPClient, folder: str) -> None:
    if not client.folder_exists(folder):
        client.create_folder(folder)


def _acknowledge(client: IMAPClient, uid: int, target: _Target) -> None:
    if target.after_import != "move":
        client.add_flags([uid], [SEEN])
        return
    if client.has_capability("MOVE"):
        client.move([uid], target.move_folder)
        return
    client.copy([uid], target.move_folder)
    client.add_flags([uid], [DELETED])
    if client.has_capability("UIDPLUS"):
        client.uid_expunge([uid])
    else:
        client.expunge()


def _close(client: IMAPClient, graceful: bool) -> None:
    if graceful:
        with contextlib.suppress(Exception):
            client.logout()
            return
    with contextlib.suppress(Exception):
        client.shutdown()
