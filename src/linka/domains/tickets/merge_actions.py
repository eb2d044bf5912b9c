"""Merge several tickets into one, and split a message group off into a new ticket.

Both move thread rows (groups, their messages, attachments) by changing their ticket, so every message
exists exactly once before and after. The thread is ordered by time, so merged threads interleave in
time order by themselves. A merged ticket keeps its row with `merged_into_id`, so its code (in old
mails, in the customer's hands) still leads to the ticket it went into.
"""

from __future__ import annotations

from sqlalchemy import func, select, update

from linka.core.errors import Invalid, NotFound
from linka.core.permissions import require_write
from linka.core.uow import UnitOfWork
from linka.domains.fields import actions as fields_actions
from linka.domains.tickets import actions, draft_actions, queries, thread_actions
from linka.domains.tickets.events import TicketsMerged
from linka.domains.tickets.models import Ticket, TicketCc, TicketTag
from linka.domains.tickets.thread_models import Attachment, Message, MessageGroup
from linka.domains.tickets.thread_schemas import GroupKind

MAX_SOURCES = 50


async def _move_groups(uow: UnitOfWork, group_ids: list[int], *, source_id: int, target_id: int) -> None:
    """Move thread groups, with their messages and the attachments those messages carry."""
    if not group_ids:
        return
    await uow.session.execute(
        update(MessageGroup)
        .where(MessageGroup.id.in_(group_ids))
        .values(
            ticket_id=target_id,
            moved_from_ticket_id=func.coalesce(MessageGroup.moved_from_ticket_id, source_id),
        )
        .execution_options(synchronize_session=False)
    )
    await uow.session.execute(
        update(Message)
        .where(Message.group_id.in_(group_ids))
        .values(ticket_id=target_id)
        .execution_options(synchronize_session=False)
    )
    carried = select(Message.attachment_id).where(
        Message.group_id.in_(group_ids), Message.attachment_id.is_not(None)
    )
    await uow.session.execute(
        update(Attachment)
        .where(Attachment.id.in_(carried))
        .values(ticket_id=target_id)
        .execution_options(synchronize_session=False)
    )


async def merge_tickets(uow: UnitOfWork, *, target_code: str, source_codes: list[str]) -> Ticket:
    """Merge the source tickets into the target: threads, CC contacts (and other contacts, as CCs),
    tags and counters move over; the sources are kept as pointers to the target."""
    require_write(uow.actor)
    if not source_codes:
        raise Invalid("sources", "name at least one ticket to merge")
    if len(source_codes) > MAX_SOURCES:
        raise Invalid("sources", "at most %(max)s tickets at once", values={"max": MAX_SOURCES})
    target = await queries.workable_ticket(uow.session, uow.actor, target_code)
    sources: list[Ticket] = []
    for code in source_codes:
        try:
            source = await queries.workable_ticket(uow.session, uow.actor, code)
        except NotFound:
            raise Invalid("sources", "no ticket %(code)s (or it was purged)", values={"code": code}) from None
        if source.id == target.id:
            raise Invalid(
                "sources",
                "%(code)s is the ticket merged into; a ticket cannot merge into itself",
                values={"code": code},
            )
        if source.id not in {s.id for s in sources}:
            sources.append(source)
    source_ids = [source.id for source in sources]
    groups = await uow.session.execute(
        select(MessageGroup.id, MessageGroup.ticket_id).where(MessageGroup.ticket_id.in_(source_ids))
    )
    by_source: dict[int, list[int]] = {}
    for group_id, ticket_id in groups.all():
        by_source.setdefault(ticket_id, []).append(group_id)
    before = {"cc": await queries.cc_contact_ids(uow.session, target.id)}
    cc = set(before["cc"])
    # Uploads not yet sent in a message go along too.
    await uow.session.execute(
        update(Attachment)
        .where(Attachment.ticket_id.in_(source_ids))
        .values(ticket_id=target.id)
        .execution_options(synchronize_session=False)
    )
    for source in sources:
        await _move_groups(uow, by_source.get(source.id, []), source_id=source.id, target_id=target.id)
        cc |= set(await queries.cc_contact_ids(uow.session, source.id)) | {source.contact_id}
        for metric in ("agent_reply_count", "customer_message_count", "reopen_count", "transfer_count"):
            setattr(target, metric, getattr(target, metric) + getattr(source, metric))
        for earliest in ("first_assigned_at", "first_agent_reply_at"):
            values = [v for v in (getattr(target, earliest), getattr(source, earliest)) if v is not None]
            setattr(target, earliest, min(values) if values else None)
        for latest in ("last_agent_reply_at", "last_customer_message_at", "last_activity_at"):
            values = [v for v in (getattr(target, latest), getattr(source, latest)) if v is not None]
            setattr(target, latest, max(values) if values else None)
        await fields_actions.merge_values(uow, entity="ticket", from_id=source.id, to_id=target.id)
        source.merged_into_id = target.id
        source.updated_at = uow.now
        uow.history(
            "ticket", source.id, "merged", before={"merged_into": None}, after={"merged_into": target.code}
        )
    cc.discard(target.contact_id)
    await _set_cc(uow, target.id, sorted(cc))
    await _copy_tags(uow, source_ids, target.id)
    await draft_actions.move_drafts_of_merged(uow, source_ids=source_ids, target_id=target.id)
    # Tickets merged earlier into a source now lead straight to the target.
    await uow.session.execute(
        update(Ticket)
        .where(Ticket.merged_into_id.in_(source_ids))
        .values(merged_into_id=target.id)
        .execution_options(synchronize_session=False)
    )
    codes = ", ".join(source.code for source in sources)
    await thread_actions.add_system_line(
        uow,
        ticket_id=target.id,
        kind=GroupKind.MERGED,
        text=f"Merged into this ticket: {codes}",
        line={"event": "merged", "codes": codes},
    )
    target.updated_at = target.last_activity_at = uow.now
    uow.history(
        "ticket",
        target.id,
        "merged_in",
        before=before,
        after={"cc": sorted(cc), "merged": [source.code for source in sources]},
    )
    uow.record(TicketsMerged(target_id=target.id, source_ids=tuple(source_ids)))
    return target


async def _set_cc(uow: UnitOfWork, ticket_id: int, contact_ids: list[int]) -> None:
    present = set(await queries.cc_contact_ids(uow.session, ticket_id))
    uow.session.add_all(TicketCc(ticket_id=ticket_id, contact_id=c) for c in contact_ids if c not in present)


async def _copy_tags(uow: UnitOfWork, source_ids: list[int], target_id: int) -> None:
    rows = await uow.session.execute(
        select(TicketTag.tag_id).where(TicketTag.ticket_id.in_(source_ids)).distinct()
    )
    present = set(
        (
            await uow.session.execute(select(TicketTag.tag_id).where(TicketTag.ticket_id == target_id))
        ).scalars()
    )
    uow.session.add_all(
        TicketTag(ticket_id=target_id, tag_id=tag_id) for tag_id in rows.scalars() if tag_id not in present
    )


async def split_ticket(
    uow: UnitOfWork, *, code: str, group_public_id: str, subject: str | None = None
) -> Ticket:
    """Move one message group (with its messages and attachments) to a new ticket of the same contact
    and department; both tickets get a line in their thread saying so. Returns the new ticket."""
    require_write(uow.actor)
    ticket = await queries.workable_ticket(uow.session, uow.actor, code)
    group = (
        await uow.session.execute(
            select(MessageGroup).where(
                MessageGroup.public_id == group_public_id, MessageGroup.ticket_id == ticket.id
            )
        )
    ).scalar_one_or_none()
    if group is None:
        raise Invalid("group", "no such message group on this ticket")
    if group.kind in ("merged", "split", "system", "transfer", "resolve", "postpone"):
        raise Invalid("group", "a %(kind)s line cannot be split off", values={"kind": group.kind})
    others = await uow.session.execute(
        select(func.count())
        .select_from(MessageGroup)
        .where(
            MessageGroup.ticket_id == ticket.id,
            MessageGroup.id != group.id,
            MessageGroup.kind.not_in(["merged", "split", "system", "transfer", "resolve", "postpone"]),
        )
    )
    if not others.scalar_one():
        raise Invalid("group", "the ticket's only message cannot be split off")
    created = await actions.create_ticket(
        uow,
        subject=subject if subject is not None else ticket.subject,
        contact_id=ticket.contact_id,
        department_id=ticket.department_id,
        assignee_id=ticket.assignee_id,
        language=ticket.language,
        contact_found_by_address=True,  # the contact is the visible ticket's own
    )
    created.priority, created.channel = ticket.priority, ticket.channel
    await _move_groups(uow, [group.id], source_id=ticket.id, target_id=created.id)
    await thread_actions.add_system_line(
        uow,
        ticket_id=ticket.id,
        kind=GroupKind.SPLIT,
        text=f"Split off into {created.code}",
        line={"event": "split_into", "code": created.code},
    )
    await thread_actions.add_system_line(
        uow,
        ticket_id=created.id,
        kind=GroupKind.SPLIT,
        text=f"Split off from {ticket.code}",
        line={"event": "split_from", "code": ticket.code},
    )
    ticket.updated_at = ticket.last_activity_at = uow.now
    uow.history("ticket", ticket.id, "split", after={"group": group.public_id, "new_ticket": created.code})
    return created
