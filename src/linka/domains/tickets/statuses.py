"""Ticket statuses, priorities and channels, and the one transition table every status change obeys.

The statuses are LiveAgent's. An operation (reply, resolve, a customer's message…) decides the status
it wants; `check_transition` says whether the table allows the move, and every action goes through it,
so no code path can put a ticket into a state the table does not allow. Staying in the same status is
always allowed (a second reply leaves a ticket answered), except that closed tickets are locked.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

from linka.core.errors import Conflict, Invalid


class Status(StrEnum):
    INIT = "init"
    NEW = "new"
    CHATTING = "chatting"
    CALLING = "calling"
    ANSWERED = "answered"
    OPEN = "open"
    POSTPONED = "postponed"
    RESOLVED = "resolved"
    CLOSED = "closed"
    SPAM = "spam"
    DELETED = "deleted"


S = Status
# Statuses a ticket can be restored to from spam or the trash (where it was before).
_RESTORABLE = frozenset({S.NEW, S.ANSWERED, S.OPEN, S.POSTPONED, S.RESOLVED, S.CLOSED})
_LIVE = frozenset({S.CHATTING, S.CALLING})

# from → the statuses it may move to. The whole lifecycle is here and nowhere else.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.INIT: frozenset({S.NEW, S.CHATTING, S.CALLING, S.DELETED, S.SPAM}),
    S.NEW: frozenset({S.ANSWERED, S.POSTPONED, S.RESOLVED, S.DELETED, S.SPAM} | _LIVE),
    S.ANSWERED: frozenset({S.OPEN, S.POSTPONED, S.RESOLVED, S.DELETED, S.SPAM} | _LIVE),
    S.OPEN: frozenset({S.ANSWERED, S.POSTPONED, S.RESOLVED, S.DELETED, S.SPAM} | _LIVE),
    S.POSTPONED: frozenset({S.NEW, S.OPEN, S.ANSWERED, S.RESOLVED, S.DELETED, S.SPAM} | _LIVE),
    # A live chat or call ends answered, or new when nobody took it (missed).
    S.CHATTING: frozenset({S.NEW, S.ANSWERED, S.OPEN, S.POSTPONED, S.RESOLVED, S.DELETED, S.SPAM}),
    S.CALLING: frozenset({S.NEW, S.ANSWERED, S.OPEN, S.POSTPONED, S.RESOLVED, S.DELETED, S.SPAM}),
    # A resolved ticket reopens (customer or agent), takes a further reply, or closes after N days.
    S.RESOLVED: frozenset({S.OPEN, S.ANSWERED, S.CLOSED, S.DELETED, S.SPAM} | _LIVE),
    # Closed is locked: only out of the way. A customer's reply starts a new, linked ticket.
    S.CLOSED: frozenset({S.DELETED, S.SPAM}),
    S.SPAM: _RESTORABLE | {S.DELETED},
    S.DELETED: _RESTORABLE | {S.SPAM},
}

# Categories an agent filters by ("open" in the sense of "needs work" vs. done vs. out of the way).
ACTIVE = frozenset({S.NEW, S.CHATTING, S.CALLING, S.ANSWERED, S.OPEN, S.POSTPONED})
DONE = frozenset({S.RESOLVED, S.CLOSED})
TRASH = frozenset({S.SPAM, S.DELETED})
# Statuses that a customer's message turns into `open` (DOMAIN: answered/postponed/resolved reopen).
REOPENED_BY_CUSTOMER = frozenset({S.ANSWERED, S.POSTPONED, S.RESOLVED})
# Statuses that "next ticket" and the importance sort consider waiting for an agent.
WAITING_FOR_AGENT = frozenset({S.NEW, S.OPEN})


def may_move(current: Status, target: Status) -> bool:
    if current is target:
        return current is not S.CLOSED
    return target in TRANSITIONS[current]


def check_transition(current: Status | str, target: Status | str) -> Status:
    """The target status when the table allows the move; otherwise a 409 that names both ends."""
    current, target = Status(current), Status(target)
    if not may_move(current, target):
        if current is S.CLOSED:
            raise Conflict(
                "status", "a closed ticket is locked; it cannot become %(target)s", values={"target": target}
            )
        raise Conflict(
            "status",
            "a ticket cannot go from %(current)s to %(target)s",
            values={"current": current, "target": target},
        )
    return target


def status_from_text(value: str, *, field: str = "status") -> Status:
    try:
        return Status(value)
    except ValueError:
        raise Invalid(
            field, "must be one of %(choices)s", values={"choices": ", ".join(s.value for s in Status)}
        ) from None


class Priority(IntEnum):
    LOW = 0
    NORMAL = 1
    HIGH = 2
    URGENT = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def from_text(cls, value: str, *, field: str = "priority") -> Priority:
        try:
            return cls[value.upper()]
        except KeyError:
            raise Invalid(field, "must be one of low, normal, high, urgent") from None


class Channel(StrEnum):
    """Where a ticket came from."""

    EMAIL = "email"
    CHAT = "chat"
    CALL = "call"
    FORM = "form"
    API = "api"
    WEB = "web"  # made by an agent in the app
