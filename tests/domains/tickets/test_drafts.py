"""Reply drafts on both engines: one per ticket and agent (saved over), only on tickets one may work,
dropped by sending, seen by colleagues as "who is writing", and carried through merges and purges."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from linka.core.clock import FrozenClock
from linka.core.db import Database
from linka.core.errors import Forbidden, Invalid, NotFound
from linka.core.permissions import Actor, Origin, Scope, system_actor
from linka.domains.tickets import (
    actions,
    draft_actions,
    draft_queries,
    merge_actions,
    status_actions,
    thread_actions,
    thread_files,
)
from linka.domains.tickets.draft_models import TicketDraft
from linka.domains.tickets.events import TicketDraftChanged
from linka.domains.tickets.statuses import Status
from linka.domains.tickets.thread_models import Attachment
from linka.domains.tickets.thread_schemas import NewAttachment
from linka.entrypoints.runtime import Runtime
from tests.domains.tickets.test_thread import actor_for
from tests.personas import Personas

SYSTEM = system_actor(Origin.CLI)


async def drafts(db: Database) -> list[TicketDraft]:
    async with db.read_session() as session:
        query = select(TicketDraft).order_by(TicketDraft.ticket_id, TicketDraft.agent_id)
        return list((await session.execute(query)).scalars())


async def save(runtime: Runtime, actor: Actor, code: str, **fields: Any) -> TicketDraft:
    async with runtime.uow(actor) as uow:
        return await draft_actions.save_draft(uow, code=code, **fields)


async def upload(runtime: Runtime, actor: Actor, code: str, name: str) -> Attachment:
    blob = await runtime.blobs.put_bytes(name.encode() * 10)
    async with runtime.uow(actor) as uow:
        return await thread_files.add_attachment(
            uow, code=code, file=NewAttachment(sha256=blob.sha256, size=blob.size, filename=name)
        )


async def test_saving_keeps_one_clean_draft_per_ticket_and_agent(
    db: Database, runtime: Runtime, personas: Personas
) -> None:
    sara = await actor_for(db, personas.support_agent)
    code = personas.ticket_codes["karel"]
    file = await upload(runtime, sara, code, "photo.jpg")
    async with runtime.uow(sara) as uow:
        first = await draft_actions.save_draft(
            uow,
            code=code,
            body_html='<p onmouseover="x()">Dobrý den<script>steal()</script></p>',
            to=[" karel@acme.test ", "karel@acme.test", "", "half@"],
            cc=["boss@acme.test"],
            attachment_ids=[file.public_id],
        )
    assert uow.events == [TicketDraftChanged(ticket_id=first.ticket_id, agent_id=sara.agent_id, kind="reply")]
    [row] = await drafts(db)
    assert (row.kind, row.body_html) == ("reply", "<p>Dobrý den</p>")
    # Addresses are kept as typed (a half-written one too): sending checks them.
    assert (row.to_addresses, row.cc_addresses, row.bcc_addresses) == (
        ["karel@acme.test", "half@"],
        ["boss@acme.test"],
        [],
    )
    assert row.attachment_ids == [file.public_id]
    created = row.created_at
    await save(runtime, sara, code, kind="forward", subject="  Fwd:  printer ", to=["tech@service.test"])
    [row] = await drafts(db)
    assert (row.kind, row.subject, row.body_html, row.to_addresses, row.attachment_ids) == (
        "forward",
        "Fwd: printer",
        "",
        ["tech@service.test"],
        [],
    )
    assert row.created_at == created
    async with db.read_session() as session:
        mine = await draft_queries.draft_of(session, sara, code)
        theirs = await draft_queries.draft_of(session, await actor_for(db, personas.support_supervisor), code)
    assert mine is not None
    assert mine.id == row.id
    assert theirs is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "chat"}, "kind"),
        ({"to": [f"a{n}@acme.test" for n in range(21)]}, "to"),
        ({"bcc": ["x" * 255]}, "bcc"),
        ({"subject": "s" * 501}, "subject"),
        ({"attachment_ids": ["at_000000000000"]}, "attachment_ids"),
        ({"body_html": "x" * 1_000_001}, "body_html"),
    ],
)
async def test_refusals_name_the_field(
    db: Database, runtime: Runtime, personas: Personas, fields: dict[str, Any], field: str
) -> None:
    sara = await actor_for(db, personas.support_agent)
    with pytest.raises(Invalid) as refused:
        await save(runtime, sara, personas.ticket_codes["karel"], **fields)
    assert set(refused.value.fields) == {field}
    assert await drafts(db) == []


async def test_a_file_of_another_ticket_is_refused(
    db: Database, runtime: Runtime, personas: Personas
) -> None:
    admin = await actor_for(db, personas.admin)
    other = await upload(runtime, admin, personas.ticket_codes["eva"], "quote.pdf")
    with pytest.raises(Invalid) as refused:
        await save(runtime, admin, personas.ticket_codes["karel"], attachment_ids=[other.public_id])
    assert set(refused.value.fields) == {"attachment_ids"}


async def test_only_who_may_work_the_ticket_drafts(
    db: Database, runtime: Runtime, personas: Personas
) -> None:
    sara = await actor_for(db, personas.support_agent)
    rita = await actor_for(db, personas.sales_reader)
    with pytest.raises(NotFound):
        await save(runtime, sara, personas.ticket_codes["hana"], body_html="<p>x</p>")
    with pytest.raises(Forbidden):
        await save(runtime, rita, personas.ticket_codes["eva"], body_html="<p>x</p>")
    read_key = await actor_for(db, personas.admin)
    read_key = Actor(**{**read_key.__dict__, "scopes": frozenset({Scope.READ})})
    with pytest.raises(Forbidden):
        await save(runtime, read_key, personas.ticket_codes["karel"], body_html="<p>x</p>")
    with pytest.raises(Forbidden):
        await save(runtime, SYSTEM, personas.ticket_codes["karel"], body_html="<p>x</p>")
    async with db.read_session() as session:
        with pytest.raises(NotFound):
            await draft_queries.draft_of(session, sara, personas.ticket_codes["hana"])
    assert await drafts(db) == []


async def test_colleagues_see_who_else_is_drafting(
    db: Database, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    sara = await actor_for(db, personas.support_agent)
    viktor = await actor_for(db, personas.support_supervisor)
    admin = await actor_for(db, personas.admin)
    code = personas.ticket_codes["karel"]
    await save(runtime, viktor, code, kind="note", body_html="<p>checking</p>")
    frozen_clock.advance(seconds=60)
    ticket = await save(runtime, admin, code, body_html="<p>answer</p>")
    frozen_clock.advance(seconds=60)
    await save(runtime, sara, code, body_html="<p>mine</p>")
    async with db.read_session() as session:
        others = await draft_queries.agents_drafting(session, ticket.ticket_id, except_agent_id=sara.agent_id)
        everyone = await draft_queries.agents_drafting(session, ticket.ticket_id, except_agent_id=None)
    assert [(d.agent_public_id, d.name, d.kind) for d in others] == [
        (personas.admin.public_id, "Adam Admin", "reply"),
        (personas.support_supervisor.public_id, "Viktor Dvořák", "note"),
    ]
    assert others[0].updated_at > others[1].updated_at
    assert [d.name for d in everyone] == ["Sára Nováková", "Adam Admin", "Viktor Dvořák"]


async def test_sending_drops_the_senders_draft_only(
    db: Database, runtime: Runtime, personas: Personas
) -> None:
    sara = await actor_for(db, personas.support_agent)
    viktor = await actor_for(db, personas.support_supervisor)
    code = personas.ticket_codes["karel"]
    async with runtime.uow(SYSTEM) as uow:
        await thread_actions.add_customer_message(uow, code=code, text="Tiskárna hlásí chybu 49.")
    await save(runtime, viktor, code, body_html="<p>his</p>")
    for send in (
        lambda uow: thread_actions.reply(uow, code=code, text="Dobrý den"),
        lambda uow: thread_actions.add_note(uow, code=code, text="Zavolat"),
        lambda uow: thread_actions.forward(uow, code=code, to=["tech@service.test"]),
    ):
        await save(runtime, sara, code, body_html="<p>mine</p>")
        async with runtime.uow(sara) as uow:
            await send(uow)
        assert TicketDraftChanged(ticket_id=personas.tickets["karel"], agent_id=sara.agent_id) in uow.events
        assert [row.agent_id for row in await drafts(db)] == [personas.support_supervisor.id]
    # A send that fails keeps the draft.
    await save(runtime, sara, code, body_html="<p>mine</p>")
    with pytest.raises(Invalid):
        async with runtime.uow(sara) as uow:
            await thread_actions.reply(uow, code=code, text="Hi", to="not an address")
    assert len(await drafts(db)) == 2


async def test_discarding(db: Database, runtime: Runtime, personas: Personas) -> None:
    sara = await actor_for(db, personas.support_agent)
    code = personas.ticket_codes["karel"]
    await save(runtime, sara, code, body_html="<p>x</p>")
    async with runtime.uow(sara) as uow:
        assert await draft_actions.discard_draft(uow, code=code) is True
    assert [event.kind for event in uow.events if isinstance(event, TicketDraftChanged)] == [None]
    async with runtime.uow(sara) as uow:
        assert await draft_actions.discard_draft(uow, code=code) is False
    assert uow.events == []
    with pytest.raises(NotFound):
        async with runtime.uow(sara) as uow:
            await draft_actions.discard_draft(uow, code=personas.ticket_codes["hana"])
    assert await drafts(db) == []


async def test_merging_moves_drafts_to_the_target(db: Database, runtime: Runtime, personas: Personas) -> None:
    """Each agent keeps one draft: the one on the target, else their latest on a source."""
    sara = await actor_for(db, personas.support_agent)
    viktor = await actor_for(db, personas.support_supervisor)
    admin = await actor_for(db, personas.admin)
    target = personas.ticket_codes["karel"]
    async with runtime.uow(SYSTEM) as uow:
        one = await actions.create_ticket(
            uow,
            subject="One",
            contact_id=personas.contacts["karel"],
            department_id=personas.departments["support"],
        )
        two = await actions.create_ticket(
            uow,
            subject="Two",
            contact_id=personas.contacts["karel"],
            department_id=personas.departments["support"],
        )
    file = await upload(runtime, sara, one.code, "log.txt")
    await save(runtime, sara, one.code, body_html="<p>sara on one</p>", attachment_ids=[file.public_id])
    await save(runtime, viktor, target, body_html="<p>viktor on target</p>")
    await save(runtime, viktor, two.code, body_html="<p>viktor on two</p>")
    await save(runtime, admin, one.code, body_html="<p>admin on one</p>")
    await save(runtime, admin, two.code, body_html="<p>admin on two</p>")
    async with runtime.uow(sara) as uow:
        merged = await merge_actions.merge_tickets(uow, target_code=target, source_codes=[one.code, two.code])
    rows = await drafts(db)
    assert {row.ticket_id for row in rows} == {merged.id}
    assert {row.agent_id: row.body_html for row in rows} == {
        personas.support_agent.id: "<p>sara on one</p>",
        personas.support_supervisor.id: "<p>viktor on target</p>",
        personas.admin.id: "<p>admin on two</p>",
    }
    # The uploaded file went along with the draft: it can still be named on the target.
    again = await save(runtime, sara, target, body_html="<p>again</p>", attachment_ids=[file.public_id])
    assert again.attachment_ids == [file.public_id]


async def test_purging_a_ticket_takes_its_drafts(db: Database, runtime: Runtime, personas: Personas) -> None:
    sara = await actor_for(db, personas.support_agent)
    owner = await actor_for(db, personas.owner)
    code = personas.ticket_codes["karel"]
    await save(runtime, sara, code, body_html="<p>x</p>")
    await save(runtime, owner, personas.ticket_codes["eva"], body_html="<p>kept</p>")
    async with runtime.uow(owner) as uow:
        await status_actions.set_ticket_status(uow, code=code, status=Status.DELETED)
    async with runtime.uow(owner) as uow:
        await status_actions.purge_tickets(uow, codes=[code])
    assert [row.body_html for row in await drafts(db)] == ["<p>kept</p>"]
