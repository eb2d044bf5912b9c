"""Outgoing mail: the delivery status of a ticket's mails, and sending a failed mail again by hand.

A ticket's mails are for whoever sees the ticket (404 otherwise); retrying one needs the right to work
the ticket. System mails (password resets, invitations) are retried by holders of manage_channels.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK

from linka.core.pagination import MAX_LIMIT
from linka.domains.mail import delivery_actions, delivery_queries
from linka.domains.mail.queries import delivery_out
from linka.domains.mail.schemas import DeliveryOut
from linka.entrypoints.api.auth import CurrentActor, runtime_of

TicketCode = Annotated[str, Parameter(max_length=16, description="the ticket code, e.g. `XKQ-7A2-M9P`")]
MailId = Annotated[int, Parameter(ge=1, le=2**63 - 1, description="the `id` of a delivery")]
Cursor = Annotated[str | None, Parameter(max_length=400, description="`next_cursor` of the previous page")]
Limit = Annotated[int | None, Parameter(ge=1, le=MAX_LIMIT, description=f"page size, at most {MAX_LIMIT}")]


@get(
    "/tickets/{code:str}/deliveries",
    tags=["tickets"],
    summary="Delivery status of a ticket's outgoing mails, newest first",
)
async def list_ticket_deliveries(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    code: TicketCode,
    cursor: Cursor = None,
    limit: Limit = None,
) -> delivery_queries.TicketDeliveryPage:
    """Each reply, forward and acknowledgement mailed on the ticket: `queued` (with the next attempt
    and, after a failed attempt, its reason), `sent`, or `failed` with the reason."""
    async with runtime_of(request).db.read_session() as session:
        return await delivery_queries.ticket_deliveries(session, actor, code, cursor=cursor, limit=limit)


@post(
    "/outgoing-mail/{mail_id:int}/retry",
    tags=["tickets"],
    status_code=HTTP_200_OK,
    summary="Send a failed mail again now",
)
async def retry_outgoing_mail(
    request: Request[Any, Any, Any], actor: CurrentActor, mail_id: MailId
) -> DeliveryOut:
    """Back in the queue, due now, with a fresh set of attempts. A mail already sent answers 409."""
    async with runtime_of(request).uow(actor) as uow:
        mail = await delivery_actions.retry_mail(uow, mail_id=mail_id)
        return delivery_out(mail)


routes = [list_ticket_deliveries, retry_outgoing_mail]
