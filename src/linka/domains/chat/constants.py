"""The chat domain's fixed vocabularies and limits, shared by its actions, queries and entry points."""

from __future__ import annotations

from enum import StrEnum


class RoutingMethod(StrEnum):
    RANDOM = "random"  # any available agent
    AVERAGE = "average"  # average utilisation: the agent with the fewest running chats
    MAX = "max"  # max utilisation: fill one agent's slots before the next
    RING_ALL = "ring_all"  # every available agent at once; the first to accept takes it
    PRIORITY = "priority"  # by the button's agent priorities, highest first


class ChatState(StrEnum):
    QUEUED = "queued"  # waiting for an agent (offers may be ringing)
    ACTIVE = "active"
    ENDED = "ended"
    MISSED = "missed"  # nobody took it in time: the ticket is `new`


class OfferOutcome(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"  # someone else took it, or the chat ended


class Rating(StrEnum):
    GOOD = "good"
    NEUTRAL = "neutral"
    BAD = "bad"


class PrechatKind(StrEnum):
    TEXT = "text"
    EMAIL = "email"
    TEXTAREA = "textarea"
    SELECT = "select"


class InvitationField(StrEnum):
    PAGE_URL = "page_url"
    REFERRER = "referrer"
    TIME_ON_SITE = "time_on_site"  # seconds since the visit started
    VISITS = "visits"
    PAGE_VIEWS = "page_views"


class InvitationOp(StrEnum):
    CONTAINS = "contains"
    EQUALS = "equals"
    STARTS_WITH = "starts_with"
    AT_LEAST = "at_least"  # numbers only


# Ticket statuses a chat may leave its ticket in when it ends.
END_STATUSES = ("answered", "resolved", "open")
LANGUAGES = ("en", "cs", "hu")

MAX_MESSAGE_CHARS = 5000
MAX_FRAME_BYTES = 16 * 1024
MAX_FILE_BYTES = 10 * 1024 * 1024
# What a visitor may upload: documents and pictures, never anything a browser or OS would run.
FILE_TYPES = {
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "application/pdf": (".pdf",),
    "text/plain": (".txt", ".log"),
    "text/csv": (".csv",),
    "application/zip": (".zip",),
    "application/msword": (".doc",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.ms-excel": (".xls",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
}
# Limits of button settings an admin may choose.
RING_SECONDS = (5, 600)
MAX_CHATS_PER_AGENT = (1, 20)
INACTIVITY_MINUTES = (1, 24 * 60)
BREATHING_SECONDS = (0, 3600)
MISSED_AFTER_SECONDS = (30, 3600)
