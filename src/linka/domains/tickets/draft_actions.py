"""Writes of reply drafts: save (one per ticket and agent, replaced each time), discard, and what
sending and merging do to them. Drafts are work in progress, so they leave no history; each change
records `TicketDraftChanged` so colleagues see who is writing."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select, update

from linka.core.errors import Forbidden, Invalid
from linka.core.permissions import require_write
from linka.core.uow import UnitOfWork
from linka.domains.tickets import queries, thread_queries
from linka.domains.tickets.draft_models import TicketDraft
from linka.domains.tickets.draft_queries import draft_of_ticket
from linka.domains.tickets.draft_schemas import ADDRESS_MAX, SUBJECT_MAX, DraftKind
from linka.domains.tickets.events import TicketDraftChanged
from linka.domains.tickets.thread_schemas import HTML_MAX, MAX_ATTACHMENTS, MAX_RECIPIENTS


def _kind(value: str) -> DraftKind:
    try:
        return DraftKind(value)
    except ValueError:
        raise Invalid("kind", "must be reply, note or forward") from None


def _body(value: str) -> str:
    # thread_actions imports this module (sending drops the sender's draft): import it when used.
    from linka.domains.tickets.thread_actions import sanitise_html

    if len(value) > HTML_MAX:
        raise Invalid("body_html", "at most %(max)s characters", values={"max": HTML_MAX})
    return sanitise_html(value) if value.strip() else ""


def _typed_addresses(field: str, values: Sequence[str]) -> list[str]:
    """Addresses as typed, half-written ones too (sending checks them): trimmed, blanks dropped."""
    if len(values) > MAX_RECIPIENTS:
        raise Invalid(field, "at most %(max)s addresses", values={"max": MAX_RECIPIENTS})
    kept = [value.replace("\x00", "").strip() for value in values]
    if any(len(value) > ADDRESS_MAX for value in kept):
        raise Invalid(field, "an address has at most %(max)s characters", values={"max": ADDRESS_MAX})
    return [value for value in dict.fromkeys(kept) if value]


def _subject(value: str) -> str:
    subject = " ".join(value.replace("\x00", "").split())
    if len(subject) > SUBJECT_MAX:
        raise Invalid("subject", "at most %(max)s characters", values={"max": SUBJECT_MAX})
    return subject


async def save_draft(
    uow: UnitOfWork,
    *,
    code: str,
    kind: str = DraftKind.REPLY.value,
    body_html: str = "",
    to: Sequence[str] = (),
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    subject: str = "",
    attachment_ids: Sequence[str] = (),
) -> TicketDraft:
    """Keep the actor's draft of a ticket they may work, replacing the one they had."""
    require_write(uow.actor)
    if uow.actor.agent_id is None:
        raise Forbidden("drafts belong to agents")
    ticket = await queries.workable_ticket(uow.session, uow.actor, code)
    draft_kind = _kind(kind)
    body = _body(body_html)
    addresses = {
        field: _typed_addresses(field, values) for field, values in (("to", to), ("cc", cc), ("bcc", bcc))
    }
    if len(attachment_ids) > MAX_ATTACHMENTS:
        raise Invalid("attachment_ids", "at most %(max)s files", values={"max": MAX_ATTACHMENTS})
    files = await thread_queries.attachments_of_ticket(uow.session, ticket.id, attachment_ids)
    draft = await draft_of_ticket(uow.session, ticket.id, uow.actor.agent_id)
    if draft is None:
        draft = TicketDraft(ticket_id=ticket.id, agent_id=uow.actor.agent_id, created_at=uow.now)
        uow.session.add(draft)
    draft.kind = draft_kind.value
    draft.body_html = body
    draft.to_addresses, draft.cc_addresses, draft.bcc_addresses = (
        addresses["to"],
        addresses["cc"],
        addresses["bcc"],
    )
    draft.subject = _subject(subject)
    draft.attachment_ids = [file.public_id for file in files]
    draft.updated_at = uow.now
    # The ticket is locked for the change (workable_ticket), so two saves never both insert.
    await uow.flush_or_conflict("ticket", "a draft of this ticket was saved at the same moment; try again")
    uow.record(TicketDraftChanged(ticket_id=ticket.id, agent_id=uow.actor.agent_id, kind=draft.kind))
    return draft


async def discard_draft(uow: UnitOfWork, *, code: str) -> bool:
    """Drop the actor's draft of a ticket they may see; False when there was none."""
    require_write(uow.actor)
    ticket = await queries.visible_ticket(uow.session, uow.actor, code)
    return await discard_sent_draft(uow, ticket_id=ticket.id)


async def discard_sent_draft(uow: UnitOfWork, *, ticket_id: int) -> bool:
    """Drop the actor's draft of a ticket the caller has loaded with permissions checked (sending a
    reply, note or forward calls this in its own unit of work). False when there was none."""
    agent_id = uow.actor.agent_id
    if agent_id is None:
        return False
    result = await uow.session.execute(
        delete(TicketDraft)
        .where(TicketDraft.ticket_id == ticket_id, TicketDraft.agent_id == agent_id)
        .execution_options(synchronize_session="fetch")
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    uow.record(TicketDraftChanged(ticket_id=ticket_id, agent_id=agent_id, kind=None))
    return True


async def move_drafts_of_merged(uow: UnitOfWork, *, source_ids: Sequence[int], target_id: int) -> None:
    """Merging: drafts of the sources go to the target, where their uploads went too. An agent keeps
    one draft per ticket: the one they already had on the target, else their latest on a source; their
    others are dropped."""
    if not source_ids:
        return
    taken = {
        int(agent_id)
        for agent_id in (
            await uow.session.execute(select(TicketDraft.agent_id).where(TicketDraft.ticket_id == target_id))
        ).scalars()
    }
    rows = await uow.session.execute(
        select(TicketDraft.id, TicketDraft.agent_id, TicketDraft.ticket_id, TicketDraft.kind)
        .where(TicketDraft.ticket_id.in_(list(source_ids)))
        .order_by(TicketDraft.updated_at.desc(), TicketDraft.id.desc())
    )
    moved: list[int] = []
    dropped: list[int] = []
    for draft_id, agent_id, ticket_id, kind in rows.all():
        if agent_id in taken:
            dropped.append(int(draft_id))
            uow.record(TicketDraftChanged(ticket_id=int(ticket_id), agent_id=int(agent_id), kind=None))
        else:
            taken.add(int(agent_id))
            moved.append(int(draft_id))
            uow.record(TicketDraftChanged(ticket_id=target_id, agent_id=int(agent_id), kind=str(kind)))
    if dropped:
        await uow.session.execute(
            delete(TicketDraft)
            .where(TicketDraft.id.in_(dropped))
            .execution_options(synchronize_session=False)
        )
    if moved:
        await uow.session.execute(
            update(TicketDraft)
            .where(TicketDraft.id.in_(moved))
            .values(ticket_id=target_id)
            .execution_options(synchronize_session=False)
        )
