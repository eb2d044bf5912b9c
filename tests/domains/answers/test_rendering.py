"""Filling an answer's variables: the pure `render_answer` (escaping, unknown variables left visible,
empty values) and `answer_variables` loading a real ticket's facts and custom fields on both engines."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from linka.core.db import Database
from linka.core.errors import NotFound
from linka.core.permissions import Origin, system_actor
from linka.core.uow import unit_of_work
from linka.domains.answers import queries
from linka.domains.answers.rendering import VARIABLES, answer_variables, field_text, render_answer
from linka.domains.contacts import actions as contacts_actions
from linka.domains.fields import actions as fields_actions
from linka.domains.tickets import actions as tickets_actions
from linka.domains.tickets import field_actions
from tests.domains.answers.conftest import ActorOf, MakeAnswer
from tests.personas import Personas

BASE = "https://help.example.cz/"
SYSTEM = system_actor(Origin.CLI)


@dataclass
class Template:
    subject: str | None
    body_html: str


def test_values_are_escaped_in_the_body_and_plain_in_the_subject() -> None:
    variables = {"contact.name": 'Bob <b>"Bobby"</b> & Co', "ticket.url": 'https://x.test/?a=1&b="2"'}
    subject, body = render_answer(
        Template(
            subject="For {contact.name}",
            body_html='<p>Hi {contact.name}, <a href="{ticket.url}">open</a></p>',
        ),
        variables,
    )
    assert subject == 'For Bob <b>"Bobby"</b> & Co'
    assert body == (
        "<p>Hi Bob &lt;b&gt;&quot;Bobby&quot;&lt;/b&gt; &amp; Co, "
        '<a href="https://x.test/?a=1&amp;b=&quot;2&quot;">open</a></p>'
    )


def test_unknown_variables_stay_and_known_empty_ones_vanish() -> None:
    variables = {"company.name": "", "contact.first_name": "Karel"}
    subject, body = render_answer(
        Template(
            subject=None, body_html="<p>{contact.frist_name}|{company.name}|{contact.first_name}|{x}|{ }</p>"
        ),
        variables,
    )
    assert subject is None
    assert body == "<p>{contact.frist_name}||Karel|{x}|{ }</p>"


def test_a_value_with_a_line_break_keeps_the_subject_one_line() -> None:
    subject, _ = render_answer(
        Template(subject="Re: {ticket.subject}", body_html=""), {"ticket.subject": "a\nb"}
    )
    assert subject == "Re: a b"


@pytest.mark.parametrize(
    ("value", "language", "text"),
    [
        (None, "en", ""),
        (True, "cs", "ano"),
        (False, "hu", "nem"),
        (True, "en", "yes"),
        (["Red", "Blue"], "en", "Red, Blue"),
        (42, "en", "42"),
        (2.5, "en", "2.5"),
        (3.0, "en", "3"),
        ("2026-03-01", "en", "2026-03-01"),
    ],
)
def test_field_values_read_as_people_write_them(value: object, language: str, text: str) -> None:
    assert field_text(value, language) == text


async def test_a_tickets_variables(db: Database, personas: Personas, actor_of: ActorOf) -> None:
    sara = await actor_of(personas.support_agent)
    code = personas.ticket_codes["karel"]
    async with db.read_session() as session:
        variables = await answer_variables(session, sara, code.lower().replace("-", ""), BASE)
    assert {key: variables[key] for key in VARIABLES} == {
        "contact.name": "Karel Novák",
        "contact.first_name": "Karel",
        "contact.email": "karel@acme.test",
        "company.name": "Acme s.r.o.",
        "ticket.code": code,
        "ticket.subject": "Tiskárna nefunguje",
        "ticket.url": f"https://help.example.cz/tickets/{code}",
        "agent.name": "Sára Nováková",
        "agent.first_name": "Sára",
        "department.name": "Support",
    }


async def test_missing_facts_are_empty(db: Database, personas: Personas, actor_of: ActorOf) -> None:
    sandor = await actor_of(personas.sales_agent)
    async with unit_of_work(db, SYSTEM) as uow:
        nameless = await contacts_actions.create_contact(uow, name="", emails=["nobody@example.org"])
        ticket = await tickets_actions.create_ticket(
            uow, subject="?", contact_id=nameless.id, department_id=personas.departments["sales"]
        )
    async with db.read_session() as session:
        variables = await answer_variables(session, sandor, ticket.code, BASE)
        hana = await answer_variables(session, sandor, personas.ticket_codes["hana"], BASE)
    assert (variables["contact.name"], variables["contact.first_name"], variables["company.name"]) == (
        "",
        "",
        "",
    )
    assert variables["contact.email"] == "nobody@example.org"
    assert hana["company.name"] == ""


async def test_custom_fields_become_variables(db: Database, personas: Personas, actor_of: ActorOf) -> None:
    code = personas.ticket_codes["karel"]
    async with unit_of_work(db, SYSTEM) as uow:
        await fields_actions.create_field(uow, entity="ticket", key="order_no", label="Order", kind="text")
        await fields_actions.create_field(uow, entity="ticket", key="vip", label="VIP", kind="checkbox")
        await fields_actions.create_field(uow, entity="ticket", key="seats", label="Seats", kind="number")
        await fields_actions.create_field(uow, entity="ticket", key="unset", label="Never set", kind="text")
        await fields_actions.create_field(
            uow, entity="contact", key="tier", label="Tier", kind="multi_select", options=["gold", "beta"]
        )
        await field_actions.set_ticket_fields(
            uow, code=code, values={"order_no": "<A-1> & co", "vip": True, "seats": 20}
        )
        await tickets_actions.update_ticket(uow, code=code, language="cs")
        await contacts_actions.update_contact(
            uow, contact_id=personas.contacts["karel"], fields={"tier": ["beta", "gold"]}
        )
    sara = await actor_of(personas.support_agent)
    template = Template(
        subject="Order {ticket.field.order_no}",
        body_html=(
            "<p>{ticket.field.order_no}|{ticket.field.vip}|{ticket.field.seats}|{ticket.field.unset}|"
            "{contact.field.tier}|{ticket.field.nope}|{contact.field.order_no}</p>"
        ),
    )
    async with db.read_session() as session:
        subject, body = render_answer(template, await answer_variables(session, sara, code, BASE))
    assert subject == "Order <A-1> & co"
    # The ticket is in Czech; an unknown key (or one of the other entity) stays visible.
    assert (
        body == "<p>&lt;A-1&gt; &amp; co|ano|20||gold, beta|{ticket.field.nope}|{contact.field.order_no}</p>"
    )


async def test_an_invisible_ticket_has_no_variables(
    db: Database, personas: Personas, actor_of: ActorOf, make_answer: MakeAnswer
) -> None:
    sara = await actor_of(personas.support_agent)
    answer = await make_answer(sara, body_html="<p>Hi {contact.first_name}</p>")
    async with db.read_session() as session:
        with pytest.raises(NotFound):
            await answer_variables(session, sara, personas.ticket_codes["hana"], BASE)
        with pytest.raises(NotFound):
            await queries.rendered_answer(
                session, sara, answer.public_id, personas.ticket_codes["hana"], BASE
            )
        rendered = await queries.rendered_answer(
            session, sara, answer.public_id, personas.ticket_codes["karel"], BASE
        )
    assert (rendered.subject, rendered.body_html) == (None, "<p>Hi Karel</p>")
