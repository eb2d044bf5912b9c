"""The email channel's rows: mailboxes (with their addresses and fetch state), the raw source of every
email that became a thread entry, the dead-letter store, and outgoing mail as pending work."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from linka.core.db import Base, BigId, Json


class Mailbox(Base):
    """Where customers write: its addresses, the department its tickets land in, how mail leaves it
    (SMTP) and, optionally, how it is fetched (IMAP). Passwords are sealed with the secret key."""

    __tablename__ = "mailboxes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # The address mail is sent from; it and the aliases are in mailbox_addresses for look-ups.
    address: Mapped[str] = mapped_column(String(254))
    department_id: Mapped[int] = mapped_column(BigId, ForeignKey("departments.id", ondelete="RESTRICT"))
    sender_name: Mapped[str] = mapped_column(String(120), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The mailbox system mails (password resets, invitations) leave from.
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)

    smtp_host: Mapped[str] = mapped_column(String(255), default="")
    smtp_port: Mapped[int] = mapped_column(Integer, default=587)
    smtp_security: Mapped[str] = mapped_column(String(16), default="starttls")  # none | starttls | tls
    smtp_username: Mapped[str] = mapped_column(String(255), default="")
    smtp_password_sealed: Mapped[str] = mapped_column(Text, default="")

    imap_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    imap_host: Mapped[str] = mapped_column(String(255), default="")
    imap_port: Mapped[int] = mapped_column(Integer, default=993)
    imap_security: Mapped[str] = mapped_column(String(16), default="tls")  # none | starttls | tls
    imap_username: Mapped[str] = mapped_column(String(255), default="")
    imap_password_sealed: Mapped[str] = mapped_column(Text, default="")
    imap_folder: Mapped[str] = mapped_column(String(255), default="INBOX")
    imap_poll_seconds: Mapped[int] = mapped_column(Integer, default=60)
    imap_after_import: Mapped[str] = mapped_column(String(8), default="seen")  # seen | move
    imap_move_folder: Mapped[str] = mapped_column(String(255), default="")
    # Fetch state: UIDs above imap_last_uid in this UIDVALIDITY are new. None: not fetched yet, so the
    # first run starts from "now" unless a backfill date asks for older mail.
    imap_uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    imap_last_uid: Mapped[int | None] = mapped_column(BigInteger)
    imap_backfill_since: Mapped[datetime | None]
    imap_next_poll_at: Mapped[datetime | None]
    imap_failures: Mapped[int] = mapped_column(Integer, default=0)

    auto_ack_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # {"en": {"subject": "...", "text": "..."}, "cs": {...}}; a missing language uses the built-in text.
    ack_templates: Mapped[dict[str, dict[str, str]]] = mapped_column(Json, default=dict)
    # More messages than this from one sender in an hour are held as dead letters (a mail loop).
    flood_limit_per_hour: Mapped[int] = mapped_column(Integer, default=40)

    # Health, as the admin sees it.
    last_fetch_at: Mapped[datetime | None]
    last_received_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]

    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MailboxAddress(Base):
    """An address a mailbox receives (its own and its aliases): one mailbox per address."""

    __tablename__ = "mailbox_addresses"

    address: Mapped[str] = mapped_column(String(254), primary_key=True)
    mailbox_id: Mapped[int] = mapped_column(BigId, ForeignKey("mailboxes.id", ondelete="CASCADE"), index=True)


class InboundEmail(Base):
    """The original of an email that became a thread entry: its raw bytes (in the blob store) for the
    .eml download, and who sent it when (for the flood guard)."""

    __tablename__ = "inbound_emails"
    __table_args__ = (Index("ix_inbound_emails_sender", "mailbox_id", "from_address", "received_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("message_groups.id", ondelete="CASCADE"), unique=True
    )
    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    mailbox_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("mailboxes.id", ondelete="SET NULL"))
    message_id: Mapped[str | None] = mapped_column(String(255), index=True)
    from_address: Mapped[str] = mapped_column(String(254))
    source: Mapped[str] = mapped_column(String(8))  # smtp | imap | pipe | retry
    raw_sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    # Defects the parser tolerated, and what the guards found (auto-reply, spam…).
    notes: Mapped[list[str]] = mapped_column(Json, default=list)
    received_at: Mapped[datetime]


class DeadLetter(Base):
    """A message that could not be parsed or stored, kept raw with the reason. An admin reads it,
    retries it (after a fix) or discards it; it never blocks the messages after it."""

    __tablename__ = "mail_dead_letters"
    __table_args__ = (Index("ix_mail_dead_letters_mailbox", "mailbox_id", "status", "received_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True)
    mailbox_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("mailboxes.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(8))  # smtp | imap | pipe
    envelope_from: Mapped[str] = mapped_column(String(254), default="")
    envelope_to: Mapped[list[str]] = mapped_column(Json, default=list)
    subject: Mapped[str] = mapped_column(String(500), default="")
    raw_sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))  # unparseable | failed | throttled
    error: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | retried | discarded
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    ticket_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="SET NULL"))
    received_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class OutgoingMail(Base):
    """A mail to send: pending work the worker delivers, with retries and a visible failed state."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (Index("ix_outgoing_mail_due", "delivery_status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # password_reset, invitation, reply, forward, ack…
    mailbox_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("mailboxes.id", ondelete="SET NULL"), index=True
    )
    to_address: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(500))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(5), default="en")
    ticket_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    # A ticket mail (reply, forward) carries copies and comes from a thread group, whose file messages
    # are its attachments.
    cc_addresses: Mapped[list[str]] = mapped_column(Json, default=list)
    group_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("message_groups.id", ondelete="CASCADE"), index=True
    )
    # Our own Message-ID, given when queued so replies thread back and bounces find the mail.
    message_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(255))
    references: Mapped[list[str]] = mapped_column(Json, default=list)
    delivery_status: Mapped[str] = mapped_column(String(16), default="queued")  # queued | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
