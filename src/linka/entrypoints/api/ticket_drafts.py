"""Your draft of a ticket's reply, note or forward, kept on the server; and who else is drafting on it.
Sending a reply, note or forward drops your draft of that ticket."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, delete, get, put
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from linka.domains.tickets import draft_actions, draft_queries
from linka.domains.tickets import queries as ticket_queries
from linka.domains.tickets.draft_schemas import DraftIn, DraftOut, DraftState
from linka.entrypoints.api.auth import CurrentActor, runtime_of

Code = Annotated[str, Parameter(max_length=16, description="ticket code, e.g. `XKQ-7A2-M9P`")]


@get(
    "/tickets/{code:str}/draft", tags=["tickets"], summary="Your draft of a ticket, and who else is drafting"
)
async def get_draft(request: Request[Any, Any, Any], actor: CurrentActor, code: Code) -> DraftState:
    """`draft` is null when you have none; `others_drafting` lists colleagues with a draft here."""
    async with runtime_of(request).db.read_session() as session:
        ticket = await ticket_queries.visible_ticket(session, actor, code)
        draft = None
        if actor.agent_id is not None:
            draft = await draft_queries.draft_of_ticket(session, ticket.id, actor.agent_id)
        others = await draft_queries.agents_drafting(session, ticket.id, except_agent_id=actor.agent_id)
        return DraftState(
            draft=draft_queries.draft_out(draft, ticket.code) if draft is not None else None,
            others_drafting=[drafter.out() for drafter in others],
        )


@put(
    "/tickets/{code:str}/draft",
    tags=["tickets"],
    summary="Save your draft of a ticket you may work (replaces the one you had)",
)
async def save_draft(
    request: Request[Any, Any, Any], actor: CurrentActor, code: Code, data: JSONBody[DraftIn]
) -> DraftOut:
    async with runtime_of(request).uow(actor) as uow:
        draft = await draft_actions.save_draft(
            uow,
            code=code,
            kind=data.kind,
            body_html=data.body_html,
            to=data.to,
            cc=data.cc,
            bcc=data.bcc,
            subject=data.subject,
            attachment_ids=data.attachment_ids,
        )
        codes = await ticket_queries.codes_of_tickets(uow.session, [draft.ticket_id])
        return draft_queries.draft_out(draft, codes[draft.ticket_id])


@delete(
    "/tickets/{code:str}/draft",
    tags=["tickets"],
    status_code=HTTP_204_NO_CONTENT,
    summary="Discard your draft of a ticket (no error when there is none)",
)
async def discard_draft(request: Request[Any, Any, Any], actor: CurrentActor, code: Code) -> None:
    async with runtime_of(request).uow(actor) as uow:
        await draft_actions.discard_draft(uow, code=code)


routes = [get_draft, save_draft, discard_draft]
