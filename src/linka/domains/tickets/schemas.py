"""What the API accepts and returns for tickets. Tickets are addressed by code (`XKQ-7A2-M9P`), the
people and departments around them by public ids."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from linka.domains.accounts.schemas import Email, Input

PublicRef = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
Code = Annotated[str, msgspec.Meta(min_length=9, max_length=16)]
Subject = Annotated[str, msgspec.Meta(max_length=500)]
PriorityName = Literal["low", "normal", "high", "urgent"]
Language = Literal["en", "cs", "hu"]
StatusName = Literal[
    "new", "answered", "open", "postponed", "resolved", "closed", "spam", "deleted", "chatting", "calling"
]
SettableStatus = Literal["new", "answered", "open", "resolved", "closed", "spam", "deleted"]


class TicketIn(Input):
    """Create a ticket for a contact: name them by id (`contact`) or by email (`contact_email`,
    found or created; `contact_name` names a new one)."""

    subject: Subject
    department: PublicRef
    contact: PublicRef | None = None
    contact_email: Email | None = None
    contact_name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    assignee: PublicRef | None = None
    priority: PriorityName = "normal"
    language: Language | None = None
    cc: Annotated[list[PublicRef], msgspec.Meta(max_length=20)] = []
    # Custom field values by key; required ticket fields must be given here.
    fields: dict[str, object] = {}


class TicketPatch(Input):
    """Only the fields given change; `cc` replaces the whole list."""

    subject: Subject | UnsetType = UNSET
    priority: PriorityName | UnsetType = UNSET
    language: Language | UnsetType = UNSET
    cc: Annotated[list[PublicRef], msgspec.Meta(max_length=20)] | UnsetType = UNSET


class AssignIn(Input):
    agent: PublicRef


class TransferIn(Input):
    """Another department, another agent, or both (the agent must work tickets there)."""

    department: PublicRef | None = None
    agent: PublicRef | None = None


class StatusIn(Input):
    """A status, or a custom status (`custom_status`, `ts_…`) whose category the ticket takes."""

    status: SettableStatus | None = None
    custom_status: PublicRef | None = None


class PostponeIn(Input):
    until: datetime


class MergeIn(Input):
    """The tickets (codes) to merge into the ticket of the path."""

    sources: Annotated[list[Code], msgspec.Meta(min_length=1, max_length=50)]


class SplitIn(Input):
    """The message group (its id from the thread) to move to a new ticket, and that ticket's subject."""

    group: PublicRef
    subject: Subject | None = None


class PurgeIn(Input):
    codes: Annotated[list[Code], msgspec.Meta(min_length=1, max_length=100)]


class MassIn(Input):
    """One operation on many tickets; each ticket succeeds or fails on its own."""

    codes: Annotated[list[Code], msgspec.Meta(min_length=1, max_length=100)]
    action: Literal["assign", "unassign", "transfer", "status", "priority"]
    agent: PublicRef | None = None
    department: PublicRef | None = None
    status: SettableStatus | None = None
    priority: PriorityName | None = None


class ContactRef(msgspec.Struct):
    id: str
    name: str
    email: str | None


class TagRef(msgspec.Struct):
    id: str
    name: str
    colour: str
    is_public: bool


class TicketMetrics(msgspec.Struct):
    first_assigned_at: datetime | None
    first_agent_reply_at: datetime | None
    last_agent_reply_at: datetime | None
    last_customer_message_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    reopen_count: int
    agent_reply_count: int
    customer_message_count: int
    transfer_count: int


class TicketOut(msgspec.Struct):
    code: str
    subject: str
    status: str
    custom_status: str | None
    priority: str
    channel: str
    language: str
    contact: ContactRef
    cc: list[ContactRef]
    department: str
    assignee: str | None
    tags: list[TagRef]
    fields: dict[str, object]
    created_at: datetime
    updated_at: datetime
    last_activity_at: datetime
    postponed_until: datetime | None
    sla_due_at: datetime | None
    merged_into: str | None
    follow_up_of: str | None
    metrics: TicketMetrics


class TicketPage(msgspec.Struct):
    items: list[TicketOut]
    next_cursor: str | None


class StatusCounts(msgspec.Struct):
    counts: dict[str, int]


class NextTicketOut(msgspec.Struct):
    """The ticket handed to you, or null when nothing is waiting that you may work."""

    ticket: TicketOut | None


class MassResult(msgspec.Struct):
    code: str
    ok: bool
    error: dict[str, object] | None = None


class MassOut(msgspec.Struct):
    results: list[MassResult]


class PurgeOut(msgspec.Struct):
    purged: list[str]


class HistoryItem(msgspec.Struct):
    at: datetime
    actor: str
    origin: str
    action: str
    before: dict[str, object] | None
    after: dict[str, object] | None


class HistoryPage(msgspec.Struct):
    items: list[HistoryItem]
    next_cursor: str | None


ViewFilters = dict[str, str | list[str]]


class ViewIn(Input):
    """A saved filter: `filters` holds GET /tickets query parameters (`{"status": ["new", "open"],
    "assignee": "me"}`); `department` shares it with that department (supervisors)."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    filters: ViewFilters = {}
    sort: Literal["importance", "activity"] = "importance"
    department: PublicRef | None = None


class ViewPatch(Input):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=120)] | UnsetType = UNSET
    filters: ViewFilters | UnsetType = UNSET
    sort: Literal["importance", "activity"] | UnsetType = UNSET


class ViewOut(msgspec.Struct):
    id: str
    name: str
    filters: ViewFilters
    sort: str
    department: str | None
    mine: bool


class ViewList(msgspec.Struct):
    items: list[ViewOut]


class TicketSettingsIn(Input):
    """`close_resolved_after_days`: 0 never closes; null follows the server's default."""

    close_resolved_after_days: Annotated[int, msgspec.Meta(ge=0, le=365)] | None


class TicketSettingsOut(msgspec.Struct):
    close_resolved_after_days: int
    # True when the value is the server's default (LINKA_CLOSE_RESOLVED_AFTER_DAYS), not one set here.
    is_default: bool
