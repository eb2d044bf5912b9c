"""The transition table, exhaustively: every (from, to) pair is allowed exactly when DOMAIN.md says so."""

from __future__ import annotations

import itertools

import pytest

from linka.core.errors import Conflict
from linka.domains.tickets.statuses import TRANSITIONS, Status, check_transition, may_move

S = Status
# Written out independently of statuses.py from ../shared/DOMAIN.md, so a slip in either shows.
ALLOWED = {
    (S.INIT, S.NEW),
    (S.INIT, S.CHATTING),
    (S.INIT, S.CALLING),
    (S.INIT, S.DELETED),
    (S.INIT, S.SPAM),
    *((S.NEW, t) for t in (S.ANSWERED, S.POSTPONED, S.RESOLVED, S.DELETED, S.SPAM, S.CHATTING, S.CALLING)),
    *((S.ANSWERED, t) for t in (S.OPEN, S.POSTPONED, S.RESOLVED, S.DELETED, S.SPAM, S.CHATTING, S.CALLING)),
    *((S.OPEN, t) for t in (S.ANSWERED, S.POSTPONED, S.RESOLVED, S.DELETED, S.SPAM, S.CHATTING, S.CALLING)),
    *(
        (S.POSTPONED, t)
        for t in (S.NEW, S.OPEN, S.ANSWERED, S.RESOLVED, S.DELETED, S.SPAM, S.CHATTING, S.CALLING)
    ),
    *(
        (live, t)
        for live in (S.CHATTING, S.CALLING)
        for t in (S.NEW, S.ANSWERED, S.OPEN, S.POSTPONED, S.RESOLVED, S.DELETED, S.SPAM)
    ),
    *((S.RESOLVED, t) for t in (S.OPEN, S.ANSWERED, S.CLOSED, S.DELETED, S.SPAM, S.CHATTING, S.CALLING)),
    (S.CLOSED, S.DELETED),
    (S.CLOSED, S.SPAM),
    *((S.SPAM, t) for t in (S.NEW, S.ANSWERED, S.OPEN, S.POSTPONED, S.RESOLVED, S.CLOSED, S.DELETED)),
    *((S.DELETED, t) for t in (S.NEW, S.ANSWERED, S.OPEN, S.POSTPONED, S.RESOLVED, S.CLOSED, S.SPAM)),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(Status, Status)))
def test_every_move(current: Status, target: Status) -> None:
    allowed = (current, target) in ALLOWED or (current is target and current is not S.CLOSED)
    assert may_move(current, target) is allowed
    if allowed:
        assert check_transition(current, target) is target
    else:
        with pytest.raises(Conflict) as refused:
            check_transition(current.value, target.value)
        assert refused.value.fields["status"]
        assert str(target) in refused.value.message


def test_nothing_moves_back_to_init_and_every_status_has_a_row() -> None:
    assert set(TRANSITIONS) == set(Status)
    assert all(S.INIT not in targets for targets in TRANSITIONS.values())


def test_a_closed_ticket_is_locked_even_against_itself() -> None:
    with pytest.raises(Conflict, match="locked"):
        check_transition(S.CLOSED, S.CLOSED)
