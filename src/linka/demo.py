"""A demo workspace built through the real actions: departments, agents, companies and contacts.

Czech, Hungarian and English people, as Linka's first users meet them. Every address is under the
reserved `.example` top-level domain, so nothing here can ever reach a real mailbox.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import func, select

from linka.core.db import Database
from linka.core.permissions import BaseRole, DepartmentRole, Origin, system_actor
from linka.core.uow import UnitOfWork, unit_of_work
from linka.domains.accounts import actions as accounts
from linka.domains.accounts.models import Agent
from linka.domains.chat import button_actions as chat_buttons
from linka.domains.contacts import actions as contacts

PASSWORD = "linka-demo-2026"  # noqa: S105 - the published password of the demo accounts
DEPARTMENTS = ("Support / Podpora", "Sales / Obchod", "Billing / Számlázás")


@dataclass(frozen=True)
class DemoAgent:
    email: str
    name: str
    role: BaseRole
    language: str
    # department name → role there
    departments: dict[str, DepartmentRole] = field(default_factory=dict)


AGENTS = (
    DemoAgent("owner@linka.example", "Eva Svobodová", BaseRole.OWNER, "cs"),
    DemoAgent("admin@linka.example", "Péter Nagy", BaseRole.ADMIN, "hu"),
    DemoAgent(
        "jana@linka.example",
        "Jana Nováková",
        BaseRole.AGENT,
        "cs",
        {"Support / Podpora": DepartmentRole.SOLVER},
    ),
    DemoAgent(
        "zsofia@linka.example",
        "Zsófia Tóth",
        BaseRole.AGENT,
        "hu",
        {"Support / Podpora": DepartmentRole.SUPERVISOR, "Billing / Számlázás": DepartmentRole.READER},
    ),
    DemoAgent(
        "tomas@linka.example", "Tomáš Dvořák", BaseRole.AGENT, "cs", {"Sales / Obchod": DepartmentRole.SOLVER}
    ),
    DemoAgent(
        "emily@linka.example",
        "Emily Clarke",
        BaseRole.AGENT,
        "en",
        {"Billing / Számlázás": DepartmentRole.SOLVER, "Sales / Obchod": DepartmentRole.READER},
    ),
)


@dataclass(frozen=True)
class DemoCompany:
    name: str
    domain: str
    language: str
    phone_prefix: str
    people: tuple[str, ...]


COMPANIES = (
    DemoCompany(
        "Pekárna Dvořák s.r.o.",
        "pekarna-dvorak.example",
        "cs",
        "+420 603 ",
        (
            "Petr Dvořák",
            "Lucie Procházková",
            "Jiří Černý",
            "Markéta Šťastná",
            "Ondřej Kučera",
            "Tereza Veselá",
        ),
    ),
    DemoCompany(
        "Moravská strojírna a.s.",
        "moravska-strojirna.example",
        "cs",
        "+420 731 ",
        (
            "Václav Horák",
            "Kateřina Němcová",
            "Radek Pokorný",
            "Zuzana Marková",
            "Jan Růžička",
            "Hana Benešová",
        ),
    ),
    DemoCompany(
        "Duna Kereskedelmi Kft.",
        "duna-kft.example",
        "hu",
        "+36 30 ",
        ("Kovács Anna", "Szabó Gábor", "Horváth Eszter", "Varga László", "Kiss Réka", "Molnár Bence"),
    ),
    DemoCompany(
        "Balaton Vendéglátó Zrt.",
        "balaton-vendeglato.example",
        "hu",
        "+36 70 ",
        ("Farkas Zoltán", "Balogh Ildikó", "Papp Dániel", "Takács Noémi", "Juhász Ádám", "Lakatos Júlia"),
    ),
    DemoCompany(
        "Northwind Traders Ltd",
        "northwind.example",
        "en",
        "+44 20 7946 0",
        ("Oliver Bennett", "Amelia Hughes", "Harry Wilson", "Sophie Turner", "Jack Robinson", "Grace Evans"),
    ),
)


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    return "".join(c for c in folded if not unicodedata.combining(c)).lower()


def _email(person: str, domain: str) -> str:
    return ".".join(_ascii(person).split()) + "@" + domain


def _phone(company: DemoCompany, number: int) -> str:
    digits = f"{100 + number * 37:03d}"
    if company.language == "en":
        return f"{company.phone_prefix}{digits}"
    return f"{company.phone_prefix}{digits} {200 + number * 11:03d}"


async def agent_count(db: Database) -> int:
    async with db.read_session() as session:
        return int((await session.execute(select(func.count()).select_from(Agent))).scalar_one())


async def demo_present(db: Database) -> bool:
    """Whether the demo accounts are in this database (e.g. from an earlier `linka demo`)."""
    async with db.read_session() as session:
        found = await session.execute(select(Agent.id).where(Agent.email == AGENTS[0].email))
        return found.first() is not None


async def build_demo(db: Database, *, base_url: str = "http://127.0.0.1:8000") -> None:
    """Create the whole demo in one unit of work: all of it or, on any error, nothing. The chat button
    may be embedded by pages of `base_url` (the demo server's own origin)."""
    async with unit_of_work(db, system_actor(Origin.CLI)) as uow:
        departments: dict[str, int] = {}
        for name in DEPARTMENTS:
            departments[name] = (await accounts.create_department(uow, name=name)).id
        for person in AGENTS:
            agent = await accounts.create_agent(
                uow,
                email=person.email,
                name=person.name,
                password=PASSWORD,
                role=person.role,
                language=person.language,
            )
            for department, role in person.departments.items():
                await accounts.set_membership(
                    uow, department_id=departments[department], agent_id=agent.id, role=role
                )
        number = 0
        for company in COMPANIES:
            created = await contacts.create_company(
                uow, name=company.name, domains=[company.domain], notes="Demo company"
            )
            for contact_name in company.people:
                number += 1
                await contacts.create_contact(
                    uow,
                    name=contact_name,
                    emails=[_email(contact_name, company.domain)],
                    phones=[_phone(company, number)] if number % 2 else [],
                    language=company.language,
                    company_id=created.id,
                )
        await _build_chat_button(uow, departments["Support / Podpora"], base_url)


async def _build_chat_button(uow: UnitOfWork, department_id: int, base_url: str) -> None:
    """Support's chat button, with a proactive invitation for visitors who linger on a pricing page."""
    button = await chat_buttons.create_chat_button(
        uow, name="Website chat", department_id=department_id, allowed_origins=[base_url]
    )
    await chat_buttons.create_invitation_rule(
        uow,
        button_id=button.id,
        name="Lingering on pricing",
        conditions=[
            {"field": "page_url", "op": "contains", "value": "pricing"},
            {"field": "time_on_site", "op": "at_least", "value": 30},
        ],
        message={
            "en": "Questions about our prices? We are happy to help.",
            "cs": "Máte otázky k cenám? Rádi vám poradíme.",
            "hu": "Kérdése van az árainkkal kapcsolatban? Szívesen segítünk.",
        },
    )


def logins() -> list[tuple[str, str, str]]:
    """(email, name, role) of every demo account; they all share PASSWORD."""
    return [(person.email, person.name, person.role.value) for person in AGENTS]
