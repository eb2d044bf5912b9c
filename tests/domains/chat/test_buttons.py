"""Chat buttons and invitation rules as configuration, on both engines: settings are checked with an
error naming the field, cleaned (origins, defaults), kept in the history with an event; only channel
admins change them; a button that has chats is not deleted; and the rule matching the widget uses."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from linka.core.db import Database
from linka.core.errors import Conflict, Forbidden, Invalid, NotFound
from linka.core.history import HistoryEntry
from linka.core.permissions import Actor, Origin, Scope
from linka.core.uow import unit_of_work
from linka.domains.accounts.models import Agent
from linka.domains.accounts.queries import build_actor
from linka.domains.chat import button_actions as actions
from linka.domains.chat import button_queries as queries
from linka.domains.chat.events import ChatButtonChanged
from linka.domains.chat.models import ChatButton, InvitationRule
from tests.domains.chat.button_helpers import insert_chat
from tests.personas import Person, Personas


async def actor_of(db: Database, person: Person, *, scopes: frozenset[Scope] | None = None) -> Actor:
    async with db.read_session() as session:
        agent = await session.get(Agent, person.id)
        assert agent is not None
        return await build_actor(
            session, agent, origin=Origin.API, scopes=scopes or frozenset({Scope.READ, Scope.WRITE})
        )


async def create(db: Database, actor: Actor, **values: Any) -> ChatButton:
    async with unit_of_work(db, actor) as uow:
        return await actions.create_chat_button(uow, **values)


async def history(db: Database, entity_type: str, entity_id: int) -> list[HistoryEntry]:
    async with db.read_session() as session:
        rows = await session.execute(
            select(HistoryEntry)
            .where(HistoryEntry.entity_type == entity_type, HistoryEntry.entity_id == entity_id)
            .order_by(HistoryEntry.id)
        )
        return list(rows.scalars())


async def stored(db: Database, button_id: int) -> ChatButton | None:
    async with db.read_session() as session:
        return await session.get(ChatButton, button_id)


async def test_a_button_is_stored_with_defaults_history_and_an_event(
    db: Database, personas: Personas
) -> None:
    admin = await actor_of(db, personas.admin)
    async with unit_of_work(db, admin) as uow:
        button = await actions.create_chat_button(
            uow,
            name="  Web   shop ",
            department_id=personas.departments["support"],
            allowed_origins=["HTTPS://Shop.Example/", "https://shop.example:443", "http://localhost:8000"],
        )
    assert uow.events == [ChatButtonChanged(button_id=button.id, public_id=button.public_id)]
    row = await stored(db, button.id)
    assert row is not None
    assert row.public_id.startswith("cb_")
    assert row.name == "Web shop"
    assert row.allowed_origins == ["https://shop.example", "http://localhost:8000"]
    assert (row.routing_method, row.ring_seconds, row.max_chats_per_agent) == ("average", 30, 3)
    assert (row.end_status, row.prefer_previous_agent, row.agent_priorities) == ("answered", True, {})
    assert [(f["key"], f["kind"], f["required"]) for f in row.prechat_fields] == [
        ("name", "text", False),
        ("email", "email", True),
    ]
    assert row.prechat_fields[1]["label"] == {
        "en": "Your email",
        "cs": "Váš e-mail",
        "hu": "Az Ön e-mail-címe",
    }
    assert row.appearance["colour"] == "#0b5cad"
    assert row.appearance["position"] == "right"
    assert row.appearance["texts"]["cs"]["title"] == "Napište nám"
    assert set(row.appearance["texts"]) == {"en", "cs", "hu"}
    [entry] = await history(db, "chat_button", button.id)
    assert entry.action == "created"
    assert entry.after is not None
    assert entry.after["allowed_origins"] == ["https://shop.example", "http://localhost:8000"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": "   "}, "name"),
        ({"department_id": 987654}, "department_id"),
        ({"routing_method": "round_robin"}, "routing_method"),
        ({"ring_seconds": 2}, "ring_seconds"),
        ({"ring_seconds": 601}, "ring_seconds"),
        ({"max_chats_per_agent": 0}, "max_chats_per_agent"),
        ({"inactivity_minutes": 24 * 60 + 1}, "inactivity_minutes"),
        ({"breathing_seconds": -1}, "breathing_seconds"),
        ({"missed_after_seconds": 10}, "missed_after_seconds"),
        ({"end_status": "closed"}, "end_status"),
        ({"allowed_origins": ["ftp://shop.example"]}, "allowed_origins"),
        ({"allowed_origins": ["https://shop.example/path"]}, "allowed_origins"),
        ({"allowed_origins": ["shop.example"]}, "allowed_origins"),
        ({"allowed_origins": [f"https://s{i}.example" for i in range(51)]}, "allowed_origins"),
        ({"prechat_fields": [{"key": "Bad key", "kind": "text", "label": {"en": "X"}}]}, "prechat_fields"),
        (
            {"prechat_fields": [{"key": "a", "label": {"en": "A"}}, {"key": "a", "label": {"en": "B"}}]},
            "prechat_fields",
        ),
        ({"prechat_fields": [{"key": "a", "kind": "date", "label": {"en": "A"}}]}, "prechat_fields"),
        ({"prechat_fields": [{"key": "a", "kind": "text", "label": {"cs": "Jen česky"}}]}, "prechat_fields"),
        (
            {"prechat_fields": [{"key": "a", "kind": "select", "label": {"en": "A"}, "options": []}]},
            "prechat_fields",
        ),
        ({"prechat_fields": [{"key": f"f{i}", "label": {"en": "F"}} for i in range(11)]}, "prechat_fields"),
        ({"appearance": {"colour": "blue"}}, "appearance.colour"),
        ({"appearance": {"position": "top"}}, "appearance.position"),
        ({"appearance": {"texts": {"de": {"title": "Hallo"}}}}, "appearance.texts"),
        ({"appearance": {"texts": {"en": {"title": "x" * 201}}}}, "appearance.texts"),
    ],
)
async def test_a_bad_setting_is_refused_naming_its_field(
    db: Database, personas: Personas, values: dict[str, Any], field: str
) -> None:
    admin = await actor_of(db, personas.admin)
    values = {"name": "Shop", "department_id": personas.departments["support"], **values}
    with pytest.raises(Invalid) as refused:
        await create(db, admin, **values)
    assert set(refused.value.fields) == {field}


async def test_prechat_fields_and_appearance_are_kept_clean(db: Database, personas: Personas) -> None:
    admin = await actor_of(db, personas.admin)
    button = await create(
        db,
        admin,
        name="Shop",
        department_id=personas.departments["support"],
        prechat_fields=[
            {
                "key": "Topic",
                "kind": "select",
                "required": True,
                "label": {"en": " Topic ", "cs": "Téma"},
                "options": ["Orders", " Orders ", "Returns", ""],
            },
            {"key": "phone", "kind": "text", "label": {"en": "Phone", "hu": ""}, "options": ["ignored"]},
        ],
        appearance={"colour": "#FF8800", "position": "left", "texts": {"hu": {"title": "Kérdése van?"}}},
    )
    row = await stored(db, button.id)
    assert row is not None
    assert row.prechat_fields == [
        {
            "key": "topic",
            "kind": "select",
            "required": True,
            "label": {"en": "Topic", "cs": "Téma"},
            "options": ["Orders", "Returns"],
        },
        {"key": "phone", "kind": "text", "required": False, "label": {"en": "Phone"}, "options": []},
    ]
    assert (row.appearance["colour"], row.appearance["position"]) == ("#ff8800", "left")
    assert row.appearance["texts"]["hu"]["title"] == "Kérdése van?"
    # a text left out is the language's default
    assert row.appearance["texts"]["hu"]["greeting"] == "Üdvözöljük! Miben segíthetünk?"


async def test_agent_priorities_name_members_of_the_department(db: Database, personas: Personas) -> None:
    admin = await actor_of(db, personas.admin)
    support = personas.departments["support"]
    with pytest.raises(Invalid) as refused:
        await create(
            db, admin, name="Shop", department_id=support, agent_priorities={personas.sales_agent.id: 5}
        )
    assert set(refused.value.fields) == {"agent_priorities"}
    with pytest.raises(Invalid):
        await create(
            db, admin, name="Shop", department_id=support, agent_priorities={personas.support_agent.id: 101}
        )
    button = await create(
        db,
        admin,
        name="Shop",
        department_id=support,
        routing_method="priority",
        agent_priorities={personas.support_agent.id: 10, personas.support_supervisor.id: 1},
    )
    row = await stored(db, button.id)
    assert row is not None
    assert row.agent_priorities == {
        str(personas.support_agent.id): 10,
        str(personas.support_supervisor.id): 1,
    }
    # Moving the button to Sales drops the priorities of agents who are not members there.
    async with unit_of_work(db, admin) as uow:
        await actions.update_chat_button(
            uow, button_id=button.id, department_id=personas.departments["sales"]
        )
    row = await stored(db, button.id)
    assert row is not None
    assert row.agent_priorities == {}


async def test_an_update_changes_only_what_is_given_and_records_the_difference(
    db: Database, personas: Personas
) -> None:
    admin = await actor_of(db, personas.admin)
    button = await create(db, admin, name="Shop", department_id=personas.departments["support"])
    async with unit_of_work(db, admin) as uow:
        await actions.update_chat_button(uow, button_id=button.id, ring_seconds=45, enabled=False)
    assert uow.events == [ChatButtonChanged(button_id=button.id, public_id=button.public_id)]
    row = await stored(db, button.id)
    assert row is not None
    assert (row.ring_seconds, row.enabled, row.name, row.max_chats_per_agent) == (45, False, "Shop", 3)
    entries = await history(db, "chat_button", button.id)
    assert [e.action for e in entries] == ["created", "updated"]
    assert entries[1].before == {"enabled": True, "ring_seconds": 30}
    assert entries[1].after == {"enabled": False, "ring_seconds": 45}
    # nothing changed: no history, no event
    async with unit_of_work(db, admin) as uow:
        await actions.update_chat_button(uow, button_id=button.id, ring_seconds=45)
    assert uow.events == []
    assert len(await history(db, "chat_button", button.id)) == 2


async def test_only_channel_admins_with_write_access_change_buttons(db: Database, personas: Personas) -> None:
    sara = await actor_of(db, personas.support_agent)
    supervisor = await actor_of(db, personas.support_supervisor)
    read_only_admin = await actor_of(db, personas.admin, scopes=frozenset({Scope.READ}))
    button_id = personas.support_chat_button.id
    for someone in (sara, supervisor, read_only_admin):
        with pytest.raises(Forbidden):
            await create(db, someone, name="Mine", department_id=personas.departments["support"])
        with pytest.raises(Forbidden):
            async with unit_of_work(db, someone) as uow:
                await actions.update_chat_button(uow, button_id=button_id, enabled=False)
        with pytest.raises(Forbidden):
            async with unit_of_work(db, someone) as uow:
                await actions.delete_chat_button(uow, button_id=button_id)
    async with db.read_session() as session:
        with pytest.raises(Forbidden):
            await queries.list_buttons(session, sara)
        owner = await actor_of(db, personas.owner)
        page = await queries.list_buttons(session, owner)
    assert [b.id for b in page.items] == [personas.support_chat_button.public_id]
    assert page.items[0].allowed_origins == ["http://127.0.0.1", "http://localhost"]


async def test_buttons_are_listed_page_by_page(db: Database, personas: Personas) -> None:
    admin = await actor_of(db, personas.admin)
    made = [personas.support_chat_button.public_id]
    for number in range(4):
        made.append(
            (
                await create(db, admin, name=f"B{number}", department_id=personas.departments["sales"])
            ).public_id
        )
    seen: list[str] = []
    cursor: str | None = None
    async with db.read_session() as session:
        while True:
            page = await queries.list_buttons(session, admin, cursor=cursor, limit=2)
            seen += [b.id for b in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    assert seen == made


async def test_a_button_with_chats_is_switched_off_not_deleted(db: Database, personas: Personas) -> None:
    admin = await actor_of(db, personas.admin)
    button_id = personas.support_chat_button.id
    await insert_chat(db, personas, button_id)
    with pytest.raises(Conflict) as refused:
        async with unit_of_work(db, admin) as uow:
            await actions.delete_chat_button(uow, button_id=button_id)
    assert set(refused.value.fields) == {"button"}
    assert "switch it off" in refused.value.message
    assert await stored(db, button_id) is not None


async def test_deleting_a_button_takes_its_rules_along(db: Database, personas: Personas) -> None:
    admin = await actor_of(db, personas.admin)
    button = await create(db, admin, name="Shop", department_id=personas.departments["support"])
    async with unit_of_work(db, admin) as uow:
        rule = await actions.create_invitation_rule(
            uow,
            button_id=button.id,
            name="Pricing",
            conditions=[{"field": "visits", "op": "at_least", "value": 2}],
            message={"en": "Questions?"},
        )
    async with unit_of_work(db, admin) as uow:
        await actions.delete_chat_button(uow, button_id=button.id)
    assert uow.events == [ChatButtonChanged(button_id=button.id, public_id=button.public_id)]
    assert await stored(db, button.id) is None
    async with db.read_session() as session:
        assert await session.get(InvitationRule, rule.id) is None
    assert [e.action for e in await history(db, "chat_button", button.id)] == ["created", "deleted"]
    with pytest.raises(NotFound):
        async with unit_of_work(db, admin) as uow:
            await actions.delete_chat_button(uow, button_id=button.id)


# ---- invitation rules ------------------------------------------------------------------------------


async def test_rules_are_checked_stored_in_order_and_reordered(db: Database, personas: Personas) -> None:
    admin = await actor_of(db, personas.admin)
    button_id = personas.support_chat_button.id
    async with unit_of_work(db, admin) as uow:
        first = await actions.create_invitation_rule(
            uow,
            button_id=button_id,
            name="Pricing page",
            conditions=[
                {"field": "page_url", "op": "contains", "value": " pricing "},
                {"field": "time_on_site", "op": "at_least", "value": "30"},
            ],
            message={"en": "Questions about prices?", "cs": "Dotazy k cenám?", "hu": ""},
        )
        second = await actions.create_invitation_rule(
            uow,
            button_id=button_id,
            name="Returning",
            conditions=[{"field": "visits", "op": "at_least", "value": 3}],
            message={"en": "Welcome back!"},
            enabled=False,
        )
    assert (first.position, second.position) == (0, 1)
    assert first.conditions == [
        {"field": "page_url", "op": "contains", "value": "pricing"},
        {"field": "time_on_site", "op": "at_least", "value": 30},
    ]
    assert first.message == {"en": "Questions about prices?", "cs": "Dotazy k cenám?"}
    assert (
        uow.events
        == [ChatButtonChanged(button_id=button_id, public_id=personas.support_chat_button.public_id)] * 2
    )
    async with unit_of_work(db, admin) as uow:
        await actions.move_invitation_rule(uow, rule_id=second.id, offset=-1)
    async with db.read_session() as session:
        order = [r.id for r in await queries.invitation_rules_of(session, button_id)]
    assert order == [second.id, first.id]
    with pytest.raises(Invalid) as refused:
        async with unit_of_work(db, admin) as uow:
            await actions.reorder_invitation_rules(uow, button_id=button_id, rule_ids=[first.id])
    assert set(refused.value.fields) == {"ids"}
    async with unit_of_work(db, admin) as uow:
        await actions.update_invitation_rule(uow, rule_id=second.id, enabled=True, name="Loyal")
        await actions.delete_invitation_rule(uow, rule_id=first.id)
    actions_done = [e.action for e in await history(db, "chat_invitation_rule", first.id)]
    assert actions_done == ["created", "deleted"]
    entries = await history(db, "chat_invitation_rule", second.id)
    assert [e.action for e in entries] == ["created", "updated"]
    assert entries[1].after == {"enabled": True, "name": "Loyal"}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": ""}, "name"),
        ({"conditions": []}, "conditions"),
        ({"conditions": [{"field": "country", "op": "equals", "value": "CZ"}]}, "conditions"),
        ({"conditions": [{"field": "visits", "op": "contains", "value": "2"}]}, "conditions"),
        ({"conditions": [{"field": "visits", "op": "at_least", "value": -1}]}, "conditions"),
        ({"conditions": [{"field": "time_on_site", "op": "at_least", "value": "soon"}]}, "conditions"),
        ({"conditions": [{"field": "page_url", "op": "at_least", "value": "3"}]}, "conditions"),
        ({"conditions": [{"field": "page_url", "op": "contains", "value": "  "}]}, "conditions"),
        ({"conditions": [{"field": "referrer", "op": "equals", "value": "x" * 501}]}, "conditions"),
        ({"message": {"cs": "Jen česky"}}, "message"),
        ({"message": {"en": "x" * 501}}, "message"),
        ({"message": {"en": "Hi", "de": "Hallo"}}, "message"),
    ],
)
async def test_a_bad_rule_is_refused_naming_its_field(
    db: Database, personas: Personas, values: dict[str, Any], field: str
) -> None:
    admin = await actor_of(db, personas.admin)
    values = {
        "name": "Rule",
        "conditions": [{"field": "visits", "op": "at_least", "value": 1}],
        "message": {"en": "Hello"},
        **values,
    }
    with pytest.raises(Invalid) as refused:
        async with unit_of_work(db, admin) as uow:
            await actions.create_invitation_rule(uow, button_id=personas.support_chat_button.id, **values)
    assert set(refused.value.fields) == {field}


def _rule(
    rule_id: int, position: int, conditions: list[dict[str, Any]], *, enabled: bool = True
) -> InvitationRule:
    return InvitationRule(
        id=rule_id, position=position, conditions=conditions, enabled=enabled, message={"en": "x"}
    )


def test_the_first_enabled_rule_whose_every_condition_holds_matches() -> None:
    pricing = _rule(
        1,
        1,
        [
            {"field": "page_url", "op": "contains", "value": "PRICING"},
            {"field": "time_on_site", "op": "at_least", "value": 30},
        ],
    )
    google = _rule(2, 2, [{"field": "referrer", "op": "starts_with", "value": "https://www.google."}])
    loyal = _rule(3, 0, [{"field": "visits", "op": "at_least", "value": 3}], enabled=False)
    exact = _rule(4, 3, [{"field": "page_url", "op": "equals", "value": "https://shop.example/"}])
    rules = [exact, google, pricing, loyal]
    visitor = {"referrer": "", "visits": 5, "page_views": 1}
    assert (
        actions.matching_invitation(
            rules, page_url="https://shop.example/Pricing", time_on_site=31, **visitor
        )
        is pricing
    )
    assert (
        actions.matching_invitation(
            rules, page_url="https://shop.example/Pricing", time_on_site=29, **visitor
        )
        is None
    )
    assert (
        actions.matching_invitation(rules, page_url="HTTPS://SHOP.EXAMPLE/", time_on_site=0, **visitor)
        is exact
    )
    assert (
        actions.matching_invitation(
            rules,
            page_url="https://shop.example/pricing",
            referrer="https://www.Google.com/search",
            time_on_site=40,
            visits=1,
            page_views=1,
        )
        is pricing
    )
    assert (
        actions.matching_invitation(
            rules,
            page_url="https://shop.example/a",
            referrer="https://www.google.cz/",
            time_on_site=0,
            visits=1,
            page_views=1,
        )
        is google
    )


def test_the_socket_learns_when_a_time_rule_would_match() -> None:
    pricing = _rule(
        1,
        0,
        [
            {"field": "page_url", "op": "contains", "value": "pricing"},
            {"field": "time_on_site", "op": "at_least", "value": 30},
        ],
    )
    anywhere = _rule(2, 1, [{"field": "time_on_site", "op": "at_least", "value": 120}])
    off = _rule(3, 2, [{"field": "time_on_site", "op": "at_least", "value": 10}], enabled=False)
    rules = [pricing, anywhere, off]
    common = {"referrer": "", "visits": 1, "page_views": 1}
    assert actions.seconds_until_time_rule(rules, page_url="/pricing", time_on_site=5, **common) == 25
    assert actions.seconds_until_time_rule(rules, page_url="/about", time_on_site=5, **common) == 115
    assert actions.seconds_until_time_rule(rules, page_url="/pricing", time_on_site=60, **common) == 60
    assert actions.seconds_until_time_rule(rules, page_url="/about", time_on_site=500, **common) is None
