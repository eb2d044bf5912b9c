"""The thread's vocabulary (group and message kinds) and what the API accepts and returns for it.

A thread is a list of message groups, oldest first; each group holds messages in `position` order.
Groups, messages' files and attachments are addressed by public ids (`mg_…`, `at_…`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec

from linka.domains.accounts.schemas import Email, Input
from linka.domains.mail.schemas import DeliveryOut


class GroupKind(StrEnum):
    INCOMING_EMAIL = "incoming_email"
    OUTGOING_EMAIL = "outgoing_email"
    CHAT = "chat"
    CALL = "call"
    INTERNAL_NOTE = "internal_note"
    FORWARD = "forward"
    FORWARD_REPLY = "forward_reply"
    TRANSFER = "transfer"
    RESOLVE = "resolve"
    POSTPONE = "postpone"
    SPLIT = "split"
    MERGED = "merged"
    SYSTEM = "system"


class MessageKind(StrEnum):
    TEXT = "text"
    HTML = "html"
    QUOTED = "quoted"
    FILE = "file"
    FORM_FIELD = "form_field"
    SYSTEM = "system"


# What a customer (or whoever writes in through a channel) sends.
CUSTOMER_KINDS = frozenset(
    {GroupKind.INCOMING_EMAIL, GroupKind.CHAT, GroupKind.CALL, GroupKind.FORWARD_REPLY}
)
# Entries other actions write about themselves (add_system_line): agents only, never the customer.
SYSTEM_LINE_KINDS = frozenset(
    {
        GroupKind.TRANSFER,
        GroupKind.RESOLVE,
        GroupKind.POSTPONE,
        GroupKind.SPLIT,
        GroupKind.MERGED,
        GroupKind.SYSTEM,
    }
)

TEXT_MAX = 200_000
HTML_MAX = 1_000_000
MAX_ATTACHMENTS = 50
MAX_RECIPIENTS = 20


@dataclass(frozen=True)
class NewAttachment:
    """A file a channel received, already in the blob store (`runtime.blobs.put_…`): the action records
    it. Should the action fail, the caller sweeps the blob (`blobs.sweep_unreferenced`)."""

    sha256: str
    size: int
    filename: str
    mime_type: str = "application/octet-stream"
    content_id: str | None = None


# ---- input ------------------------------------------------------------------------------------------

Text = Annotated[str, msgspec.Meta(max_length=TEXT_MAX)]
Html = Annotated[str, msgspec.Meta(max_length=HTML_MAX)]
AttachmentRef = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
AttachmentRefs = Annotated[list[AttachmentRef], msgspec.Meta(max_length=MAX_ATTACHMENTS)]
Recipients = Annotated[list[Email], msgspec.Meta(max_length=MAX_RECIPIENTS)]


class ReplyIn(Input):
    """A reply to the customer, mailed to the contact's primary email (or `to`) and the ticket's CCs
    (or `cc`). `html`, when given, is sanitised; `text` is the plain version."""

    text: Text = ""
    html: Html | None = None
    attachment_ids: AttachmentRefs = []
    to: Email | None = None
    cc: Recipients | None = None


class NoteIn(Input):
    """An internal note: agents only, never mailed."""

    text: Text = ""
    attachment_ids: AttachmentRefs = []


class ForwardIn(Input):
    """Forward a message group (`group_id`; default: the latest message from or to the customer) to
    other addresses, with a few words of your own."""

    to: Annotated[list[Email], msgspec.Meta(min_length=1, max_length=MAX_RECIPIENTS)]
    text: Text = ""
    group_id: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] | None = None


# ---- output -----------------------------------------------------------------------------------------


class AttachmentOut(msgspec.Struct, kw_only=True):
    id: str
    filename: str
    size: int
    mime_type: str
    content_id: str | None = None
    created_at: datetime


class MessageOut(msgspec.Struct, kw_only=True):
    kind: str
    body: str
    field_name: str | None = None
    attachment: AttachmentOut | None = None


class AuthorOut(msgspec.Struct, kw_only=True):
    """Who wrote a group: an agent (`ag_…`), a contact (`ct_…`), or the system (both null)."""

    agent_id: str | None = None
    contact_id: str | None = None
    name: str


class GroupOut(msgspec.Struct, kw_only=True):
    id: str
    kind: str
    is_internal: bool
    origin: str
    subject: str
    recipients: dict[str, list[str]]
    author: AuthorOut
    created_at: datetime
    messages: list[MessageOut]
    # A system line's event and values (e.g. {"event": "transferred", "from": …, "to": …}); else null.
    line: dict[str, str] | None = None
    # An outgoing email or forward: how its mails are doing (one per forwarded-to address).
    deliveries: list[DeliveryOut] = msgspec.field(default_factory=list)


class ThreadPage(msgspec.Struct, kw_only=True):
    items: list[GroupOut]
    next_cursor: str | None
