"""The named people of the test suite, built once per run through real actions.

Owner Olga, admin Adam, agents in two departments (Support: Sára, Sales: Sándor), a supervisor of
Support (Viktor), a reader of Sales (Rita), an agent with a custom role (Kamila, manage_contacts), and API
keys with read and with write scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from linka.core.db import Database
from linka.core.events import EventBus
from linka.core.permissions import BaseRole, DepartmentRole, Origin, system_actor
from linka.core.uow import UnitOfWork, unit_of_work
from linka.domains.accounts import actions as accounts
from linka.domains.accounts import credentials
from linka.domains.chat import button_actions as chat_buttons
from linka.domains.contacts import actions as contacts
from linka.domains.tickets import actions as tickets
from linka.entrypoints.runtime import register_handlers

PASSWORD = "correct horse battery staple"


@dataclass
class Person:
    id: int
    public_id: str
    email: str
    name: str
    password: str = PASSWORD
    api_key: str = ""


@dataclass
class ChatButtonRef:
    id: int
    public_id: str


@dataclass
class Personas:
    owner: Person
    admin: Person
    support_agent: Person
    sales_agent: Person
    support_supervisor: Person
    sales_reader: Person
    departments: dict[str, int] = field(default_factory=dict)
    department_public_ids: dict[str, str] = field(default_factory=dict)
    read_key: str = ""
    write_key: str = ""
    # Customers (contacts issue): Acme (domain acme.test) with Karel (a Support ticket) and Eva (a Sales
    # ticket); Hana (a Sales ticket, no company); Petr (no tickets). Keyed by those lower-case names.
    companies: dict[str, int] = field(default_factory=dict)
    company_public_ids: dict[str, str] = field(default_factory=dict)
    contacts: dict[str, int] = field(default_factory=dict)
    contact_public_ids: dict[str, str] = field(default_factory=dict)
    tickets: dict[str, int] = field(default_factory=dict)  # keyed by the contact's name
    ticket_codes: dict[str, str] = field(default_factory=dict)  # the same tickets' codes
    # The Support department's chat button ("support_chat"), embeddable from http://127.0.0.1 and
    # http://localhost (any port is a different origin: tests serving pages elsewhere add theirs).
    support_chat_button: ChatButtonRef = field(default_factory=lambda: ChatButtonRef(0, ""))

    def all(self) -> list[Person]:
        return [
            self.owner,
            self.admin,
            self.support_agent,
            self.sales_agent,
            self.support_supervisor,
            self.sales_reader,
        ]


async def build_personas(db: Database) -> Personas:
    # With the handlers the running app registers, so the personas' tickets are indexed for search.
    bus = EventBus()
    register_handlers(bus)
    async with unit_of_work(db, system_actor(Origin.CLI), bus) as uow:

        async def person(email: str, name: str, role: BaseRole, language: str = "en") -> Person:
            agent = await accounts.create_agent(
                uow, email=email, name=name, password=PASSWORD, role=role, language=language
            )
            return Person(id=agent.id, public_id=agent.public_id, email=email, name=name)

        owner = await person("olga@linka.test", "Olga Owner", BaseRole.OWNER)
        admin = await person("adam@linka.test", "Adam Admin", BaseRole.ADMIN)
        support_agent = await person("sara@linka.test", "Sára Nováková", BaseRole.AGENT, "cs")
        sales_agent = await person("sandor@linka.test", "Sándor Kovács", BaseRole.AGENT, "hu")
        supervisor = await person("viktor@linka.test", "Viktor Dvořák", BaseRole.AGENT, "cs")
        reader = await person("rita@linka.test", "Rita Reader", BaseRole.AGENT)
        support = await accounts.create_department(uow, name="Support")
        sales = await accounts.create_department(uow, name="Sales")
        await accounts.set_membership(
            uow, department_id=support.id, agent_id=support_agent.id, role=DepartmentRole.SOLVER
        )
        await accounts.set_membership(
            uow, department_id=sales.id, agent_id=sales_agent.id, role=DepartmentRole.SOLVER
        )
        await accounts.set_membership(
            uow, department_id=support.id, agent_id=supervisor.id, role=DepartmentRole.SUPERVISOR
        )
        await accounts.set_membership(
            uow, department_id=sales.id, agent_id=reader.id, role=DepartmentRole.READER
        )
        people = [owner, admin, support_agent, sales_agent, supervisor, reader]
        for someone in people:
            _, someone.api_key = await credentials.create_api_key(
                uow, agent_id=someone.id, name="tests", scopes=["read", "write"]
            )
        _, read_key = await credentials.create_api_key(
            uow, agent_id=admin.id, name="read only", scopes=["read"]
        )
        customers = await _build_customers(uow, support=support.id, sales=sales.id)
        support_chat = await chat_buttons.create_chat_button(
            uow,
            name="support_chat",
            department_id=support.id,
            allowed_origins=["http://127.0.0.1", "http://localhost"],
        )
        return Personas(
            owner=owner,
            admin=admin,
            support_agent=support_agent,
            sales_agent=sales_agent,
            support_supervisor=supervisor,
            sales_reader=reader,
            departments={"support": support.id, "sales": sales.id},
            department_public_ids={"support": support.public_id, "sales": sales.public_id},
            read_key=read_key,
            write_key=admin.api_key,
            support_chat_button=ChatButtonRef(support_chat.id, support_chat.public_id),
            **customers,
        )


async def _build_customers(uow: UnitOfWork, *, support: int, sales: int) -> dict[str, Any]:
    acme = await contacts.create_company(uow, name="Acme s.r.o.", domains=["acme.test"])
    people = {
        "karel": await contacts.create_contact(
            uow, name="Karel Novák", emails=["karel@acme.test"], phones=["+420 601 111 222"], language="cs"
        ),
        "eva": await contacts.create_contact(uow, name="Eva Horváthová", emails=["Eva@Acme.test"]),
        "hana": await contacts.create_contact(
            uow, name="Hana Szabó", emails=["hana@example.hu"], language="hu"
        ),
        "petr": await contacts.create_contact(uow, name="Petr Svoboda", emails=["petr@example.cz"]),
    }
    ticket_of = {
        "karel": ("Tiskárna nefunguje", support),
        "eva": ("Quote for 20 seats", sales),
        "hana": ("Számla kérdés", sales),
    }
    made, codes = {}, {}
    for name, (subject, department) in ticket_of.items():
        ticket = await tickets.create_ticket(
            uow, subject=subject, contact_id=people[name].id, department_id=department
        )
        made[name], codes[name] = ticket.id, ticket.code
    return {
        "companies": {"acme": acme.id},
        "company_public_ids": {"acme": acme.public_id},
        "contacts": {name: contact.id for name, contact in people.items()},
        "contact_public_ids": {name: contact.public_id for name, contact in people.items()},
        "tickets": made,
        "ticket_codes": codes,
    }
