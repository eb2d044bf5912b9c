"""What the API accepts and returns for reply drafts (one per ticket and agent)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

import msgspec

from linka.domains.accounts.schemas import Input
from linka.domains.tickets.thread_schemas import HTML_MAX, MAX_RECIPIENTS, AttachmentRefs


class DraftKind(StrEnum):
    REPLY = "reply"
    NOTE = "note"
    FORWARD = "forward"


ADDRESS_MAX = 254
SUBJECT_MAX = 500
# Addresses as typed: a draft keeps a half-written one; sending checks them.
TypedAddress = Annotated[str, msgspec.Meta(max_length=ADDRESS_MAX)]
TypedAddresses = Annotated[list[TypedAddress], msgspec.Meta(max_length=MAX_RECIPIENTS)]


class DraftIn(Input):
    """The whole draft (PUT replaces it): `body_html` is sanitised; `attachment_ids` name files
    uploaded to this ticket (`at_…`); `subject` is a forward's."""

    kind: Literal["reply", "note", "forward"] = "reply"
    body_html: Annotated[str, msgspec.Meta(max_length=HTML_MAX)] = ""
    to: TypedAddresses = []
    cc: TypedAddresses = []
    bcc: TypedAddresses = []
    subject: Annotated[str, msgspec.Meta(max_length=SUBJECT_MAX)] = ""
    attachment_ids: AttachmentRefs = []


class DraftOut(msgspec.Struct, kw_only=True):
    ticket: str
    kind: str
    body_html: str
    to: list[str]
    cc: list[str]
    bcc: list[str]
    subject: str
    attachment_ids: list[str]
    created_at: datetime
    updated_at: datetime


class DrafterOut(msgspec.Struct, kw_only=True):
    """A colleague writing on the same ticket (for a "Sára is replying" warning)."""

    agent: str
    name: str
    kind: str
    updated_at: datetime


class DraftState(msgspec.Struct, kw_only=True):
    """Your draft of a ticket (null when you have none) and who else is drafting on it."""

    draft: DraftOut | None
    others_drafting: list[DrafterOut]
