"""Events of the answers domain."""

from __future__ import annotations

from dataclasses import dataclass

from linka.core.events import Event


@dataclass(frozen=True, kw_only=True)
class AnswerChanged(Event):
    """An answer was created, changed or deleted (`change`); pickers of its scope refresh."""

    name = "answer.changed"
    answer_id: int
    change: str
    scope: str
    department_id: int | None = None
    owner_agent_id: int | None = None
