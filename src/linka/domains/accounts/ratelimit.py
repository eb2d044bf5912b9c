"""Rate limits on guessing: logins, two-factor codes and password-reset requests.

Two limits, both moving windows from the `limits` library (memory by default, Redis when configured so
that every process shares the counters):

- per account: failed attempts (a wrong password or code) for one email / agent;
- per client address: every attempt, good or bad.

Entry points ask *before* checking anything, so a limited caller never gets a password verified.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from linka.core.errors import RateLimited


def storage_uri(redis_url: str) -> str:
    """`async+redis://…` for a Redis URL, else process memory."""
    if not redis_url:
        return "async+memory://"
    if redis_url.startswith("async+"):
        return redis_url
    return f"async+{redis_url}"


class AuthLimiter:
    def __init__(self, *, per_account: str, per_ip: str, storage: str = "async+memory://") -> None:
        self.storage_uri = storage
        self.per_account: RateLimitItem = parse(per_account)
        self.per_ip: RateLimitItem = parse(per_ip)
        self._built: MovingWindowRateLimiter | None = None

    @property
    def _limiter(self) -> MovingWindowRateLimiter:
        # Built on first use: the memory storage needs a running event loop.
        if self._built is None:
            storage = storage_from_string(self.storage_uri)
            if not isinstance(storage, Storage):
                raise ValueError(f"{self.storage_uri!r} is not an async rate-limit storage (use async+…://)")
            self._built = MovingWindowRateLimiter(storage)
        return self._built

    async def _refuse(self, item: RateLimitItem, *identifiers: str) -> None:
        stats = await self._limiter.get_window_stats(item, *identifiers)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(f"too many attempts; try again in {retry_after} seconds", retry_after=retry_after)

    async def attempt(self, *, ip: str, account: str | None, kind: str = "login") -> None:
        """Count an attempt from `ip` and refuse it when the address or the account is over its limit.
        `account` is a stable key (a normalised email or an agent id); `kind` separates counters."""
        if not await self._limiter.hit(self.per_ip, "ip", kind, ip):
            await self._refuse(self.per_ip, "ip", kind, ip)
        if account is not None and not await self._limiter.test(self.per_account, "account", kind, account):
            await self._refuse(self.per_account, "account", kind, account)

    async def failed(self, *, account: str, kind: str = "login") -> None:
        """Record a failure against the account (a wrong password or code)."""
        await self._limiter.hit(self.per_account, "account", kind, account)

    async def close(self) -> None:
        """Stop the memory storage's expiry timer (Redis counters are shared and stay)."""
        if self._built is not None:
            timer = getattr(self._built.storage, "timer", None)
            if timer is not None and not timer.done():
                timer.cancel()
