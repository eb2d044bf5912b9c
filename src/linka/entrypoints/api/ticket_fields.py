"""A ticket's custom field values: set by whoever may work the ticket, checked by kind."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, patch
from litestar.params import JSONBody, Parameter

from linka.domains.fields import queries as fields_queries
from linka.domains.tickets import field_actions
from linka.domains.tickets.tag_schemas import TicketFieldsIn, TicketFieldsOut
from linka.entrypoints.api.auth import CurrentActor, runtime_of

Code = Annotated[str, Parameter(max_length=16, description="ticket code, e.g. `XKQ-7A2-M9P`")]


@patch(
    "/tickets/{code:str}/fields",
    tags=["tickets"],
    summary="Set custom field values of a ticket you may work; a bad value changes none (422)",
)
async def set_ticket_fields(
    request: Request[Any, Any, Any], actor: CurrentActor, code: Code, data: JSONBody[TicketFieldsIn]
) -> TicketFieldsOut:
    async with runtime_of(request).uow(actor) as uow:
        ticket = await field_actions.set_ticket_fields(uow, code=code, values=data.fields)
        values = await fields_queries.values_of(uow.session, "ticket", [ticket.id])
        return TicketFieldsOut(ticket=ticket.code, fields=values.get(ticket.id, {}))


routes = [set_ticket_fields]
