"""Who is on which ticket right now, as heard on the channel from every process. Entries expire unless
refreshed (a process that dies stops refreshing, so its agents fade out)."""

from __future__ import annotations

import time
from dataclasses import dataclass

PRESENCE_TTL = 60.0  # seconds an announcement holds
HEARTBEAT = 20.0  # how often a connection re-announces itself


@dataclass
class Viewer:
    connection: str
    agent_id: int
    name: str
    typing: bool
    expires: float


class PresenceBoard:
    def __init__(self) -> None:
        self._tickets: dict[str, dict[str, Viewer]] = {}

    def apply(self, message: dict[str, object], now: float | None = None) -> bool:
        """Takes one presence message; True when what people see of that ticket changed."""
        now = time.monotonic() if now is None else now
        ticket, connection = str(message["ticket"]), str(message["conn"])
        viewers = self._tickets.setdefault(ticket, {})
        before = self.summary(ticket, now)
        if message.get("state") == "gone":
            viewers.pop(connection, None)
        else:
            viewers[connection] = Viewer(
                connection=connection,
                agent_id=int(str(message["agent"])),
                name=str(message["name"]),
                typing=bool(message.get("typing")),
                expires=now + PRESENCE_TTL,
            )
        if not viewers:
            self._tickets.pop(ticket, None)
        return self.summary(ticket, now) != before

    def summary(
        self, ticket: str, now: float | None = None, *, except_agent: int | None = None
    ) -> list[dict[str, object]]:
        """One entry per agent (several tabs count once; writing in any of them counts), sorted by name."""
        now = time.monotonic() if now is None else now
        agents: dict[int, dict[str, object]] = {}
        for viewer in self._tickets.get(ticket, {}).values():
            if viewer.expires < now or viewer.agent_id == except_agent:
                continue
            entry = agents.setdefault(viewer.agent_id, {"name": viewer.name, "typing": False})
            entry["typing"] = bool(entry["typing"]) or viewer.typing
        return sorted(agents.values(), key=lambda entry: str(entry["name"]))

    def expire(self, now: float | None = None) -> list[str]:
        """Drops stale entries; the tickets whose viewers changed."""
        now = time.monotonic() if now is None else now
        changed = []
        for ticket, viewers in list(self._tickets.items()):
            stale = [key for key, viewer in viewers.items() if viewer.expires < now]
            for key in stale:
                del viewers[key]
            if stale:
                changed.append(ticket)
            if not viewers:
                del self._tickets[ticket]
        return changed
