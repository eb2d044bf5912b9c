"""Reads of reply drafts: an agent's own draft of a ticket, and who else is drafting on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.permissions import Actor
from linka.domains.accounts import queries as accounts_queries
from linka.domains.tickets import queries
from linka.domains.tickets.draft_models import TicketDraft
from linka.domains.tickets.draft_schemas import DrafterOut, DraftOut

MAX_DRAFTERS = 50


@dataclass(frozen=True)
class Drafter:
    agent_public_id: str
    name: str
    kind: str
    updated_at: datetime

    def out(self) -> DrafterOut:
        return DrafterOut(
            agent=self.agent_public_id, name=self.name, kind=self.kind, updated_at=self.updated_at
        )


def draft_out(draft: TicketDraft, ticket_code: str) -> DraftOut:
    return DraftOut(
        ticket=ticket_code,
        kind=draft.kind,
        body_html=draft.body_html,
        to=list(draft.to_addresses or []),
        cc=list(draft.cc_addresses or []),
        bcc=list(draft.bcc_addresses or []),
        subject=draft.subject,
        attachment_ids=list(draft.attachment_ids or []),
        created_at=draft.created_at,
        updated_at=draft.updated_at,
    )


async def draft_of_ticket(session: AsyncSession, ticket_id: int, agent_id: int) -> TicketDraft | None:
    query = select(TicketDraft).where(TicketDraft.ticket_id == ticket_id, TicketDraft.agent_id == agent_id)
    return (await session.execute(query)).scalar_one_or_none()


async def draft_of(session: AsyncSession, actor: Actor, ticket_code: str) -> TicketDraft | None:
    """The actor's draft of a ticket they may see (NotFound when they may not), or None."""
    ticket = await queries.visible_ticket(session, actor, ticket_code)
    if actor.agent_id is None:
        return None
    return await draft_of_ticket(session, ticket.id, actor.agent_id)


async def agents_drafting(
    session: AsyncSession, ticket_id: int, *, except_agent_id: int | None
) -> list[Drafter]:
    """Other agents with a draft on the ticket, the latest writer first: two queries. The caller has
    checked that the actor may see the ticket."""
    query = select(TicketDraft).where(TicketDraft.ticket_id == ticket_id)
    if except_agent_id is not None:
        query = query.where(TicketDraft.agent_id != except_agent_id)
    query = query.order_by(TicketDraft.updated_at.desc(), TicketDraft.id.desc()).limit(MAX_DRAFTERS)
    drafts = list((await session.execute(query)).scalars())
    agents = await accounts_queries.agent_summaries(session, [draft.agent_id for draft in drafts])
    return [
        Drafter(
            agent_public_id=agents[draft.agent_id][0],
            name=agents[draft.agent_id][1],
            kind=draft.kind,
            updated_at=draft.updated_at,
        )
        for draft in drafts
        if draft.agent_id in agents
    ]
