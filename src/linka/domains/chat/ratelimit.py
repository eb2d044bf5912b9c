"""A visitor's writes (lines, chats, offline messages, transcripts…) are rate-limited per visitor, in a
moving window shared by every process through Redis when configured: a flood from one visitor is
refused with `rate_limited` and a retry time, and nobody else is slowed."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from linka.core.errors import RateLimited

PER_VISITOR = "20/10seconds"
# Widgets arriving without a token (each becomes a visitor row) from one address: a page view a second
# is far beyond a person, a script creating rows is stopped.
NEW_VISITORS_PER_ADDRESS = "60/minute"


class VisitorLimiter:
    def __init__(self, storage: str, limit: str = PER_VISITOR) -> None:
        self.storage = storage
        self.item: RateLimitItem = parse(limit)
        self.new_visitors: RateLimitItem = parse(NEW_VISITORS_PER_ADDRESS)
        self._limiter: MovingWindowRateLimiter | None = None

    def _built(self) -> MovingWindowRateLimiter:
        if self._limiter is None:  # the memory storage needs a running loop: built on first use
            storage = storage_from_string(self.storage)
            if not isinstance(storage, Storage):
                raise ValueError(f"{self.storage!r} is not an async rate-limit storage (use async+…://)")
            self._limiter = MovingWindowRateLimiter(storage)
        return self._limiter

    async def hit(self, visitor_id: int) -> None:
        """Count one write of the visitor; over the limit raises RateLimited with the wait."""
        limiter = self._built()
        if not await limiter.hit(self.item, "chat-visitor", str(visitor_id)):
            stats = await limiter.get_window_stats(self.item, "chat-visitor", str(visitor_id))
            retry_after = max(1, math.ceil(stats.reset_time - time.time()))
            raise RateLimited("too many messages", retry_after=retry_after)

    async def new_visitor(self, address: str) -> None:
        """Count a widget arriving without a token from `address`; too many raise RateLimited."""
        limiter = self._built()
        if not await limiter.hit(self.new_visitors, "chat-new-visitor", address):
            stats = await limiter.get_window_stats(self.new_visitors, "chat-new-visitor", address)
            raise RateLimited(
                "too many new visitors", retry_after=max(1, math.ceil(stats.reset_time - time.time()))
            )

    async def close(self) -> None:
        """Stop the memory storage's expiry timer (Redis counters are shared and stay)."""
        if self._limiter is not None:
            timer = getattr(self._limiter.storage, "timer", None)
            if timer is not None and not timer.done():
                timer.cancel()
