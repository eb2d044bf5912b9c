"""Custom fields through a real unit of work: every kind's valid and invalid values, options, required
fields, all-or-nothing writes, history, and the list filter finding exactly the right rows."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, func, select

from linka.core.db import Database
from linka.core.errors import Conflict, Forbidden, Invalid
from linka.core.history import HistoryEntry
from linka.core.permissions import SYSTEM, Actor, Origin
from linka.core.uow import unit_of_work
from linka.domains.accounts.models import Agent
from linka.domains.accounts.queries import build_actor
from linka.domains.contacts import actions as contacts_actions
from linka.domains.fields import actions, queries
from linka.domains.fields.models import CustomField, FieldValue
from linka.domains.fields.queries import Range, checked_field_filter, field_filter
from linka.domains.tickets.models import Ticket
from tests.personas import Person, Personas

TICKET_FIELDS: list[dict[str, Any]] = [
    {"key": "order_no", "label": "Order number", "kind": "text"},
    {"key": "seats", "label": "Seats", "kind": "number"},
    {"key": "due", "label": "Due date", "kind": "date"},
    {"key": "plan", "label": "Plan", "kind": "select", "options": ["Free", "Pro", "Enterprise"]},
    {"key": "products", "label": "Products", "kind": "multi_select", "options": ["Mail", "Chat", "Phone"]},
    {"key": "vip", "label": "VIP", "kind": "checkbox"},
]


async def _actor(db: Database, person: Person) -> Actor:
    async with db.read_session() as session:
        agent = await session.get(Agent, person.id)
        assert agent is not None
        return await build_actor(session, agent, origin=Origin.API)


async def _define(db: Database, entity: str = "ticket", specs: list[dict[str, Any]] | None = None) -> None:
    async with unit_of_work(db, SYSTEM) as uow:
        for spec in specs if specs is not None else TICKET_FIELDS:
            await actions.create_field(uow, entity=entity, **spec)


async def _set(db: Database, ticket_id: int, values: dict[str, object]) -> tuple[str, ...]:
    async with unit_of_work(db, SYSTEM) as uow:
        return await actions.set_values(uow, entity="ticket", entity_id=ticket_id, values=values)


async def _values(db: Database, *ids: int, entity: str = "ticket") -> dict[int, dict[str, object]]:
    async with db.read_session() as session:
        return await queries.values_of(session, entity, list(ids))


async def _rows(db: Database, entity_id: int) -> int:
    async with db.read_session() as session:
        query = select(func.count()).select_from(FieldValue).where(FieldValue.entity_id == entity_id)
        return int((await session.execute(query)).scalar_one())


FULL = {
    "order_no": "  A-1001 ",
    "seats": 20,
    "due": "2026-03-31",
    "plan": "Pro",
    "products": ["Phone", "Mail", "Mail"],
    "vip": True,
}


async def test_every_kind_stores_and_reads_back(db: Database, personas: Personas) -> None:
    await _define(db)
    karel = personas.tickets["karel"]
    unset = await _values(db, karel)
    assert unset[karel] == {
        "order_no": None,
        "seats": None,
        "due": None,
        "plan": None,
        "products": [],
        "vip": False,
    }
    changed = await _set(db, karel, FULL)
    assert set(changed) == set(FULL)
    assert (await _values(db, karel))[karel] == {
        "order_no": "A-1001",
        "seats": 20,
        "due": "2026-03-31",
        "plan": "Pro",
        "products": ["Mail", "Phone"],  # options order, each once
        "vip": True,
    }
    assert await _rows(db, karel) == 7  # a multi-select keeps one row per option
    # A float stays a float, a date object is accepted from Python callers.
    await _set(db, karel, {"seats": 2.5, "due": date(2026, 4, 1)})
    values = (await _values(db, karel))[karel]
    assert values["seats"] == 2.5
    assert values["due"] == "2026-04-01"
    # Setting the same values again changes (and records) nothing.
    assert await _set(db, karel, {"seats": 2.5, "plan": "Pro"}) == ()
    async with db.read_session() as session:
        entries = (
            (
                await session.execute(
                    select(HistoryEntry)
                    .where(HistoryEntry.entity_type == "ticket", HistoryEntry.entity_id == karel)
                    .where(HistoryEntry.action == "fields_changed")
                    .order_by(HistoryEntry.id)
                )
            )
            .scalars()
            .all()
        )
    assert len(entries) == 2
    assert entries[0].before == {key: unset[karel][key] for key in FULL}
    assert entries[1].before == {"seats": 20, "due": "2026-03-31"}
    assert entries[1].after == {"seats": 2.5, "due": "2026-04-01"}


async def test_none_and_empty_values_clear(db: Database, personas: Personas) -> None:
    await _define(db)
    karel = personas.tickets["karel"]
    await _set(db, karel, FULL)
    changed = await _set(
        db, karel, {"order_no": "", "seats": None, "products": [], "vip": False, "due": None}
    )
    assert set(changed) == {"order_no", "seats", "products", "vip", "due"}
    assert (await _values(db, karel))[karel] == {
        "order_no": None,
        "seats": None,
        "due": None,
        "plan": "Pro",  # not named: kept
        "products": [],
        "vip": False,
    }
    assert await _rows(db, karel) == 1  # unticked is no row


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("order_no", 42, "must be text"),
        ("order_no", ["A"], "must be text"),
        ("order_no", "x" * 501, "at most 500"),
        ("order_no", "bad\x00text", "NUL"),
        ("seats", "20", "must be a number"),
        ("seats", True, "must be a number"),
        ("seats", 10**20, "between"),
        ("seats", {"n": 1}, "must be a number"),
        ("due", "31.3.2026", "YYYY-MM-DD"),
        ("due", "2026-02-30", "YYYY-MM-DD"),
        ("due", 20260331, "YYYY-MM-DD"),
        ("plan", "Gold", "not an option"),
        ("plan", ["Pro"], "one of the options"),
        ("products", ["Mail", "Fax"], "'Fax'"),
        ("products", "Mail", "list of options"),
        ("products", [1], "not an option"),
        ("vip", "yes", "true or false"),
        ("vip", 1, "true or false"),
    ],
)
async def test_wrong_values_are_refused_naming_the_field(
    db: Database, personas: Personas, key: str, value: object, says: str
) -> None:
    await _define(db)
    karel = personas.tickets["karel"]
    await _set(db, karel, FULL)
    before = await _values(db, karel)
    with pytest.raises(Invalid) as refused:
        await _set(db, karel, {key: value})
    assert list(refused.value.fields) == [f"fields.{key}"]
    assert says in refused.value.fields[f"fields.{key}"]
    assert await _values(db, karel) == before


async def test_one_bad_value_changes_nothing_and_all_problems_are_named(
    db: Database, personas: Personas
) -> None:
    await _define(db)
    karel = personas.tickets["karel"]
    with pytest.raises(Invalid) as refused:
        await _set(db, karel, {"order_no": "fine", "seats": "many", "plan": "Gold", "colour": "red"})
    assert set(refused.value.fields) == {"fields.seats", "fields.plan", "fields.colour"}
    assert refused.value.fields["fields.colour"] == "no such field"
    assert await _rows(db, karel) == 0
    async with db.read_session() as session:
        history = await session.execute(
            select(func.count()).select_from(HistoryEntry).where(HistoryEntry.action == "fields_changed")
        )
        assert history.scalar_one() == 0


async def test_a_contact_field_is_not_a_ticket_field(db: Database, personas: Personas) -> None:
    await _define(db, "contact", [{"key": "segment", "label": "Segment", "kind": "text"}])
    with pytest.raises(Invalid) as refused:
        await _set(db, personas.tickets["karel"], {"segment": "retail"})
    assert refused.value.fields == {"fields.segment": "no such field"}


async def test_required_fields(db: Database, personas: Personas) -> None:
    await _define(
        db,
        "contact",
        [
            {
                "key": "segment",
                "label": "Segment",
                "kind": "select",
                "options": ["B2B", "B2C"],
                "required": True,
            },
            {"key": "note", "label": "Note", "kind": "text"},
        ],
    )
    # Creating with fields given (an agent's form) must name every required one.
    with pytest.raises(Invalid) as refused:
        async with unit_of_work(db, SYSTEM) as uow:
            await contacts_actions.create_contact(uow, name="Nový", fields={"note": "x"})
    assert refused.value.fields == {"fields.segment": "is required"}
    async with unit_of_work(db, SYSTEM) as uow:
        with pytest.raises(Invalid):
            await actions.check_required(uow, entity="contact", values={})
        await actions.check_required(uow, entity="contact", values={"segment": "B2B"})
        made = await contacts_actions.create_contact(uow, name="Nový", fields={"segment": "B2B"})
        # A channel that knows only an address creates without fields.
        bare = await contacts_actions.create_contact(uow, name="Z mailu", emails=["z@example.cz"])
    assert (await _values(db, made.id, entity="contact"))[made.id]["segment"] == "B2B"
    assert (await _values(db, bare.id, entity="contact"))[bare.id]["segment"] is None
    # A required value cannot be cleared.
    for empty in (None, ""):
        with pytest.raises(Invalid) as refused:
            async with unit_of_work(db, SYSTEM) as uow:
                await actions.set_values(uow, entity="contact", entity_id=made.id, values={"segment": empty})
        assert refused.value.fields == {"fields.segment": "is required"}
    assert (await _values(db, made.id, entity="contact"))[made.id]["segment"] == "B2B"


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"key": "Order", "kind": "text"}, "key"),
        ({"key": "9lives", "kind": "text"}, "key"),
        ({"key": "ok", "kind": "colour"}, "kind"),
        ({"key": "ok", "kind": "select"}, "options"),
        ({"key": "ok", "kind": "select", "options": ["A", "A"]}, "options"),
        ({"key": "ok", "kind": "select", "options": ["A", " "]}, "options"),
        ({"key": "ok", "kind": "text", "options": ["A"]}, "options"),
        ({"key": "ok", "kind": "checkbox", "required": True}, "required"),
        ({"key": "ok", "kind": "text", "translations": {"de": "Bestellung"}}, "translations"),
        ({"key": "ok", "kind": "text", "label": "   "}, "label"),
    ],
)
async def test_bad_definitions_are_refused(
    db: Database, personas: Personas, spec: dict[str, Any], field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        async with unit_of_work(db, SYSTEM) as uow:
            await actions.create_field(uow, entity="ticket", **{"label": "Label", **spec})
    assert field in refused.value.fields
    async with db.read_session() as session:
        assert (await session.execute(select(func.count()).select_from(CustomField))).scalar_one() == 0


async def test_keys_are_unique_per_entity_and_only_settings_managers_define(
    db: Database, personas: Personas
) -> None:
    await _define(db, "ticket", [{"key": "plan", "label": "Plan", "kind": "text"}])
    await _define(db, "contact", [{"key": "plan", "label": "Plan", "kind": "text"}])  # another entity
    with pytest.raises(Conflict) as clash:
        await _define(db, "ticket", [{"key": "plan", "label": "Other", "kind": "number"}])
    assert "key" in clash.value.fields
    sara = await _actor(db, personas.support_agent)
    with pytest.raises(Forbidden):
        async with unit_of_work(db, sara) as uow:
            await actions.create_field(uow, entity="ticket", key="x", label="X", kind="text")


async def test_options_in_use_are_not_removed(db: Database, personas: Personas) -> None:
    await _define(db)
    karel, eva = personas.tickets["karel"], personas.tickets["eva"]
    await _set(db, karel, {"plan": "Pro", "products": ["Chat"]})
    await _set(db, eva, {"plan": "Pro"})
    async with db.read_session() as session:
        plan = await queries.field_by_key(session, "ticket", "plan")
        products = await queries.field_by_key(session, "ticket", "products")
    assert plan is not None
    assert products is not None
    with pytest.raises(Conflict) as refused:
        async with unit_of_work(db, SYSTEM) as uow:
            await actions.update_field(uow, field_id=plan.id, options=["Free", "Enterprise"])
    assert "'Pro' is held by 2" in refused.value.fields["options"]
    # Renaming is removing too; adding, reordering and removing unused options are fine.
    with pytest.raises(Conflict):
        async with unit_of_work(db, SYSTEM) as uow:
            await actions.update_field(uow, field_id=products.id, options=["Mail", "Live chat", "Phone"])
    async with unit_of_work(db, SYSTEM) as uow:
        changed = await actions.update_field(
            uow, field_id=plan.id, options=["Enterprise", "Pro", "Team"], label="Price plan", required=True
        )
    assert changed.options == ["Enterprise", "Pro", "Team"]
    assert (await _values(db, karel))[karel]["plan"] == "Pro"
    with pytest.raises(Invalid):
        await _set(db, karel, {"plan": "Free"})


async def test_deleting_a_field_deletes_its_values(db: Database, personas: Personas) -> None:
    await _define(db)
    karel = personas.tickets["karel"]
    await _set(db, karel, FULL)
    async with db.read_session() as session:
        products = await queries.field_by_key(session, "ticket", "products")
    assert products is not None
    async with unit_of_work(db, SYSTEM) as uow:
        assert await actions.delete_field(uow, field_id=products.id) == 1
    assert await _rows(db, karel) == 5
    assert "products" not in (await _values(db, karel))[karel]


async def test_values_of_many_rows_is_one_query(db: Database, personas: Personas) -> None:
    await _define(db)
    ids = list(personas.tickets.values())
    for n, ticket_id in enumerate(ids):
        await _set(db, ticket_id, {"seats": n, "products": ["Mail", "Chat"][: n + 1]})
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with db.read_session() as session:
            found = await queries.values_of(session, "ticket", ids)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    assert [found[ticket_id]["seats"] for ticket_id in ids] == [0, 1, 2]
    assert found[ids[2]]["products"] == ["Mail", "Chat"]


async def test_contacts_merge_and_delete_keep_values_tidy(db: Database, personas: Personas) -> None:
    await _define(
        db,
        "contact",
        [
            {"key": "segment", "label": "Segment", "kind": "text"},
            {"key": "score", "label": "S", "kind": "number"},
        ],
    )
    eva, hana, petr = personas.contacts["eva"], personas.contacts["hana"], personas.contacts["petr"]
    async with unit_of_work(db, SYSTEM) as uow:
        await actions.set_values(uow, entity="contact", entity_id=eva, values={"segment": "B2B"})
        await actions.set_values(uow, entity="contact", entity_id=hana, values={"segment": "B2C", "score": 7})
        await actions.set_values(uow, entity="contact", entity_id=petr, values={"score": 1})
    async with unit_of_work(db, SYSTEM) as uow:
        await contacts_actions.merge_contacts(uow, source_id=hana, target_id=eva)
        await contacts_actions.delete_contact(uow, contact_id=petr)
    assert (await _values(db, eva, entity="contact"))[eva] == {"segment": "B2B", "score": 7}
    assert await _rows(db, hana) == 0
    assert await _rows(db, petr) == 0


# ---- the list filter ---------------------------------------------------------------------------


async def _matching(db: Database, key: str, value: object) -> set[str]:
    async with db.read_session() as session:
        query = select(Ticket.code).where(field_filter("ticket", key, value, Ticket.id))
        return set((await session.execute(query)).scalars())


@pytest.fixture
async def filled(db: Database, personas: Personas) -> dict[str, str]:
    """Karel's, Eva's and Hana's tickets with different values; Hana's has few."""
    await _define(db)
    await _define(db, "contact", [{"key": "order_no", "label": "Order", "kind": "text"}])
    await _set(
        db,
        personas.tickets["karel"],
        {
            "order_no": "A-1",
            "seats": 5,
            "due": "2026-01-15",
            "plan": "Pro",
            "products": ["Mail"],
            "vip": True,
        },
    )
    await _set(
        db,
        personas.tickets["eva"],
        {"order_no": "B-2", "seats": 20.5, "due": "2026-03-01", "plan": "Free", "products": ["Mail", "Chat"]},
    )
    await _set(db, personas.tickets["hana"], {"seats": 100})
    # A contact holding the same text must not make any ticket match.
    async with unit_of_work(db, SYSTEM) as uow:
        await actions.set_values(
            uow, entity="contact", entity_id=personas.contacts["hana"], values={"order_no": "Z-9"}
        )
    return dict(personas.ticket_codes)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("order_no", "A-1", {"karel"}),
        ("order_no", "Z-9", set()),
        ("order_no", None, {"hana"}),
        ("plan", "Free", {"eva"}),
        ("products", "Mail", {"karel", "eva"}),
        ("products", "Chat", {"eva"}),
        ("products", ["Chat", "Phone"], {"eva"}),
        ("seats", 5, {"karel"}),
        ("seats", "20.5", {"eva"}),
        ("seats", Range(10, None), {"eva", "hana"}),
        ("seats", Range(None, "20.5"), {"karel", "eva"}),
        ("seats", Range(6, 20), set()),
        ("due", "2026-03-01", {"eva"}),
        ("due", date(2026, 1, 15), {"karel"}),
        ("due", Range("2026-01-01", "2026-02-28"), {"karel"}),
        ("due", Range(date(2026, 2, 1), None), {"eva"}),
        ("vip", True, {"karel"}),
        ("vip", "true", {"karel"}),
        ("vip", False, {"eva", "hana"}),
        ("vip", "false", {"eva", "hana"}),
        ("plan", ["Pro", "Free"], {"karel", "eva"}),
        ("nonexistent", "A-1", set()),
        ("nonexistent", False, set()),
    ],
)
async def test_field_filter_finds_the_right_tickets(
    db: Database, filled: dict[str, str], key: str, value: object, expected: set[str]
) -> None:
    assert await _matching(db, key, value) == {filled[name] for name in expected}


async def test_checked_filter_refuses_what_no_field_could_hold(db: Database, filled: dict[str, str]) -> None:
    async with db.read_session() as session:
        for key, value, field in [
            ("nonexistent", "x", "fields.nonexistent"),
            ("plan", "Gold", "fields.plan"),
            ("seats", "many", "fields.seats"),
            ("due", "soon", "fields.due"),
            ("order_no", Range(1, 2), "fields.order_no"),
            ("seats", Range("a", None), "fields.seats"),
        ]:
            with pytest.raises(Invalid) as refused:
                await checked_field_filter(session, "ticket", key, value, Ticket.id)
            assert field in refused.value.fields, (key, value)
        condition = await checked_field_filter(session, "ticket", "seats", "5", Ticket.id)
        codes = set((await session.execute(select(Ticket.code).where(condition))).scalars())
        assert codes == {filled["karel"]}
        condition = await checked_field_filter(session, "ticket", "vip", "no", Ticket.id)
        codes = set((await session.execute(select(Ticket.code).where(condition))).scalars())
        assert codes == {filled["eva"], filled["hana"]}
