"""One operation on many tickets, each in its own unit of work: one refused ticket does not stop the
others. Used by the API's POST /tickets/mass and the inbox's bulk actions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from linka.core.errors import Invalid, LinkaError
from linka.core.uow import UnitOfWork
from linka.domains.tickets import actions, routing_actions, status_actions
from linka.domains.tickets.statuses import Priority, Status

MASS_ACTIONS = ("assign", "unassign", "transfer", "status", "priority")


@dataclass(frozen=True)
class MassOperation:
    action: str
    agent_id: int | None = None
    department_id: int | None = None
    status: Status | None = None
    priority: Priority | None = None

    def check(self) -> None:
        if self.action not in MASS_ACTIONS:
            raise Invalid("action", "must be one of %(choices)s", values={"choices": ", ".join(MASS_ACTIONS)})
        if self.action == "assign" and self.agent_id is None:
            raise Invalid("agent", "assign needs an agent")
        if self.action == "transfer" and self.department_id is None and self.agent_id is None:
            raise Invalid("department", "transfer needs a department, an agent or both")
        if self.action == "status" and self.status is None:
            raise Invalid("status", "status needs a status")
        if self.action == "priority" and self.priority is None:
            raise Invalid("priority", "priority needs a priority")


async def _apply(uow: UnitOfWork, code: str, operation: MassOperation) -> None:
    if operation.action == "assign" and operation.agent_id is not None:
        await routing_actions.assign_ticket(uow, code=code, agent_id=operation.agent_id)
    elif operation.action == "unassign":
        await routing_actions.unassign_ticket(uow, code=code)
    elif operation.action == "transfer":
        await routing_actions.transfer_ticket(
            uow, code=code, department_id=operation.department_id, agent_id=operation.agent_id
        )
    elif operation.action == "status" and operation.status is not None:
        await status_actions.set_ticket_status(uow, code=code, status=operation.status)
    elif operation.action == "priority" and operation.priority is not None:
        await actions.update_ticket(uow, code=code, priority=operation.priority)


async def apply_to_tickets(
    open_uow: Callable[[], AbstractAsyncContextManager[UnitOfWork]],
    codes: Sequence[str],
    operation: MassOperation,
) -> list[tuple[str, LinkaError | None]]:
    """(code, None) for each ticket changed, (code, error) for each refused."""
    operation.check()
    results: list[tuple[str, LinkaError | None]] = []
    for code in codes:
        try:
            async with open_uow() as uow:
                await _apply(uow, code, operation)
            results.append((code, None))
        except LinkaError as error:
            results.append((code, error))
    return results
