"""`linka bench seed` on both engines, at a small size: what it makes is a workspace the app would have
made (counts, every status, three languages, metric columns that match the threads, search documents
equal to the domain's, working sequences and indexes), and the same seed makes the same data whatever
the number of worker processes."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from bench.rhythm import LOCAL, Rhythm
from bench.seed import Options, Report, seed_database
from sqlalchemy import UniqueConstraint, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.db import Base, Database
from linka.core.events import EventBus
from linka.core.migrations import upgrade_to_head
from linka.core.permissions import Origin, system_actor
from linka.core.search import words
from linka.core.uow import unit_of_work
from linka.domains import load_models
from linka.domains.contacts import actions as contacts_actions
from linka.domains.contacts.queries import search_text
from linka.domains.tickets import actions as tickets_actions
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.search import matches, search_hits, ticket_documents
from linka.domains.tickets.search_models import TERMS_INDEX
from linka.domains.tickets.statuses import Status
from linka.entrypoints.runtime import register_handlers
from tests.databases import PG_ENV, in_own_thread, postgres_url, under_ci

TICKETS = 400
# Two weeks of history, so that a few hundred tickets hold every status (open and postponed tickets are
# few at any time: with 14 days every seed tried had them).
OPTIONS = Options(TICKETS, seed=4, anchor=datetime(2026, 11, 24, 10, tzinfo=UTC), days=14, workers=0)
STATUSES = {status.value for status in Status if status is not Status.INIT}
_names = itertools.count()


@contextlib.asynccontextmanager
async def opened(url: str) -> AsyncIterator[Database]:
    """The seeded database for one test's reads, disposed after."""
    db = Database(url)
    try:
        yield db
    finally:
        await db.dispose()


# ---- fresh databases ----------------------------------------------------------------------------------


class FreshDatabases:
    """Migrated, empty databases of one engine (the seed needs one without the personas' tickets)."""

    def __init__(self, engine: str) -> None:
        self.engine = engine
        self.folder = Path(tempfile.mkdtemp(prefix="linka-seed-"))
        self.pg_names: list[str] = []

    def make(self) -> str:
        if self.engine == "sqlite":
            url = f"sqlite+aiosqlite:///{self.folder / f'seed{next(_names)}.db'}"
        else:
            server = postgres_url()
            assert server is not None
            name = f"linka_t{os.getpid()}_seed{next(_names)}"
            in_own_thread(lambda: asyncio.run(_admin(server, f'CREATE DATABASE "{name}"')))
            self.pg_names.append(name)
            url = f"{server.rpartition('/')[0]}/{name}"
        in_own_thread(lambda: upgrade_to_head(url))
        return url

    def drop(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        server = postgres_url()
        for name in self.pg_names:
            assert server is not None
            in_own_thread(
                lambda name=name: asyncio.run(
                    _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                )
            )


async def _admin(server_url: str, statement: str) -> None:
    connection = await asyncpg.connect(server_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def seed(url: str, options: Options = OPTIONS) -> Report:
    return in_own_thread(lambda: asyncio.run(seed_database(url, options, quiet=True)))  # type: ignore[no-any-return]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fresh(request: pytest.FixtureRequest) -> Iterator[FreshDatabases]:
    if request.param == "postgresql" and postgres_url() is None:
        if under_ci():
            pytest.fail(f"CI=true but {PG_ENV} is not set: the PostgreSQL run is required under CI")
        pytest.skip(f"PostgreSQL tests need {PG_ENV}=postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    databases = FreshDatabases(request.param)
    yield databases
    databases.drop()


@pytest.fixture(scope="module")
def seeded(fresh: FreshDatabases) -> tuple[str, Report]:
    url = fresh.make()
    return url, seed(url)


async def _rows(url: str, sql: str, **values: object) -> list[tuple[object, ...]]:
    async with opened(url) as db, db.read_session() as session:
        return [tuple(row) for row in (await session.execute(text(sql), values)).all()]


# ---- what is made --------------------------------------------------------------------------------------


def test_counts_statuses_languages(seeded: tuple[str, Report]) -> None:
    _, report = seeded
    counts = report.counts
    assert counts["tickets"] == TICKETS
    assert counts["ticket_search"] == TICKETS
    assert counts["contacts"] == 80  # one per five tickets (at least 50)
    assert counts["companies"] == 8
    assert counts["agents"] == 100
    assert counts["departments"] == 10
    assert 3 * TICKETS <= counts["messages"] <= 6 * TICKETS
    assert counts["ticket_tags"] > 0
    assert counts["field_values"] > 0
    assert set(report.statuses) == STATUSES
    assert set(report.languages) == {"cs", "hu", "en"}
    assert set(report.channels) == {"email", "form", "chat", "call", "api", "web"}


async def test_contacts_have_what_the_actions_fill(seeded: tuple[str, Report]) -> None:
    url, _ = seeded
    rows = await _rows(
        url,
        "SELECT c.name, c.search_text, c.public_id, e.email, e.is_primary FROM contacts c "
        "JOIN contact_emails e ON e.contact_id = c.id ORDER BY c.id, e.id",
    )
    by_contact: dict[tuple[str, str, str], list[str]] = {}
    for name, stored, public_id, email, _ in rows:
        by_contact.setdefault((str(name), str(stored), str(public_id)), []).append(str(email))
    for (name, stored, public_id), emails in by_contact.items():
        assert stored == search_text(name, emails)
        assert public_id.startswith("ct_")
        assert len(public_id) == 15
    # As create_contact does: a contact whose address is at a company's domain is in that company.
    companies = dict(await _rows(url, "SELECT domain, company_id FROM company_domains"))
    members = await _rows(
        url,
        "SELECT c.company_id, e.email FROM contacts c JOIN contact_emails e ON e.contact_id = c.id AND e.is_primary",
    )
    assert all(company == companies.get(str(email).rpartition("@")[2]) for company, email in members)
    assert any(company is not None for company, _ in members)


async def test_metric_columns_match_the_threads(seeded: tuple[str, Report]) -> None:
    url, _ = seeded
    wrong = await _rows(
        url,
        """
        WITH chat AS (
            SELECT g.ticket_id, min(m.sent_at) FILTER (WHERE m.author_agent_id IS NOT NULL) AS first_agent,
                   max(m.sent_at) FILTER (WHERE m.author_agent_id IS NOT NULL) AS last_agent,
                   max(m.sent_at) FILTER (WHERE m.author_agent_id IS NULL AND m.kind = 'text') AS last_visitor
            FROM message_groups g JOIN messages m ON m.group_id = g.id WHERE g.kind = 'chat' GROUP BY g.ticket_id
        ), groups AS (
            SELECT ticket_id,
                   count(*) FILTER (WHERE kind = 'outgoing_email') AS replies,
                   count(*) FILTER (WHERE kind IN ('incoming_email', 'call')) AS customer,
                   min(created_at) FILTER (WHERE kind = 'outgoing_email') AS first_reply,
                   max(created_at) FILTER (WHERE kind = 'outgoing_email') AS last_reply,
                   max(created_at) FILTER (WHERE kind IN ('incoming_email', 'call')) AS last_customer,
                   max(created_at) AS last_group
            FROM message_groups GROUP BY ticket_id
        )
        SELECT t.code FROM tickets t
        LEFT JOIN groups g ON g.ticket_id = t.id LEFT JOIN chat c ON c.ticket_id = t.id
        WHERE t.merged_into_id IS NULL AND (
            t.agent_reply_count <> coalesce(g.replies, 0) + (CASE WHEN c.first_agent IS NULL THEN 0 ELSE 1 END)
            OR t.customer_message_count <> coalesce(g.customer, 0) + (CASE WHEN c.last_visitor IS NULL THEN 0 ELSE 1 END)
            OR t.first_agent_reply_at IS DISTINCT FROM coalesce(c.first_agent, g.first_reply)
            OR t.last_agent_reply_at IS DISTINCT FROM coalesce(g.last_reply, c.last_agent)
            OR t.last_customer_message_at IS DISTINCT FROM coalesce(g.last_customer, c.last_visitor)
            OR t.last_activity_at < coalesce(g.last_group, t.created_at)
            OR t.updated_at < t.last_activity_at
        )
        """,
    )
    assert wrong == []
    broken = await _rows(
        url,
        """
        SELECT code, status FROM tickets WHERE
            first_agent_reply_at < created_at OR first_assigned_at < created_at OR resolved_at < created_at
            OR (status IN ('resolved', 'closed') AND resolved_at IS NULL)
            OR (status = 'closed' AND (closed_at IS NULL OR closed_at < resolved_at))
            OR (status NOT IN ('closed', 'spam', 'deleted') AND closed_at IS NOT NULL)
            OR ((status = 'postponed') <> (postponed_until IS NOT NULL))
            OR ((status IN ('spam', 'deleted')) <> (status_before_trash IS NOT NULL))
            OR (agent_reply_count > 0 AND first_agent_reply_at IS NULL)
            OR (assignee_id IS NOT NULL AND first_assigned_at IS NULL)
        """,
    )
    assert broken == []
    merged = await _rows(
        url,
        "SELECT t.id, t.customer_message_count, t.merged_into_id, "
        "(SELECT count(*) FROM message_groups g WHERE g.moved_from_ticket_id = t.id AND g.ticket_id = t.merged_into_id) "
        "FROM tickets t WHERE t.merged_into_id IS NOT NULL",
    )
    assert merged  # duplicates were merged into the customer's open ticket, with their thread
    assert all(count == moved == 1 for _, count, _, moved in merged)


async def test_search_documents_are_the_domains(seeded: tuple[str, Report]) -> None:
    url, _ = seeded
    async with opened(url) as db:
        async with db.read_session() as session:
            stored = dict((await session.execute(text("SELECT ticket_id, terms FROM ticket_search"))).all())
            # Every merged-into ticket, form, HTML twin and chat, and a spread of the rest.
            special = await session.execute(
                text(
                    "SELECT DISTINCT ticket_id FROM message_groups WHERE moved_from_ticket_id IS NOT NULL "
                    "UNION SELECT DISTINCT ticket_id FROM messages WHERE kind IN ('html', 'form_field', 'quoted') "
                    "UNION SELECT ticket_id FROM message_groups WHERE kind = 'chat'"
                )
            )
            sample = sorted({*special.scalars(), *range(1, TICKETS + 1, 7)})
            computed = await ticket_documents(session, sample)
        assert {ticket_id: stored[ticket_id] for ticket_id in sample} == computed


async def test_search_finds_a_ticket_by_a_word_of_its_thread(seeded: tuple[str, Report]) -> None:
    url, _ = seeded
    async with opened(url) as db, db.read_session() as session:
        ticket_id, body = (
            await session.execute(
                text(
                    "SELECT m.ticket_id, m.body FROM messages m JOIN tickets t ON t.id = m.ticket_id "
                    "WHERE m.kind = 'text' AND t.channel = 'form' ORDER BY m.id LIMIT 1"
                )
            )
        ).one()
        word = max(words(body), key=len)
        found = await session.execute(select(Ticket.id).where(matches(db.dialect, word)))
        assert ticket_id in set(found.scalars())
        hits = search_hits(db.dialect, word)
        ranked = await session.execute(select(hits.c.ticket_id).order_by(hits.c.rank))
        assert ticket_id in set(ranked.scalars())


async def test_indexes_sequences_and_keys_work_after_the_load(seeded: tuple[str, Report]) -> None:
    url, _ = seeded
    async with opened(url) as db:
        async with db.read_session() as session:
            if db.dialect == "sqlite":
                names = set((await session.execute(text("SELECT name FROM sqlite_master"))).scalars())
                assert {"ticket_search_fts_ai", "ticket_search_fts_ad", "ticket_search_fts_au"} <= names
                assert (await session.execute(text("PRAGMA foreign_key_check"))).all() == []
            else:
                names = set((await session.execute(text("SELECT indexname FROM pg_indexes"))).scalars())
                assert TERMS_INDEX in names
                assert await _orphans(session) == []
        load_models()
        wanted = {index.name for table in Base.metadata.sorted_tables for index in table.indexes}
        assert wanted <= names
        if db.dialect == "postgresql":
            async with db.read_session() as session:
                found = await session.execute(text("SELECT conname FROM pg_constraint WHERE contype = 'u'"))
                unique = {
                    constraint.name
                    for table in Base.metadata.sorted_tables
                    for constraint in table.constraints
                    if isinstance(constraint, UniqueConstraint)
                }
                assert unique <= set(found.scalars())
        # The next rows made by the actions take the next ids, and unique keys are enforced again.
        bus = EventBus()
        register_handlers(bus)
        async with unit_of_work(db, system_actor(Origin.CLI), bus) as uow:
            contact = await contacts_actions.create_contact(
                uow, name="Nová Zákaznice", emails=["nova@seed.test"]
            )
            department = (await uow.session.execute(text("SELECT min(id) FROM departments"))).scalar_one()
            ticket = await tickets_actions.create_ticket(
                uow, subject="Po seedu", contact_id=contact.id, department_id=department
            )
        assert ticket.id == TICKETS + 1
        async with db.read_session() as session:
            assert (
                await session.execute(select(func.count()).where(Ticket.code == ticket.code))
            ).scalar_one() == 1


async def _orphans(session: AsyncSession) -> list[str]:
    """Foreign keys of single columns whose rows point nowhere (the load ran without FK triggers)."""
    found = await session.execute(
        text(
            "SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, b.attname "
            "FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "JOIN pg_attribute b ON b.attrelid = c.confrelid AND b.attnum = c.confkey[1] "
            "WHERE c.contype = 'f' AND cardinality(c.conkey) = 1"
        )
    )
    broken = []
    for child, column, parent, key in found.all():
        orphans = await session.execute(
            text(
                f"SELECT count(*) FROM {child} c WHERE c.{column} IS NOT NULL "  # noqa: S608
                f"AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.{key} = c.{column})"
            )
        )
        if orphans.scalar_one():
            broken.append(f"{child}.{column}")
    return broken


# ---- the same seed, the same data --------------------------------------------------------------------------


async def _fingerprint(url: str) -> str:
    """A hash of what the seed generated (not of what another test added afterwards)."""
    digest = hashlib.sha256()
    for sql in (
        "SELECT id, code, subject, status, contact_id, department_id, created_at, resolved_at, agent_reply_count "
        "FROM tickets WHERE id <= :tickets ORDER BY id",
        "SELECT id, ticket_id, kind, created_at FROM message_groups WHERE ticket_id <= :tickets ORDER BY id",
        "SELECT id, group_id, kind, position, body FROM messages WHERE ticket_id <= :tickets ORDER BY id",
        "SELECT ticket_id, terms FROM ticket_search WHERE ticket_id <= :tickets ORDER BY ticket_id",
        "SELECT id, name, search_text, public_id FROM contacts WHERE id <= :contacts ORDER BY id",
    ):
        for row in await _rows(url, sql, tickets=TICKETS, contacts=TICKETS // 5):
            digest.update(repr(row).encode())
    return digest.hexdigest()


async def test_same_seed_same_data_whatever_the_workers(
    fresh: FreshDatabases, seeded: tuple[str, Report]
) -> None:
    url, _ = seeded
    again = fresh.make()
    seed(again, Options(TICKETS, OPTIONS.seed, OPTIONS.anchor, OPTIONS.days, workers=2))
    assert await _fingerprint(again) == await _fingerprint(url)


# ---- the rhythm ------------------------------------------------------------------------------------------


def test_rhythm_has_busy_mondays_quiet_weekends_a_lunch_dip_and_growth() -> None:
    anchor = int(OPTIONS.anchor.timestamp())
    rhythm = Rhythm(anchor, 730, seed=1)
    moments = [rhythm.moment((i + 0.5) / 50_000) for i in range(50_000)]
    assert moments == sorted(moments)
    assert rhythm.start <= moments[0]
    assert moments[-1] < anchor
    local = [datetime.fromtimestamp(moment, UTC).astimezone(LOCAL) for moment in moments]
    by_day = [sum(1 for moment in local if moment.weekday() == day) for day in range(7)]
    assert by_day[0] > by_day[1] > by_day[2] > by_day[4] > by_day[5]  # Monday, Tuesday … Saturday
    assert by_day[0] > 3 * by_day[6]
    weekdays = [moment for moment in local if moment.weekday() < 5]
    by_hour = [sum(1 for moment in weekdays if moment.hour == hour) for hour in range(24)]
    assert by_hour[10] > by_hour[12] < by_hour[14]  # the lunch dip
    assert by_hour[20] > 3 * by_hour[3]  # some evening mail, little at night
    first_year = sum(1 for moment in moments if moment < rhythm.start + 365 * 86400)
    assert len(moments) - first_year > 1.3 * first_year  # growth
