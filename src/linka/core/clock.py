"""An injectable clock: code asks `clock.now()`; tests replace it with a FrozenClock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock(Clock):
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment


_current: Clock = Clock()


def now() -> datetime:
    return _current.now()


def use_clock(clock: Clock) -> Clock:
    """Install a clock process-wide; returns the previous one so tests can restore it."""
    global _current
    previous, _current = _current, clock
    return previous
