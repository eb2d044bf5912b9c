"""Domain events and the bus that hands them to in-transaction handlers and after-commit publishers."""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from linka.core.uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_HANDLER_DEPTH = 5


@dataclasses.dataclass(frozen=True, kw_only=True)
class Event:
    """Something that happened. Subclasses are frozen dataclasses named in the past tense."""

    name: ClassVar[str] = "event"

    def payload(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if not k.startswith("_")}


Handler = Callable[["UnitOfWork", Any], Awaitable[None]]
Publisher = Callable[[list[Event]], Awaitable[None]]


class EventBus:
    """In-transaction handlers run before commit (they may write, and record further events);
    publishers run after commit and must never fail the request."""

    def __init__(self) -> None:
        self._handlers: dict[type[Event], list[Handler]] = defaultdict(list)
        self._publishers: list[Publisher] = []

    def on(self, event_type: type[Event], handler: Handler) -> None:
        self._handlers[event_type].append(handler)

    def add_publisher(self, publisher: Publisher) -> None:
        self._publishers.append(publisher)

    def handlers_for(self, event: Event) -> list[Handler]:
        found: list[Handler] = []
        for cls in type(event).__mro__:
            found.extend(self._handlers.get(cls, ()))
        return found

    async def publish(self, events: list[Event]) -> None:
        for publisher in self._publishers:
            try:
                await publisher(events)
            except Exception:  # a lost publish costs nothing: clients re-sync on reconnect
                log.exception("publishing %d events failed", len(events))
