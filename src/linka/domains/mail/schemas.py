"""What the API accepts and returns for mailboxes, dead letters and outgoing mail. Passwords are
write-only: they go in, and only whether one is set comes out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from linka.domains.accounts.schemas import Email, Input, Name, PublicId

Security = Literal["none", "starttls", "tls"]
AfterImport = Literal["seen", "move"]
Host = Annotated[str, msgspec.Meta(max_length=255, pattern=r"^[A-Za-z0-9.\-:\[\]]*$")]
Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
Secret = Annotated[str, msgspec.Meta(max_length=1000)]
Folder = Annotated[str, msgspec.Meta(max_length=255)]
PollSeconds = Annotated[int, msgspec.Meta(ge=10, le=86400)]
FloodLimit = Annotated[int, msgspec.Meta(ge=1, le=100_000)]
Aliases = Annotated[list[Email], msgspec.Meta(max_length=50)]
SenderName = Annotated[str, msgspec.Meta(max_length=120)]


class AckTemplate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """An acknowledgement in one language; {ticket.code}, {ticket.subject} and {contact.name} are
    filled in."""

    subject: Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=20_000)]


AckTemplates = dict[Literal["en", "cs", "hu"], AckTemplate]


class SmtpIn(Input):
    host: Host
    port: Port = 587
    security: Security = "starttls"
    username: Annotated[str, msgspec.Meta(max_length=255)] = ""
    password: Secret | UnsetType = UNSET


class ImapIn(Input):
    host: Host
    port: Port = 993
    security: Security = "tls"
    username: Annotated[str, msgspec.Meta(max_length=255)] = ""
    password: Secret | UnsetType = UNSET
    folder: Folder = "INBOX"
    poll_seconds: PollSeconds = 60
    after_import: AfterImport = "seen"
    move_folder: Folder = ""


class MailboxCreateIn(Input):
    name: Name
    address: Email
    department_id: PublicId
    aliases: Aliases = msgspec.field(default_factory=list)
    sender_name: SenderName = ""
    is_default: bool = False
    smtp: SmtpIn | None = None
    imap: ImapIn | None = None
    auto_ack_enabled: bool = False
    ack_templates: AckTemplates = msgspec.field(default_factory=dict)
    flood_limit_per_hour: FloodLimit = 40


class MailboxUpdateIn(Input):
    name: Name | UnsetType = UNSET
    address: Email | UnsetType = UNSET
    department_id: PublicId | UnsetType = UNSET
    aliases: Aliases | UnsetType = UNSET
    sender_name: SenderName | UnsetType = UNSET
    is_active: bool | UnsetType = UNSET
    is_default: bool | UnsetType = UNSET
    # null turns the part off (IMAP) or clears it (SMTP); a password left out keeps the stored one.
    smtp: SmtpIn | UnsetType | None = UNSET
    imap: ImapIn | UnsetType | None = UNSET
    auto_ack_enabled: bool | UnsetType = UNSET
    ack_templates: AckTemplates | UnsetType = UNSET
    flood_limit_per_hour: FloodLimit | UnsetType = UNSET


class BackfillIn(Input):
    """Fetch older mail once: everything in the folder received on or after `since`."""

    since: datetime


class SmtpOut(msgspec.Struct, kw_only=True):
    host: str
    port: int
    security: str
    username: str
    password_set: bool


class ImapOut(msgspec.Struct, kw_only=True):
    host: str
    port: int
    security: str
    username: str
    password_set: bool
    folder: str
    poll_seconds: int
    after_import: str
    move_folder: str
    backfill_since: datetime | None


class MailboxHealth(msgspec.Struct, kw_only=True):
    status: Literal["ok", "failing", "idle", "inactive"]
    last_fetch_at: datetime | None
    last_received_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    consecutive_failures: int
    next_poll_at: datetime | None
    dead_letters: int
    queued_mail: int
    failed_mail: int


class MailboxOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    address: str
    aliases: list[str]
    department_id: str
    sender_name: str
    is_active: bool
    is_default: bool
    smtp: SmtpOut | None
    imap: ImapOut | None
    auto_ack_enabled: bool
    ack_templates: dict[str, AckTemplate]
    flood_limit_per_hour: int
    health: MailboxHealth
    created_at: datetime
    updated_at: datetime


class MailboxPage(msgspec.Struct, kw_only=True):
    items: list[MailboxOut]
    next_cursor: str | None


class DeadLetterOut(msgspec.Struct, kw_only=True):
    id: str
    mailbox_id: str | None
    source: str
    envelope_from: str
    envelope_to: list[str]
    subject: str
    size: int
    reason: str
    error: str
    status: str
    attempts: int
    ticket_code: str | None
    received_at: datetime
    resolved_at: datetime | None


class DeadLetterPage(msgspec.Struct, kw_only=True):
    items: list[DeadLetterOut]
    next_cursor: str | None


class DeliveryOut(msgspec.Struct, kw_only=True):
    """How an outgoing mail is doing: queued (with the next attempt), sent, or failed with the reason."""

    id: int
    to: str
    cc: list[str]
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None
    message_id: str | None
