"""Ticket full-text search on both engines: three languages, what is searched, ranking, permissions,
hostile input, and the index kept current by the event handlers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, event, select, text
from sqlalchemy.engine import Connection

from linka.core.db import Base, Database
from linka.core.errors import Invalid
from linka.core.permissions import Actor, Origin, Scope, system_actor
from linka.core.search import query_groups
from linka.domains import load_models
from linka.domains.accounts.models import Agent
from linka.domains.accounts.queries import build_actor
from linka.domains.contacts import actions as contacts_actions
from linka.domains.tickets import actions as tickets_actions
from linka.domains.tickets import list_queries, tag_actions, thread_actions
from linka.domains.tickets import search as search_module
from linka.domains.tickets.list_queries import TicketFilters
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.queries import visible_ticket_condition
from linka.domains.tickets.search import (
    MAX_MESSAGE_CHARS,
    MAX_QUERY_CHARS,
    MAX_TERMS_BYTES,
    matches,
    rebuild_search_index,
    reindex_tickets,
    search_groups,
    search_hits,
)
from linka.domains.tickets.search_models import TicketSearch
from linka.entrypoints.runtime import Runtime
from linka.migrations.autogenerate import include_object
from tests.personas import Person, Personas
from tests.query_counter import counting_statements

SYSTEM = system_actor(Origin.API)


# ---- helpers --------------------------------------------------------------------------------------


async def new_ticket(
    runtime: Runtime, personas: Personas, subject: str, *, contact: str = "karel", department: str = "support"
) -> Ticket:
    async with runtime.uow(SYSTEM) as uow:
        return await tickets_actions.create_ticket(
            uow,
            subject=subject,
            contact_id=personas.contacts[contact],
            department_id=personas.departments[department],
        )


async def add_message(runtime: Runtime, ticket: Ticket, text: str, **more: Any) -> None:
    """A customer's message through the thread action (`html=`, `form_fields=` as it takes them)."""
    async with runtime.uow(SYSTEM) as uow:
        await thread_actions.add_customer_message(uow, code=ticket.code, text=text, **more)


async def add_note(runtime: Runtime, ticket: Ticket, text: str) -> None:
    async with runtime.uow(SYSTEM) as uow:
        await thread_actions.add_note(uow, code=ticket.code, text=text)


async def search(
    db: Database, q: str, *, actor: Actor | None = None, within: Sequence[int] | None = None
) -> list[int]:
    """Ticket ids matching `q`, best first, as the ticket list will combine it with its filters; the
    plain condition (`matches`) must select the same tickets as the ranked join (`search_hits`)."""
    conditions = []
    if actor is not None:
        conditions.append(visible_ticket_condition(actor))
    if within is not None:
        conditions.append(Ticket.id.in_(within))
    hits = search_hits(db.dialect, q, within=conditions)
    ranked = select(Ticket.id).join(hits, hits.c.ticket_id == Ticket.id).where(*conditions)
    filtered = select(Ticket.id).where(matches(db.dialect, q), *conditions)
    async with db.read_session() as session:
        found = list((await session.execute(ranked.order_by(hits.c.rank, Ticket.id.desc()))).scalars())
        assert set((await session.execute(filtered)).scalars()) == set(found)
    return found


async def actor_for(db: Database, person: Person) -> Actor:
    async with db.read_session() as session:
        agent = await session.get(Agent, person.id)
        assert agent is not None
        return await build_actor(
            session, agent, origin=Origin.API, scopes=frozenset({Scope.READ, Scope.WRITE})
        )


# ---- the three languages ---------------------------------------------------------------------------


async def test_czech_without_diacritics_and_inflected(
    db: Database, runtime: Runtime, personas: Personas
) -> None:
    printers = await new_ticket(runtime, personas, "Tiskárny nefungují")
    invoice = await new_ticket(runtime, personas, "Dotaz k platbě")
    await add_message(runtime, invoice, "Dobrý den, posílám faktury za březen a duben.")

    assert printers.id in await search(db, "tiskarna")
    assert printers.id in await search(db, "TISKÁRNA")
    assert printers.id in await search(db, "nefunguje")
    assert invoice.id in await search(db, "faktura")
    assert invoice.id in await search(db, "fakturu brezen")
    # Every word must match.
    assert invoice.id not in await search(db, "faktura tiskarna")
    assert printers.id not in await search(db, "faktura tiskarna")


async def test_hungarian_stems_and_accents(db: Database, runtime: Runtime, personas: Personas) -> None:
    ticket = await new_ticket(runtime, personas, "Nyomtató hiba", contact="hana", department="sales")
    await add_message(runtime, ticket, "A nyomtatónak nincs papírja, kérem a számlát is.")
    other = await new_ticket(runtime, personas, "Szállítás", contact="hana", department="sales")

    for query in ("nyomtató", "nyomtato", "nyomtatónak", "papír", "számla", "szamlat"):
        found = await search(db, query)
        assert ticket.id in found, query
        assert other.id not in found, query


async def test_english_stems_both_ways(db: Database, runtime: Runtime, personas: Personas) -> None:
    plural = await new_ticket(runtime, personas, "Both printers are offline")
    singular = await new_ticket(runtime, personas, "Printer jammed")
    unrelated = await new_ticket(runtime, personas, "Password reset")

    for query in ("printer", "printers", "PRINTER"):
        found = await search(db, query)
        assert {plural.id, singular.id} <= set(found), query
        assert unrelated.id not in found, query
    assert await search(db, "printers offline", within=[plural.id, singular.id]) == [plural.id]


# ---- what is searched ------------------------------------------------------------------------------


async def test_code_contact_and_internal_notes(db: Database, runtime: Runtime, personas: Personas) -> None:
    ticket = await new_ticket(runtime, personas, "Login problem")
    await add_note(runtime, ticket, "Customer is a VIP, escalate quietly")
    await add_message(runtime, ticket, "", html="<p>See the <strong>attached</strong> screenshot</p>")
    await add_message(runtime, ticket, "Sent from the form", form_fields={"Printer model": "LaserJet 4250"})
    other = await new_ticket(runtime, personas, "Login problem", contact="eva", department="sales")

    assert await search(db, ticket.code, within=[ticket.id, other.id]) == [ticket.id]
    assert await search(db, ticket.code.lower().replace("-", ""), within=[ticket.id, other.id]) == [ticket.id]
    # Contact: folded name and every email, whole or in parts.
    for query in ("karel@acme.test", "novak", "Novák karel", "karel"):
        assert await search(db, query, within=[ticket.id, other.id]) == [ticket.id], query
    assert set(await search(db, "acme.test", within=[ticket.id, other.id])) == {ticket.id, other.id}
    # Internal notes: agents search them too. HTML: its text, not its markup.
    assert await search(db, "escalate vip", within=[ticket.id, other.id]) == [ticket.id]
    assert await search(db, "screenshot attached", within=[ticket.id, other.id]) == [ticket.id]
    assert await search(db, "strong", within=[ticket.id, other.id]) == []
    # Form fields by label and value.
    assert await search(db, "laserjet model", within=[ticket.id, other.id]) == [ticket.id]


async def test_tags_and_later_changes_are_reindexed(
    db: Database, runtime: Runtime, personas: Personas
) -> None:
    ticket = await new_ticket(runtime, personas, "Refund request", contact="petr")
    async with runtime.uow(SYSTEM) as uow:
        tag = await tag_actions.create_tag(uow, name="Reklamace")
    async with runtime.uow(SYSTEM) as uow:
        await tag_actions.tag_ticket(uow, code=ticket.code, tag_ids=[tag.id])
    assert ticket.id in await search(db, "reklamace")

    async with runtime.uow(SYSTEM) as uow:  # a renamed tag
        await tag_actions.update_tag(uow, tag_id=tag.id, name="Garancia")
    assert ticket.id in await search(db, "garancia")
    assert ticket.id not in await search(db, "reklamace")

    async with runtime.uow(SYSTEM) as uow:  # the contact's name and emails
        await contacts_actions.update_contact(
            uow, contact_id=personas.contacts["petr"], name="Petra Dvořáková", emails=["petra@firma.cz"]
        )
    assert ticket.id in await search(db, "dvorakova petra@firma.cz")
    assert ticket.id not in await search(db, "svoboda")
    assert ticket.id not in await search(db, "petr@example.cz")

    async with runtime.uow(SYSTEM) as uow:  # the contact merged into another: tickets move
        await contacts_actions.merge_contacts(
            uow, source_id=personas.contacts["petr"], target_id=personas.contacts["hana"]
        )
    assert ticket.id in await search(db, "szabó")


async def test_a_deleted_ticket_leaves_the_index(db: Database, runtime: Runtime, personas: Personas) -> None:
    ticket = await new_ticket(runtime, personas, "Zmizelá objednávka")
    assert ticket.id in await search(db, "objednavka")
    async with db.sessions() as session:  # as a purge will (the rows cascade)
        await session.execute(delete(Ticket).where(Ticket.id == ticket.id))
        await session.commit()
    assert ticket.id not in await search(db, "objednavka")
    async with db.read_session() as session:
        assert await session.get(TicketSearch, ticket.id) is None


async def test_a_huge_thread_stays_indexable(db: Database, runtime: Runtime, personas: Personas) -> None:
    """PostgreSQL refuses a tsvector over 1 MB: the document is bounded the same way on both engines,
    and the beginning of the thread stays findable."""
    ticket = await new_ticket(runtime, personas, "Log files")
    for part in range(6):
        words = " ".join(f"k{part}x{number}" for number in range(MAX_MESSAGE_CHARS // 7))
        await add_message(runtime, ticket, words[:MAX_MESSAGE_CHARS])
    async with db.read_session() as session:
        stored = await session.get(TicketSearch, ticket.id)
    assert stored is not None
    assert MAX_TERMS_BYTES // 2 < len(stored.terms.encode()) <= MAX_TERMS_BYTES
    assert ticket.id in await search(db, "k0x5 log")
    assert ticket.id not in await search(db, "k5x6000")  # beyond the budget


# ---- ranking and permissions -----------------------------------------------------------------------


async def test_repeated_subject_words_rank_above_a_single_mention(
    db: Database, runtime: Runtime, personas: Personas
) -> None:
    once = await new_ticket(runtime, personas, "Question about my account")
    await add_message(
        runtime, once, "Hello, I also wonder whether the scanner settings changed after the last update."
    )
    strong = await new_ticket(runtime, personas, "Scanner broken: scanner shows error, scanner restarts")
    found = await search(db, "scanner", within=[once.id, strong.id])
    assert found == [strong.id, once.id]


async def test_relevance_ranks_only_the_newest_matches_the_agent_may_see(
    db: Database, runtime: Runtime, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "RANKED_CANDIDATES", 3)
    support = [await new_ticket(runtime, personas, f"Zlatokopka {n}") for n in range(4)]
    # Newer, but Sára does not see Sales: they must not take the places of her own tickets.
    for _ in range(2):
        await new_ticket(runtime, personas, "Zlatokopka", contact="eva", department="sales")
    sara = await actor_for(db, personas.support_agent)
    async with db.read_session() as session:
        best_first = await list_queries.list_tickets(
            session, sara, TicketFilters(), sort="relevance", search="zlatokopka"
        )
        by_activity = await list_queries.list_tickets(
            session, sara, TicketFilters(), sort="activity", search="zlatokopka"
        )
    assert {ticket.id for ticket in best_first.items} == {ticket.id for ticket in support[1:]}
    # Another order filters without ranking: every match is there.
    assert {ticket.id for ticket in by_activity.items} == {ticket.id for ticket in support}


@pytest.mark.parametrize("engine_name", ["postgresql"])
async def test_postgresql_plans_each_search_for_its_words(
    db: Database, runtime: Runtime, personas: Personas, engine_name: str
) -> None:
    """The words are written into the statement, not sent as parameters: a prepared statement's generic
    plan cannot know how common a word is, and the wrong plan was 90x slower at 1M tickets (search.py)."""
    made = await new_ticket(runtime, personas, "Zlatokopka ve skladu")
    sara = await actor_for(db, personas.support_agent)
    async with db.read_session() as session:
        with counting_statements(db) as seen:
            found = await list_queries.list_tickets(
                session, sara, TicketFilters(), sort="relevance", search="zlatokopka"
            )
    assert [ticket.id for ticket in found.items] == [made.id]
    searching = [sql for sql in seen.sql if "to_tsquery" in sql]
    assert searching
    assert all("zlatokop" in sql for sql in searching)
    assert all("to_tsquery('simple'::regconfig, $" not in sql for sql in searching)


@pytest.mark.parametrize("engine_name", ["postgresql"])
async def test_postgresql_keeps_statistics_for_many_search_terms(db: Database, engine_name: str) -> None:
    """Migration 0004: the plan for a word depends on PostgreSQL knowing how common it is."""
    async with db.read_session() as session:
        target = (
            await session.execute(
                text(
                    "SELECT attstattarget FROM pg_attribute"
                    " WHERE attrelid = 'ticket_search'::regclass AND attname = 'terms_vector'"
                )
            )
        ).scalar_one()
    assert target == 1_000


@pytest.mark.parametrize(
    ("who", "sees"),
    [("support_agent", {"support"}), ("sales_reader", {"sales"}), ("admin", {"support", "sales"})],
)
async def test_search_never_returns_an_invisible_ticket(
    db: Database, runtime: Runtime, personas: Personas, who: str, sees: set[str]
) -> None:
    made = {
        "support": await new_ticket(runtime, personas, "Vrácení zboží"),
        "sales": await new_ticket(runtime, personas, "Vrácení zboží", contact="eva", department="sales"),
    }
    actor = await actor_for(db, getattr(personas, who))
    found = set(await search(db, "vraceni zbozi", actor=actor))
    assert found == {made[department].id for department in sees}


# ---- hostile input ---------------------------------------------------------------------------------

HOSTILE = [
    '"',
    "*",
    "NEAR(",
    "a OR",
    "-",
    ":",
    "tisk*",
    '"tiskarna',
    "NOT printer",
    "AND OR NOT",
    "'",
    "\\",
    "a & b | !c <-> d",
    "terms:printer",
    "^printer",
    "printer)",
    "NEAR(a b, 2)",
    "{terms}: x",
    "\x00",
    "   ",
    "",
    "😀",
    "_",
    "x" * 5000,
    " ".join(["slovo"] * 50),
]


@pytest.mark.parametrize("query", HOSTILE)
async def test_hostile_input_gives_results_or_a_clear_invalid(
    db: Database, runtime: Runtime, personas: Personas, query: str
) -> None:
    ticket = await new_ticket(runtime, personas, "Printer NEAR the door, terms and conditions")
    outcome: list[int] | Invalid
    try:
        outcome = await search(db, query)
    except Invalid as error:
        outcome = error
    if len(query) > MAX_QUERY_CHARS or not query_groups(query):
        assert isinstance(outcome, Invalid)
        assert set(outcome.fields) == {"q"}
        assert outcome.status == 422
    else:
        assert isinstance(outcome, list)
        if query in {"NEAR(", "terms:printer", "^printer", "printer)"}:
            assert ticket.id in outcome  # operators are plain words: every word must match


@pytest.mark.parametrize("query", ["", "   ", '"', "*", "-", ":", "()", "😀"])
def test_a_query_without_words_is_invalid(query: str) -> None:
    with pytest.raises(Invalid) as raised:
        search_groups(query)
    assert "q" in raised.value.fields


# ---- both engines find what the normalisation says ------------------------------------------------

VOCABULARY = [
    "tiskárna",
    "tiskárny",
    "Tiskarnu",
    "faktura",
    "faktury",
    "fakturou",
    "nyomtató",
    "nyomtatónak",
    "számla",
    "számlát",
    "kérdés",
    "printer",
    "printers",
    "printing",
    "offline",
    "kanceláři",
    "kůň",
    "ŐRÜLT",
    "x86",
    "2024",
    "ab12",
    "Žluťoučký",
    "řeřicha",
    "szép",
]
_words = st.sampled_from(VOCABULARY)
_typed = st.text(alphabet='aábcčdeéěfghiíklmnňoóöőprřsštťuúůüűvyýzž0123456789 "*:-()', max_size=10)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    documents=st.lists(st.lists(_words, min_size=1, max_size=5).map(" ".join), min_size=1, max_size=3),
    query=st.lists(_words | _typed, min_size=1, max_size=3).map(" ".join),
)
async def test_engine_hits_equal_the_normalisation(
    db: Database, runtime: Runtime, personas: Personas, documents: list[str], query: str
) -> None:
    made = [(await new_ticket(runtime, personas, subject)).id for subject in documents]
    try:
        groups = search_groups(query)
    except Invalid:
        return
    async with db.read_session() as session:
        stored = dict(
            (
                await session.execute(
                    select(TicketSearch.ticket_id, TicketSearch.terms).where(TicketSearch.ticket_id.in_(made))
                )
            ).all()
        )
    expected = {
        ticket_id
        for ticket_id, terms in stored.items()
        if all(any(term in set(terms.split()) for term in group) for group in groups)
    }
    assert set(await search(db, query, within=made)) == expected


# ---- maintenance -------------------------------------------------------------------------------------


async def test_reindexing_many_tickets_takes_a_constant_number_of_queries(
    db: Database, runtime: Runtime, personas: Personas
) -> None:
    ids = []
    for number in range(12):
        ticket = await new_ticket(runtime, personas, f"Ticket {number}")
        await add_message(runtime, ticket, f"message number {number}")
        ids.append(ticket.id)

    async def statements(ticket_ids: list[int]) -> int:
        count = 0

        def on_execute(*_args: object) -> None:
            nonlocal count
            count += 1

        event.listen(db.engine.sync_engine, "before_cursor_execute", on_execute)
        try:
            async with db.sessions() as session:
                await reindex_tickets(session, ticket_ids)
                await session.commit()
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", on_execute)
        return count

    assert await statements(ids[:2]) == await statements(ids)


async def test_rebuild_indexes_every_ticket(db: Database, personas: Personas) -> None:
    # The personas are built without the event handlers, so their tickets start unindexed.
    async with db.sessions() as session:
        await session.execute(delete(TicketSearch))
        await session.commit()
    assert personas.tickets["karel"] not in await search(db, "tiskarna")

    count = await rebuild_search_index(db)

    assert count >= len(personas.tickets)
    assert personas.tickets["karel"] in await search(db, "tiskarna")
    assert personas.tickets["hana"] in await search(db, "szamla")
    assert personas.tickets["eva"] in await search(db, "eva@acme.test quotes")


async def test_autogenerate_leaves_the_search_indexes_alone(db: Database) -> None:
    """The hand-written search indexes (FTS5 tables, the GIN index) exist after the migrations and are
    invisible to autogenerate, so regenerating 0001 or writing the next revision yields no spurious
    operations for them."""
    load_models()

    def differences(connection: Connection, *, filtered: bool) -> list[str]:
        options: dict[str, Any] = {"compare_type": True}
        if filtered:
            options["include_object"] = include_object
        context = MigrationContext.configure(connection, opts=options)
        return [repr(difference) for difference in compare_metadata(context, Base.metadata)]

    async with db.engine.connect() as connection:
        unfiltered = await connection.run_sync(differences, filtered=False)
        filtered = await connection.run_sync(differences, filtered=True)
    # Without the filter autogenerate would drop them: proof that they exist and are filtered.
    assert any("ticket_search_fts" in d or "ix_ticket_search_terms" in d for d in unfiltered)
    assert [d for d in filtered if "ticket_search" in d] == []
