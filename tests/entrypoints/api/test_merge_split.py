"""Merging tickets and splitting a message group off: every message exists exactly once afterwards,
threads interleave in time order, merged codes keep leading to the target."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from linka.core.clock import FrozenClock
from linka.core.db import Database
from linka.core.ids import public_id
from linka.core.permissions import Origin, system_actor
from linka.core.uow import unit_of_work
from linka.domains.tickets import actions as tickets
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.thread_models import Message, MessageGroup
from tests.conftest import AppClient, bearer
from tests.personas import Personas


async def _ticket_with_messages(db: Database, personas: Personas, subject: str, times: list[datetime]) -> str:
    """A Support ticket of Karel's with one incoming message per time (thread rows written directly:
    this test is about moving them, not about how they arrive)."""
    async with unit_of_work(db, system_actor(Origin.MAIL)) as uow:
        ticket = await tickets.create_ticket(
            uow,
            subject=subject,
            contact_id=personas.contacts["karel"],
            department_id=personas.departments["support"],
        )
        for n, moment in enumerate(times):
            group = MessageGroup(
                public_id=public_id("mg"),
                ticket_id=ticket.id,
                kind="incoming_email",
                author_contact_id=personas.contacts["karel"],
                origin="mail",
                created_at=moment,
            )
            uow.session.add(group)
            await uow.session.flush()
            uow.session.add(
                Message(group_id=group.id, ticket_id=ticket.id, kind="text", body=f"{subject} #{n}")
            )
        return ticket.code


async def _bodies(db: Database, code: str) -> list[str]:
    async with db.read_session() as session:
        ticket_id = (await session.execute(select(Ticket.id).where(Ticket.code == code))).scalar_one()
        rows = await session.execute(
            select(Message.body)
            .join(MessageGroup, MessageGroup.id == Message.group_id)
            .where(MessageGroup.ticket_id == ticket_id, Message.kind == "text")
            .order_by(MessageGroup.created_at, MessageGroup.id)
        )
        return list(rows.scalars())


async def _all_text_messages(db: Database) -> Counter[str]:
    async with db.read_session() as session:
        return Counter((await session.execute(select(Message.body).where(Message.kind == "text"))).scalars())


async def test_merge_moves_threads_in_time_order_and_codes_follow(
    client: AppClient, personas: Personas, db: Database, frozen_clock: FrozenClock
) -> None:
    start = frozen_clock.now()
    target = await _ticket_with_messages(db, personas, "A", [start, start + timedelta(hours=2)])
    one = await _ticket_with_messages(db, personas, "B", [start + timedelta(hours=1)])
    two = await _ticket_with_messages(db, personas, "C", [start + timedelta(hours=3)])
    before = await _all_text_messages(db)
    sara = bearer(personas.support_agent)
    merged = await client.post(f"/api/v1/tickets/{target}/merge", json={"sources": [one, two]}, headers=sara)
    assert merged.status_code == 200, merged.text
    assert await _bodies(db, target) == ["A #0", "B #0", "A #1", "C #0"]
    assert await _all_text_messages(db) == before  # nothing lost, nothing doubled
    followed = await client.get(f"/api/v1/tickets/{one.lower().replace('-', '')}", headers=sara)
    assert followed.json()["code"] == target
    listed = [
        t["code"] for t in (await client.get("/api/v1/tickets?limit=100", headers=sara)).json()["items"]
    ]
    assert one not in listed
    assert two not in listed
    assert target in listed
    # A merged ticket is gone as a ticket of its own: merging it again, or into itself, is refused.
    again = await client.post(f"/api/v1/tickets/{target}/merge", json={"sources": [one]}, headers=sara)
    assert again.status_code == 422
    assert "sources" in again.json()["error"]["fields"]
    itself = await client.post(f"/api/v1/tickets/{target}/merge", json={"sources": [target]}, headers=sara)
    assert itself.status_code == 422
    unknown = await client.post(
        f"/api/v1/tickets/{target}/merge", json={"sources": ["AAA-AAA-AAA"]}, headers=sara
    )
    assert unknown.status_code == 422
    assert "sources" in unknown.json()["error"]["fields"]
    invisible = await client.post(
        f"/api/v1/tickets/{target}/merge", json={"sources": [personas.ticket_codes["eva"]]}, headers=sara
    )
    assert invisible.status_code == 422
    history = (await client.get(f"/api/v1/tickets/{target}/history", headers=sara)).json()["items"]
    assert history[0]["action"] == "merged_in"
    assert history[0]["after"]["merged"] == [one, two]


async def test_merging_into_a_purged_ticket_is_not_found(
    client: AppClient, personas: Personas, db: Database
) -> None:
    target = await _ticket_with_messages(db, personas, "T", [datetime(2026, 1, 1, tzinfo=UTC)])
    source = await _ticket_with_messages(db, personas, "S", [datetime(2026, 1, 2, tzinfo=UTC)])
    owner = bearer(personas.owner)
    await client.post(f"/api/v1/tickets/{target}/status", json={"status": "deleted"}, headers=owner)
    assert (
        await client.post("/api/v1/tickets/purge", json={"codes": [target]}, headers=owner)
    ).status_code == 200
    response = await client.post(f"/api/v1/tickets/{target}/merge", json={"sources": [source]}, headers=owner)
    assert response.status_code == 404
    assert await _bodies(db, source) == ["S #0"]


async def test_split_moves_one_group_to_a_new_ticket(
    client: AppClient, personas: Personas, db: Database, frozen_clock: FrozenClock
) -> None:
    start = frozen_clock.now()
    code = await _ticket_with_messages(db, personas, "Two questions", [start, start + timedelta(minutes=5)])
    before = await _all_text_messages(db)
    async with db.read_session() as session:
        groups = (
            (
                await session.execute(
                    select(MessageGroup.public_id)
                    .join(Ticket, Ticket.id == MessageGroup.ticket_id)
                    .where(Ticket.code == code)
                    .order_by(MessageGroup.created_at)
                )
            )
            .scalars()
            .all()
        )
    sara = bearer(personas.support_agent)
    split = await client.post(
        f"/api/v1/tickets/{code}/split", json={"group": groups[1], "subject": "Second question"}, headers=sara
    )
    assert split.status_code == 201, split.text
    new = split.json()
    assert new["subject"] == "Second question"
    assert new["contact"]["id"] == personas.contact_public_ids["karel"]
    assert await _bodies(db, code) == ["Two questions #0"]
    assert await _bodies(db, new["code"]) == ["Two questions #1"]
    assert await _all_text_messages(db) == before
    only = await client.post(f"/api/v1/tickets/{code}/split", json={"group": groups[0]}, headers=sara)
    assert only.status_code == 422
    assert "only message" in only.json()["error"]["message"]
    foreign = await client.post(
        f"/api/v1/tickets/{new['code']}/split", json={"group": groups[0]}, headers=sara
    )
    assert foreign.status_code == 422
    assert "group" in foreign.json()["error"]["fields"]
