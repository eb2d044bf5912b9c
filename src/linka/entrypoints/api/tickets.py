"""Tickets: list, counts, create, show, change, route, status, postpone, restore, purge, next ticket,
history and mass actions. Tickets are addressed by code; merged codes lead to the ticket they went into."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Request, get, patch, post
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK

from linka.core.errors import Invalid
from linka.core.pagination import MAX_LIMIT
from linka.core.permissions import require_write
from linka.domains.accounts import queries as accounts_queries
from linka.domains.contacts import actions as contacts_actions
from linka.domains.contacts import queries as contacts_queries
from linka.domains.fields import actions as fields_actions
from linka.domains.tickets import (
    actions,
    custom_status_queries,
    history_queries,
    list_queries,
    merge_actions,
    routing_actions,
    saved_view_queries,
    status_actions,
    view_queries,
)
from linka.domains.tickets import queries as ticket_queries
from linka.domains.tickets.mass_actions import MassOperation, apply_to_tickets
from linka.domains.tickets.schemas import (
    AssignIn,
    HistoryPage,
    MassIn,
    MassOut,
    MassResult,
    MergeIn,
    NextTicketOut,
    PostponeIn,
    PurgeIn,
    PurgeOut,
    SplitIn,
    StatusCounts,
    StatusIn,
    TicketIn,
    TicketOut,
    TicketPage,
    TicketPatch,
    TransferIn,
)
from linka.domains.tickets.statuses import Channel, Priority, Status
from linka.entrypoints.api.auth import CurrentActor, runtime_of
from linka.entrypoints.api.errors import error_body
from linka.entrypoints.api.ticket_filters import filters_from_params, search_text

Cursor = Annotated[str | None, Parameter(max_length=400, description="`next_cursor` of the previous page")]
Limit = Annotated[int | None, Parameter(ge=1, le=MAX_LIMIT, description=f"page size, at most {MAX_LIMIT}")]
Code = Annotated[str, Parameter(max_length=16, description="ticket code, e.g. `XKQ-7A2-M9P`")]
Refs = Annotated[list[str] | None, Parameter(max_items=20)]
Moment = Annotated[datetime | None, Parameter(description="ISO 8601 with a time zone")]


@get("/tickets", tags=["tickets"], summary="Tickets you may see, filtered and sorted (keyset pages)")
async def list_tickets(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    cursor: Cursor = None,
    limit: Limit = None,
    sort: Annotated[
        str | None, Parameter(max_length=16, description="importance (SLA due, priority, age) or activity")
    ] = None,
    view: Annotated[str | None, Parameter(max_length=32, description="a saved view, `vw_…`")] = None,
    q: Annotated[
        str | None,
        Parameter(max_length=1000, description="search words (all must match); sorts by relevance"),
    ] = None,
    status: Refs = None,
    category: Annotated[str | None, Parameter(description="active, done or trash")] = None,
    department: Refs = None,
    assignee: Annotated[
        str | None, Parameter(max_length=32, description="me, unassigned, anyone or `ag_…`")
    ] = None,
    tag: Refs = None,
    channel: Refs = None,
    priority: Refs = None,
    contact: Annotated[str | None, Parameter(max_length=32)] = None,
    company: Annotated[str | None, Parameter(max_length=32)] = None,
    field: Annotated[
        list[str] | None,
        Parameter(
            max_items=20, description="custom field `key:value`, or `key:low..high` for numbers and dates"
        ),
    ] = None,
    created_from: Moment = None,
    created_to: Moment = None,
    updated_from: Moment = None,
    updated_to: Moment = None,
) -> TicketPage:
    """Without `status` or `category`, everything but spam and deleted tickets. Several values of one
    filter mean any of them; several filters must all hold; all tags named must be on a ticket.
    `q` searches code, subject, thread, contact and tags (see docs/tickets.md); with it the default
    order is `relevance`.
    `view` applies a saved view; parameters given beside it override the view's."""
    given = {
        "status": status,
        "category": category,
        "department": department,
        "assignee": assignee,
        "tag": tag,
        "channel": channel,
        "priority": priority,
        "contact": contact,
        "company": company,
        "field": field,
        "created_from": created_from,
        "created_to": created_to,
        "updated_from": updated_from,
        "updated_to": updated_to,
    }
    async with runtime_of(request).db.read_session() as session:
        params: dict[str, Any] = {}
        if view is not None:
            saved = await saved_view_queries.usable_view(session, actor, view)
            params.update(saved.filters)
            sort = sort if sort is not None else saved.sort
        params.update({key: value for key, value in given.items() if value is not None})
        search = q if q is not None else search_text(params)
        filters = await filters_from_params(session, actor, params)
        page = await list_queries.list_tickets(
            session,
            actor,
            filters,
            sort=sort or ("relevance" if search else "importance"),
            cursor=cursor,
            limit=limit,
            search=search,
        )
        return TicketPage(
            items=await view_queries.ticket_outs(session, page.items), next_cursor=page.next_cursor
        )


@get("/tickets/counts", tags=["tickets"], summary="How many tickets you may see in each status")
async def count_tickets(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    department: Refs = None,
    assignee: Annotated[
        str | None, Parameter(max_length=32, description="me, unassigned, anyone or `ag_…`")
    ] = None,
) -> StatusCounts:
    async with runtime_of(request).db.read_session() as session:
        filters = await filters_from_params(session, actor, {"department": department, "assignee": assignee})
        return StatusCounts(counts=await list_queries.count_by_status(session, actor, filters))


@post(
    "/tickets",
    tags=["tickets"],
    summary="Create a ticket for a contact (by id, or by email: found or created)",
)
async def create_ticket(
    request: Request[Any, Any, Any], actor: CurrentActor, data: JSONBody[TicketIn]
) -> TicketOut:
    if (data.contact is None) == (data.contact_email is None):
        raise Invalid("contact", "give either contact or contact_email")
    async with runtime_of(request).uow(actor) as uow:
        department_id = await accounts_queries.department_id_for_field(
            uow.session, data.department, field="department"
        )
        if data.contact is not None:
            contact_id = await contacts_queries.contact_id_of(
                uow.session, actor, data.contact, field="contact"
            )
        else:
            contact = await contacts_actions.contact_for_email(
                uow,
                email=str(data.contact_email),
                name=data.contact_name,
                language=data.language,
                field="contact_email",
            )
            contact_id = contact.id
        assignee_id = None
        if data.assignee is not None:
            assignee_id = await accounts_queries.agent_id_for_field(
                uow.session, data.assignee, field="assignee"
            )
        ticket = await actions.create_ticket(
            uow,
            subject=data.subject,
            contact_id=contact_id,
            department_id=department_id,
            assignee_id=assignee_id,
            channel=Channel.API if actor.api_key_id is not None else Channel.WEB,
            language=data.language,
            priority=Priority.from_text(data.priority),
            contact_found_by_address=data.contact_email is not None,
        )
        if data.cc:
            cc = [
                await contacts_queries.contact_id_of(uow.session, actor, ref, field="cc") for ref in data.cc
            ]
            await actions.update_ticket(uow, code=ticket.code, cc_contact_ids=cc)
        await fields_actions.set_values(
            uow, entity="ticket", entity_id=ticket.id, values=dict(data.fields), creating=True
        )
        return await view_queries.ticket_out(uow.session, ticket)


@get("/tickets/{code:str}", tags=["tickets"], summary="One ticket (a merged ticket's code shows its target)")
async def get_ticket(request: Request[Any, Any, Any], actor: CurrentActor, code: Code) -> TicketOut:
    async with runtime_of(request).db.read_session() as session:
        ticket = await ticket_queries.visible_ticket(session, actor, code)
        return await view_queries.ticket_out(session, ticket)


@patch("/tickets/{code:str}", tags=["tickets"], summary="Change subject, priority, language or CC contacts")
async def update_ticket(
    request: Request[Any, Any, Any], actor: CurrentActor, code: Code, data: JSONBody[TicketPatch]
) -> TicketOut:
    async with runtime_of(request).uow(actor) as uow:
        cc = None
        if isinstance(data.cc, list):
            cc = [
                await contacts_queries.contact_id_of(uow.session, actor, ref, field="cc") for ref in data.cc
            ]
        ticket = await actions.update_ticket(
            uow,
            code=code,
            subject=data.subject if isinstance(data.subject, str) else None,
            priority=Priority.from_text(data.priority) if isinstance(data.priority, str) else None,
            language=data.language if isinstance(data.language, str) else None,
            cc_contact_ids=cc,
        )
        return await view_queries.ticket_out(uow.session, ticket)


@post("/tickets/{code:str}/assign", tags=["tickets"], status_code=HTTP_200_OK, summary="Assign to an agent")
async def assign_ticket(
    request: Request[Any, Any, Any], actor: CurrentActor, code: Code, data: JSONBody[AssignIn]
) -> TicketOut:
    async with runtime_of(request).uow(actor) as uow:
        agent_id = await accounts_queries.agent_id_for_field(uow.session, data.agent, field="agent")
        ticket = await routing_actions.assign_ticket(uow, code=code, agent_id=agent_id)
        return await view_queries.ticket_out(uow.session, ticket)


@post(
    "/tickets/{code:str}/unassign",
    tags=["tickets"],
    status_code=HTTP_200_OK,
    summary="Back to the department",
)
async def unassign_ticket(request: Request[Any, Any, Any], actor: CurrentActor, code: Code) -> TicketOut:
    async with runtime_of(request).uow(actor) as uow:
        ticket = await routing_actions.unassign_ticket(uow, code=code)
        return await view_queries.ticket_out(uow.session, ticket)


@post(
    "/tickets/{code:str}/transfer",
    tags=["tickets"],
    status_code=HTTP_200_OK,
    summary="Transfer to another department and/or agent (counted as a transfer)",
)
async def transfer_ticket(
    request: Request[Any, Any, Any], actor: CurrentActor, code: Code, data: JSONBody[TransferIn]
) -> TicketOut:
    async with runtime_of(request).uow(actor) as uow:
        department_id = agent_id = None
        if data.department is not None:
            department_id = await accounts_queries.department_id_for_field(
                uow.session, data.department, field="department"
            )
        if data.agent is not None:
            agent_id = await accounts_queries.agent_id_for_field(uow.session, data.agent, field="agent")
        ticket = await routing_actions.transfer_ticket(
            uow, code=code, department_id=department_id, agent_id=agent_id
        )
        return await view_queries.ticket_out(uow.session, ticket)


@post(
    "/tickets/{code:str}/status",
    tags=["tickets"],
    status_code=HTTP_200_OK,
    summary="Change the status: resolve, reopen, spam, delete… (or a custom status)",
)
async def set_status(
    request: Request[Any, Any, Any], actor: CurrentActor, code: Code, data: JSONBody[StatusIn]
) -> TicketOut:
    if (data.status is None) == (data.custom_status is None):
        raise Invalid("status", "give either status or custom_status")
    async with runtime_of(request).uow(actor) as uow:
        if data.custom_status is not None:
            custom = await custom_status_queries.custom_status_by_public_id(
                uow.session, data.custom_status, field="custom_status"
            )
            target, custom_id = Status(custom.category), custom.id
        else:
            target, custom_id = Status(str(data.status)), None
        ticket = await status_actions.set_ticket_status(
            uow, code=code, status=target, custom_status_id=custom_id
        )
        return await view_queries.ticket_out(uow.session, ticket)


@post(
    "/tickets/{code:str}/postpone", tags=["tickets"], status_code=HTTP_200_OK, summary="Postpone until a time"
)
async def postpone_ticket(
    request: Request[Any, Any, Any], actor: CurrentActor, code: Code, data: JSONBody[PostponeIn]
) -> TicketOut:
    async with runtime_of(request).uow(actor) as uow:
        ticket = await status_actions.postpone_ticket(uow, code=code, until=data.until)
        return await view_queries.ticket_out(uow.session, ticket)


@post(
    "/tickets/{code:str}/restore",
    tags=["tickets"],
    status_code=HTTP_200_OK,
    summary="Out of spam or the trash, back to the status it had",
)
async def restore_ticket(request: Request[Any, Any, Any], actor: CurrentActor, code: Code) -> TicketOut:
    async with runtime_of(request).uow(actor) as uow:
        ticket = await status_actions.restore_ticket(uow, code=code)
        return await view_queries.ticket_out(uow.session, ticket)


@post(
    "/tickets/{code:str}/merge",
    tags=["tickets"],
    status_code=HTTP_200_OK,
    summary="Merge other tickets into this one; their codes keep leading here",
)
async def merge_tickets(
    request: Request[Any, Any, Any], actor: CurrentActor, code: Code, data: JSONBody[MergeIn]
) -> TicketOut:
    async with runtime_of(request).uow(actor) as uow:
        ticket = await merge_actions.merge_tickets(uow, target_code=code, source_codes=data.sources)
        return await view_queries.ticket_out(uow.session, ticket)


@post("/tickets/{code:str}/split", tags=["tickets"], summary="Move one message group to a new ticket")
async def split_ticket(
    request: Request[Any, Any, Any], actor: CurrentActor, code: Code, data: JSONBody[SplitIn]
) -> TicketOut:
    async with runtime_of(request).uow(actor) as uow:
        ticket = await merge_actions.split_ticket(
            uow, code=code, group_public_id=data.group, subject=data.subject
        )
        return await view_queries.ticket_out(uow.session, ticket)


@post(
    "/tickets/purge",
    tags=["tickets"],
    status_code=HTTP_200_OK,
    summary="Remove tickets in spam or the trash for good, attachments too (owners)",
)
async def purge_tickets(
    request: Request[Any, Any, Any], actor: CurrentActor, data: JSONBody[PurgeIn]
) -> PurgeOut:
    runtime = runtime_of(request)
    async with runtime.uow(actor) as uow:
        purged = await status_actions.purge_tickets(uow, codes=data.codes)
    async with runtime.db.read_session() as session:
        await runtime.blobs.sweep_unreferenced(session, purged.blob_hashes)
    return PurgeOut(purged=purged.codes)


@post(
    "/tickets/next",
    tags=["tickets"],
    status_code=HTTP_200_OK,
    summary="Take the most important waiting ticket you may work; it is assigned to you",
)
async def next_ticket(request: Request[Any, Any, Any], actor: CurrentActor) -> NextTicketOut:
    async with runtime_of(request).uow(actor) as uow:
        ticket = await routing_actions.take_next_ticket(uow)
        return NextTicketOut(ticket=await view_queries.ticket_out(uow.session, ticket) if ticket else None)


@get("/tickets/{code:str}/history", tags=["tickets"], summary="Who changed what on the ticket, newest first")
async def ticket_history(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    code: Code,
    cursor: Cursor = None,
    limit: Limit = None,
) -> HistoryPage:
    async with runtime_of(request).db.read_session() as session:
        ticket = await ticket_queries.visible_ticket(session, actor, code)
        return await history_queries.ticket_history(session, ticket.id, cursor=cursor, limit=limit)


@post(
    "/tickets/mass",
    tags=["tickets"],
    status_code=HTTP_200_OK,
    summary="One operation on many tickets, with a result per ticket",
)
async def mass_action(
    request: Request[Any, Any, Any], actor: CurrentActor, data: JSONBody[MassIn]
) -> MassOut:
    """Each ticket runs in its own transaction: one refused ticket does not stop the others."""
    require_write(actor)  # a read-only key is refused as a whole, not ticket by ticket
    runtime = runtime_of(request)
    async with runtime.db.read_session() as session:
        agent_id = department_id = None
        if data.agent is not None:
            agent_id = await accounts_queries.agent_id_for_field(session, data.agent, field="agent")
        if data.department is not None:
            department_id = await accounts_queries.department_id_for_field(
                session, data.department, field="department"
            )
    operation = MassOperation(
        action=data.action,
        agent_id=agent_id,
        department_id=department_id,
        status=Status(str(data.status)) if data.status is not None else None,
        priority=Priority.from_text(str(data.priority)) if data.priority is not None else None,
    )
    outcome = await apply_to_tickets(lambda: runtime.uow(actor), data.codes, operation)
    results = [
        MassResult(code=code, ok=True)
        if error is None
        else MassResult(code=code, ok=False, error=error_body(error.code, error.message, error.fields))
        for code, error in outcome
    ]
    return MassOut(results=results)


routes = [
    list_tickets,
    count_tickets,
    create_ticket,
    purge_tickets,
    next_ticket,
    mass_action,
    get_ticket,
    update_ticket,
    assign_ticket,
    unassign_ticket,
    transfer_ticket,
    set_status,
    postpone_ticket,
    restore_ticket,
    merge_tickets,
    split_ticket,
    ticket_history,
]
