"""Writes of mailboxes: admins configure them (manage_channels); the poller records how fetching went.

Passwords arrive in plain text and are stored sealed (core/sealing.py); leaving a password out of an
update keeps the stored one. Every change is in the history, never a password."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from msgspec import UNSET, UnsetType
from sqlalchemy import delete, select, update

from linka.core.errors import Conflict, Invalid
from linka.core.ids import public_id
from linka.core.permissions import Permission, require, require_write
from linka.core.sealing import Sealer
from linka.core.uow import UnitOfWork
from linka.domains.accounts import queries as accounts_queries
from linka.domains.mail import queries
from linka.domains.mail.events import MailboxChanged
from linka.domains.mail.models import Mailbox, MailboxAddress
from linka.domains.mail.schemas import (
    AckTemplate,
    ImapIn,
    MailboxCreateIn,
    MailboxUpdateIn,
    SmtpIn,
)

# Failing fetches wait longer each time, up to an hour, so a broken server is not hammered.
MAX_POLL_BACKOFF = timedelta(hours=1)
ERROR_MAX = 2000


def mailbox_snapshot(mailbox: Mailbox, addresses: list[str]) -> dict[str, Any]:
    """What the history shows of a mailbox: its settings, whether passwords are set, never them."""
    return {
        "name": mailbox.name,
        "address": mailbox.address,
        "addresses": sorted(addresses),
        "department_id": mailbox.department_id,
        "sender_name": mailbox.sender_name,
        "is_active": mailbox.is_active,
        "is_default": mailbox.is_default,
        "smtp": [mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security, mailbox.smtp_username],
        "smtp_password_set": bool(mailbox.smtp_password_sealed),
        "imap": [
            mailbox.imap_enabled,
            mailbox.imap_host,
            mailbox.imap_port,
            mailbox.imap_security,
            mailbox.imap_username,
            mailbox.imap_folder,
            mailbox.imap_poll_seconds,
            mailbox.imap_after_import,
            mailbox.imap_move_folder,
        ],
        "imap_password_set": bool(mailbox.imap_password_sealed),
        "auto_ack_enabled": mailbox.auto_ack_enabled,
        "ack_templates": mailbox.ack_templates,
        "flood_limit_per_hour": mailbox.flood_limit_per_hour,
    }


def _require_channel_admin(uow: UnitOfWork) -> None:
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_CHANNELS)


async def _addresses_of(uow: UnitOfWork, mailbox_id: int) -> list[str]:
    rows = await uow.session.execute(
        select(MailboxAddress.address).where(MailboxAddress.mailbox_id == mailbox_id)
    )
    return [str(address) for address in rows.scalars()]


async def _set_addresses(uow: UnitOfWork, mailbox: Mailbox, address: str, aliases: list[str]) -> None:
    """The mailbox receives its address and its aliases; an address of another mailbox is a conflict."""
    wanted = list(dict.fromkeys(a.strip().lower() for a in [address, *aliases]))
    taken = await uow.session.execute(
        select(MailboxAddress.address).where(
            MailboxAddress.address.in_(wanted), MailboxAddress.mailbox_id != mailbox.id
        )
    )
    clash = taken.scalars().first()
    if clash is not None:
        field = "address" if clash == wanted[0] else "aliases"
        raise Conflict(field, "%(clash)s already belongs to another mailbox", values={"clash": clash})
    await uow.session.execute(delete(MailboxAddress).where(MailboxAddress.mailbox_id == mailbox.id))
    uow.session.add_all(MailboxAddress(address=a, mailbox_id=mailbox.id) for a in wanted)
    mailbox.address = wanted[0]
    await uow.flush_or_conflict("address", "this address already belongs to another mailbox")


def _apply_smtp(mailbox: Mailbox, smtp: SmtpIn | None, sealer: Sealer) -> None:
    if smtp is None:
        mailbox.smtp_host, mailbox.smtp_username, mailbox.smtp_password_sealed = "", "", ""
        return
    mailbox.smtp_host, mailbox.smtp_port = smtp.host, smtp.port
    mailbox.smtp_security, mailbox.smtp_username = smtp.security, smtp.username
    if not isinstance(smtp.password, UnsetType):
        mailbox.smtp_password_sealed = sealer.seal(smtp.password)


def _apply_imap(mailbox: Mailbox, imap: ImapIn | None, sealer: Sealer, now: datetime) -> None:
    if imap is None:
        mailbox.imap_enabled = False
        mailbox.imap_next_poll_at = None
        return
    if imap.after_import == "move" and not imap.move_folder.strip():
        raise Invalid("imap.move_folder", "name the folder imported mail is moved to")
    moved_elsewhere = (imap.host, imap.username, imap.folder) != (
        mailbox.imap_host,
        mailbox.imap_username,
        mailbox.imap_folder,
    )
    mailbox.imap_enabled = True
    mailbox.imap_host, mailbox.imap_port, mailbox.imap_security = imap.host, imap.port, imap.security
    mailbox.imap_username, mailbox.imap_folder = imap.username, imap.folder.strip() or "INBOX"
    mailbox.imap_poll_seconds, mailbox.imap_after_import = imap.poll_seconds, imap.after_import
    mailbox.imap_move_folder = imap.move_folder.strip()
    if not isinstance(imap.password, UnsetType):
        mailbox.imap_password_sealed = sealer.seal(imap.password)
    if moved_elsewhere:
        # Another server or folder: its UIDs mean nothing here; start again from "now".
        mailbox.imap_uidvalidity = mailbox.imap_last_uid = None
    mailbox.imap_failures = 0
    mailbox.imap_next_poll_at = now


def _ack_templates(templates: dict[Any, AckTemplate]) -> dict[str, dict[str, str]]:
    return {str(lang): {"subject": t.subject, "text": t.text} for lang, t in templates.items()}


async def _department_id(uow: UnitOfWork, public: str) -> int:
    return await accounts_queries.department_id_for_field(uow.session, public, field="department_id")


async def _make_only_default(uow: UnitOfWork, mailbox: Mailbox) -> None:
    await uow.session.execute(update(Mailbox).where(Mailbox.id != mailbox.id).values(is_default=False))


async def create_mailbox(uow: UnitOfWork, *, data: MailboxCreateIn, sealer: Sealer) -> Mailbox:
    _require_channel_admin(uow)
    mailbox = Mailbox(
        public_id=public_id("mb"),
        name=data.name.strip(),
        address=data.address.lower(),
        department_id=await _department_id(uow, data.department_id),
        sender_name=data.sender_name.strip(),
        is_active=True,
        is_default=data.is_default,
        auto_ack_enabled=data.auto_ack_enabled,
        ack_templates=_ack_templates(data.ack_templates),
        flood_limit_per_hour=data.flood_limit_per_hour,
        imap_failures=0,
        created_at=uow.now,
        updated_at=uow.now,
    )
    if data.smtp is not None:
        _apply_smtp(mailbox, data.smtp, sealer)
    if data.imap is not None:
        _apply_imap(mailbox, data.imap, sealer, uow.now)
    uow.session.add(mailbox)
    await uow.session.flush()
    await _set_addresses(uow, mailbox, data.address, list(data.aliases))
    if data.is_default or await _no_other_default(uow, mailbox):
        mailbox.is_default = True
        await _make_only_default(uow, mailbox)
    uow.history(
        "mailbox",
        mailbox.id,
        "created",
        after=mailbox_snapshot(mailbox, await _addresses_of(uow, mailbox.id)),
    )
    uow.record(MailboxChanged(mailbox_id=mailbox.id))
    return mailbox


async def _no_other_default(uow: UnitOfWork, mailbox: Mailbox) -> bool:
    found = await uow.session.execute(
        select(Mailbox.id).where(Mailbox.is_default.is_(True), Mailbox.id != mailbox.id).limit(1)
    )
    return found.first() is None


async def mailbox_for_change(uow: UnitOfWork, mailbox_public_id: str) -> Mailbox:
    require_write(uow.actor)
    return await queries.mailbox_by_public_id(uow.session, uow.actor, mailbox_public_id)


async def update_mailbox(
    uow: UnitOfWork, *, mailbox_id: str, data: MailboxUpdateIn, sealer: Sealer
) -> Mailbox:
    mailbox = await mailbox_for_change(uow, mailbox_id)
    addresses = await _addresses_of(uow, mailbox.id)
    before = mailbox_snapshot(mailbox, addresses)
    if not isinstance(data.name, UnsetType):
        mailbox.name = data.name.strip()
    if not isinstance(data.department_id, UnsetType):
        mailbox.department_id = await _department_id(uow, data.department_id)
    if not isinstance(data.sender_name, UnsetType):
        mailbox.sender_name = data.sender_name.strip()
    if not isinstance(data.is_active, UnsetType):
        mailbox.is_active = data.is_active
    if not isinstance(data.smtp, UnsetType):
        _apply_smtp(mailbox, data.smtp, sealer)
    if not isinstance(data.imap, UnsetType):
        _apply_imap(mailbox, data.imap, sealer, uow.now)
    if not isinstance(data.auto_ack_enabled, UnsetType):
        mailbox.auto_ack_enabled = data.auto_ack_enabled
    if not isinstance(data.ack_templates, UnsetType):
        mailbox.ack_templates = _ack_templates(data.ack_templates)
    if not isinstance(data.flood_limit_per_hour, UnsetType):
        mailbox.flood_limit_per_hour = data.flood_limit_per_hour
    if data.address is not UNSET or data.aliases is not UNSET:
        address = mailbox.address if isinstance(data.address, UnsetType) else data.address
        aliases = (
            [a for a in addresses if a != mailbox.address]
            if isinstance(data.aliases, UnsetType)
            else list(data.aliases)
        )
        await _set_addresses(uow, mailbox, address, aliases)
    if data.is_default is True:
        mailbox.is_default = True
        await _make_only_default(uow, mailbox)
    elif data.is_default is False and mailbox.is_default:
        raise Invalid("is_default", "make another mailbox the default instead")
    mailbox.updated_at = uow.now
    changed = uow.history_of_changes(
        "mailbox",
        mailbox.id,
        before=before,
        after=mailbox_snapshot(mailbox, await _addresses_of(uow, mailbox.id)),
    )
    if changed:
        uow.record(MailboxChanged(mailbox_id=mailbox.id))
    return mailbox


async def delete_mailbox(uow: UnitOfWork, *, mailbox_id: str) -> None:
    """Remove a mailbox. Its tickets, their emails and the dead letters stay (they lose the link)."""
    mailbox = await mailbox_for_change(uow, mailbox_id)
    uow.history(
        "mailbox",
        mailbox.id,
        "deleted",
        before=mailbox_snapshot(mailbox, await _addresses_of(uow, mailbox.id)),
    )
    was_default = mailbox.is_default
    await uow.session.delete(mailbox)
    await uow.session.flush()
    if was_default:
        successor = (
            await uow.session.execute(select(Mailbox).order_by(Mailbox.id).limit(1))
        ).scalar_one_or_none()
        if successor is not None:
            successor.is_default = True
    uow.record(MailboxChanged(mailbox_id=mailbox.id))


async def start_backfill(uow: UnitOfWork, *, mailbox_id: str, since: datetime) -> Mailbox:
    """Fetch the folder's mail from `since` once (an explicit admin choice: the first fetch otherwise
    starts from "now", so an old mailbox is never imported by accident)."""
    mailbox = await mailbox_for_change(uow, mailbox_id)
    if not mailbox.imap_enabled:
        raise Invalid("since", "the mailbox has no IMAP settings")
    if since > uow.now:
        raise Invalid("since", "must not be in the future")
    mailbox.imap_backfill_since = since
    # The poller reads the mark as the backfill's progress: start the backfill from the beginning.
    mailbox.imap_last_uid = None
    mailbox.imap_next_poll_at = uow.now
    uow.history("mailbox", mailbox.id, "backfill_requested", after={"since": since})
    uow.record(MailboxChanged(mailbox_id=mailbox.id))
    return mailbox


# ---- the poller's records (system actor) ----------------------------------------------------------


async def record_fetch_success(
    uow: UnitOfWork,
    *,
    mailbox_id: int,
    uidvalidity: int,
    last_uid: int,
    received: int,
    backfill_done: bool,
) -> None:
    """A fetch worked: remember how far it got and clear the error; the next poll is one interval on."""
    mailbox = await uow.session.get(Mailbox, mailbox_id)
    if mailbox is None:
        return
    mailbox.imap_uidvalidity, mailbox.imap_last_uid = uidvalidity, last_uid
    mailbox.imap_failures = 0
    mailbox.last_fetch_at = uow.now
    if received:
        mailbox.last_received_at = uow.now
    if mailbox.last_error is not None:
        uow.history("mailbox", mailbox.id, "fetch_recovered", before={"error": mailbox.last_error})
        mailbox.last_error = None
    if backfill_done:
        mailbox.imap_backfill_since = None
    mailbox.imap_next_poll_at = uow.now + timedelta(seconds=mailbox.imap_poll_seconds)
    uow.record(MailboxChanged(mailbox_id=mailbox.id))


# How long a worker holds a mailbox it claimed for fetching; a worker that dies mid-fetch frees it then.
FETCH_LEASE = timedelta(minutes=5)


async def claim_due_mailboxes(uow: UnitOfWork, *, lease: timedelta = FETCH_LEASE) -> list[int]:
    """Mailboxes due for fetching, claimed by this worker: their next poll moves to the end of the
    lease, so another worker (another `linka worker`, another server's in-process worker) passes them
    by until this one records how the fetch went. PostgreSQL skips rows being claimed elsewhere (SKIP
    LOCKED); SQLite has one writer at a time."""
    due = (
        select(Mailbox.id)
        .where(
            Mailbox.is_active.is_(True),
            Mailbox.imap_enabled.is_(True),
            (Mailbox.imap_next_poll_at.is_(None)) | (Mailbox.imap_next_poll_at <= uow.now),
        )
        .order_by(Mailbox.id)
    )
    if uow.dialect == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = [int(mailbox_id) for mailbox_id in (await uow.session.execute(due)).scalars()]
    if ids:
        await uow.session.execute(
            update(Mailbox)
            .where(Mailbox.id.in_(ids))
            .values(imap_next_poll_at=uow.now + lease)
            .execution_options(synchronize_session=False)
        )
    return ids


async def record_fetch_progress(uow: UnitOfWork, *, mailbox_id: int, uidvalidity: int, last_uid: int) -> None:
    """Move the fetch mark after each committed message, so a crash mid-batch repeats nothing."""
    await uow.session.execute(
        update(Mailbox)
        .where(Mailbox.id == mailbox_id)
        .values(imap_uidvalidity=uidvalidity, imap_last_uid=last_uid, last_received_at=uow.now)
    )


async def record_fetch_failure(uow: UnitOfWork, *, mailbox_id: int, error: str) -> timedelta:
    """A fetch failed (login, TLS, network…): keep the reason on the mailbox, in the history when it is
    new, and back off exponentially. Returns the wait before the next try."""
    mailbox = await uow.session.get(Mailbox, mailbox_id)
    if mailbox is None:
        return MAX_POLL_BACKOFF
    error = error[:ERROR_MAX]
    mailbox.imap_failures += 1
    wait = min(
        timedelta(seconds=mailbox.imap_poll_seconds * 2 ** min(mailbox.imap_failures, 10)), MAX_POLL_BACKOFF
    )
    if error != mailbox.last_error:
        uow.history("mailbox", mailbox.id, "fetch_failed", after={"error": error})
    mailbox.last_error, mailbox.last_error_at = error, uow.now
    mailbox.imap_next_poll_at = uow.now + wait
    uow.record(MailboxChanged(mailbox_id=mailbox.id))
    return wait
