"""A progress line on stderr (count, rate, ETA) for a long phase, and the time each phase took."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Progress:
    """One updating line on a terminal; elsewhere (a log) a line every tenth of the way."""

    def __init__(self, label: str, total: int, unit: str, *, quiet: bool = False) -> None:
        self.label, self.total, self.unit, self.quiet = label, total, unit, quiet
        self.done = 0
        self.started = self.shown = time.perf_counter()
        self.tty = sys.stderr.isatty()
        self.next_tenth = 1

    def advance(self, count: int) -> None:
        self.done += count
        if self.quiet:
            return
        now = time.perf_counter()
        if self.tty and now - self.shown >= 0.5:
            self.shown = now
            sys.stderr.write("\r" + self._line(now))
            sys.stderr.flush()
        elif not self.tty and self.done * 10 >= self.next_tenth * self.total:
            self.next_tenth = self.done * 10 // max(1, self.total) + 1
            sys.stderr.write(self._line(now) + "\n")

    def close(self) -> None:
        if self.tty and not self.quiet:
            sys.stderr.write("\r" + self._line(time.perf_counter()) + "\n")

    def _line(self, now: float) -> str:
        took = now - self.started
        rate = self.done / took if took > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        share = 100 * self.done / max(1, self.total)
        return (
            f"  {self.label}: {self.done:,}/{self.total:,} {share:3.0f}%  {rate:,.0f} {self.unit}/s  "
            f"{'ETA' if self.done < self.total else 'in'} {_clock(left if self.done < self.total else took)}   "
        )


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


class Phases:
    """How long each phase took, printed as it ends."""

    def __init__(self, quiet: bool = False) -> None:
        self.seconds: dict[str, float] = {}
        self.quiet = quiet

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        if not self.quiet:
            print(f"{name} …", flush=True)
        started = time.perf_counter()
        yield
        took = time.perf_counter() - started
        self.seconds[name] = self.seconds.get(name, 0.0) + took
        if not self.quiet:
            print(f"  {name}: {took:.1f} s", flush=True)
