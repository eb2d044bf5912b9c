"""The generated helpdesk's people and settings, made through the real domain actions (as an admin
would): departments, agents with their memberships, tags, custom statuses, ticket fields, companies
and contacts. Only tickets and their threads are bulk-inserted (bench/threads.py)."""

from __future__ import annotations

import random
import time
import unicodedata
from dataclasses import dataclass, field

from bench import texts
from linka.core.db import Database
from linka.core.events import EventBus
from linka.core.permissions import BaseRole, DepartmentRole, Origin, system_actor
from linka.core.uow import unit_of_work
from linka.domains.accounts import actions as accounts
from linka.domains.contacts import actions as contacts
from linka.domains.fields import actions as fields
from linka.domains.tickets import custom_status_actions, tag_actions
from linka.entrypoints.runtime import register_handlers

AGENT_DOMAIN = "linka-bench.example"
FREEMAIL = ("seznam.example", "centrum.example", "freemail.example", "citromail.example", "gmail.example")
# Departments by topic: name, share of the tickets, solvers, supervisors.
DEPARTMENTS = {
    "support": ("Podpora / Support", 0.36, 12, 2),
    "technical": ("Technika / Technical", 0.18, 7, 1),
    "billing": ("Fakturace / Billing", 0.18, 6, 1),
    "sales": ("Obchod / Sales", 0.14, 5, 1),
    "returns": ("Reklamace / Returns", 0.14, 5, 1),
}
CUSTOM_STATUSES = (
    ("Waiting for supplier", "postponed", {"cs": "Čeká na dodavatele", "hu": "Beszállítóra vár"}),
    ("Waiting for customer", "answered", {"cs": "Čeká na zákazníka", "hu": "Ügyfélre vár"}),
    ("In progress", "open", {"cs": "V řešení", "hu": "Folyamatban"}),
)
CONTACTS_PER_BATCH = 250


@dataclass
class Contact:
    id: int
    language: str
    name: str
    email: str
    company_id: int | None


@dataclass
class Workspace:
    department_of_topic: dict[str, int] = field(default_factory=dict)
    topic_weights: list[float] = field(default_factory=list)
    solvers: dict[int, list[int]] = field(default_factory=dict)  # department id → agent ids
    agent_names: dict[int, str] = field(default_factory=dict)
    tags: dict[str, int] = field(default_factory=dict)  # name → id
    custom_statuses: dict[str, list[int]] = field(default_factory=dict)  # category → ids
    order_field_id: int = 0
    product_field_id: int = 0
    contacts: list[Contact] = field(default_factory=list)


def ascii_fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    return "".join(c for c in folded if not unicodedata.combining(c)).lower()


def person_name(rng: random.Random, language: str) -> str:
    if language == "cs":
        first, last = rng.choice((texts.CS_MEN, texts.CS_WOMEN))
        return f"{rng.choice(first)} {rng.choice(last)}"
    if language == "hu":
        return f"{rng.choice(texts.HU_LAST)} {rng.choice(texts.HU_FIRST)}"
    return f"{rng.choice(texts.EN_FIRST)} {rng.choice(texts.EN_LAST)}"


def _address(name: str, number: int, domain: str) -> str:
    return ".".join(ascii_fold(name).split()) + f".{number}@{domain}"


def _language(rng: random.Random) -> str:
    return rng.choices(("cs", "hu", "en"), weights=(45, 30, 25))[0]


def _bus() -> EventBus:
    bus = EventBus()
    register_handlers(bus)  # as the running app, so any handler cost is paid as it would be
    return bus


async def build_workspace(db: Database, rng: random.Random, *, contacts_wanted: int) -> Workspace:
    space = Workspace()
    started = time.perf_counter()
    async with unit_of_work(db, system_actor(Origin.CLI), _bus()) as uow:
        await accounts.create_agent(
            uow, email=f"owner@{AGENT_DOMAIN}", name="Eva Svobodová", role=BaseRole.OWNER, language="cs"
        )
        for number, (name, language) in enumerate((("Péter Nagy", "hu"), ("Oliver Hall", "en"))):
            await accounts.create_agent(
                uow,
                email=f"admin{number or ''}@{AGENT_DOMAIN}",
                name=name,
                role=BaseRole.ADMIN,
                language=language,
            )
        agent_number = 0

        async def agent() -> int:
            nonlocal agent_number
            agent_number += 1
            language = _language(rng)
            name = person_name(rng, language)
            created = await accounts.create_agent(
                uow, email=_address(name, agent_number, AGENT_DOMAIN), name=name, language=language
            )
            space.agent_names[created.id] = name
            return created.id

        async def member(department_id: int, agent_id: int, role: DepartmentRole) -> None:
            await accounts.set_membership(uow, department_id=department_id, agent_id=agent_id, role=role)
            if role.at_least(DepartmentRole.SOLVER):
                space.solvers.setdefault(department_id, []).append(agent_id)

        for topic, (name, share, _, _) in DEPARTMENTS.items():
            department = await accounts.create_department(uow, name=name)
            space.department_of_topic[topic] = department.id
            space.topic_weights.append(share)
        # Plain solvers of one department first (the scenarios take the first of Support's).
        for topic, (_, _, solvers, supervisors) in DEPARTMENTS.items():
            department_id = space.department_of_topic[topic]
            for _ in range(solvers):
                await member(department_id, await agent(), DepartmentRole.SOLVER)
            for _ in range(supervisors):
                await member(department_id, await agent(), DepartmentRole.SUPERVISOR)
        department_ids = list(space.department_of_topic.values())
        for _ in range(6):  # solvers in two departments
            first, second = rng.sample(department_ids, 2)
            agent_id = await agent()
            await member(first, agent_id, DepartmentRole.SOLVER)
            await member(second, agent_id, DepartmentRole.SOLVER)
        for _ in range(4):  # a solver somewhere who reads another department
            first, second = rng.sample(department_ids, 2)
            agent_id = await agent()
            await member(first, agent_id, DepartmentRole.SOLVER)
            await member(second, agent_id, DepartmentRole.READER)
        for name in texts.TAGS:
            colour = f"#{rng.randrange(0x1000000):06x}"
            tag = await tag_actions.create_tag(uow, name=name, colour=colour, is_public=rng.random() < 0.3)
            space.tags[name] = tag.id
        for position, (name, category, translations) in enumerate(CUSTOM_STATUSES):
            status = await custom_status_actions.create_custom_status(
                uow, name=name, category=category, translations=translations, position=position
            )
            space.custom_statuses.setdefault(category, []).append(status.id)
        order = await fields.create_field(
            uow, entity="ticket", key="order_number", label="Order number", kind="text"
        )
        product = await fields.create_field(
            uow, entity="ticket", key="product", label="Product", kind="select", options=list(texts.PRODUCTS)
        )
        space.order_field_id, space.product_field_id = order.id, product.id
    print(f"  departments, {len(space.agent_names) + 3} agents, tags, statuses, fields: {_since(started)}")
    started = time.perf_counter()
    await _contacts(db, rng, space, contacts_wanted)
    print(f"  {len(space.contacts):,} contacts in companies and not: {_since(started)}")
    return space


async def _contacts(db: Database, rng: random.Random, space: Workspace, wanted: int) -> None:
    """Companies (about one per 15 contacts) with their mail domains; 60% of contacts work at one and
    join it by their address's domain, as a contact created from an email would."""
    companies: list[tuple[int, str, str]] = []  # id, domain, language
    async with unit_of_work(db, system_actor(Origin.CLI), _bus()) as uow:
        for number in range(max(5, wanted // 15)):
            language = _language(rng)
            words, forms = texts.COMPANY_WORDS[language]
            name = f"{rng.choice(words)} {rng.choice(texts.CITIES)} {number + 1} {rng.choice(forms)}"
            domain = f"{'-'.join(ascii_fold(name).replace('.', '').split()[:3])}.example"
            company = await contacts.create_company(uow, name=name, domains=[domain])
            companies.append((company.id, domain, language))
    made = 0
    while made < wanted:
        async with unit_of_work(db, system_actor(Origin.CLI), _bus()) as uow:
            for _ in range(min(CONTACTS_PER_BATCH, wanted - made)):
                made += 1
                company = rng.choice(companies) if rng.random() < 0.6 else None
                language = company[2] if company and rng.random() < 0.9 else _language(rng)
                name = person_name(rng, language)
                email = _address(name, made, company[1] if company else rng.choice(FREEMAIL))
                phones = [
                    f"+{rng.choice(('420', '36', '44'))} {rng.randrange(600, 799)} {rng.randrange(100000, 999999)}"
                ]
                contact = await contacts.create_contact(
                    uow,
                    name=name,
                    emails=[email],
                    phones=phones if rng.random() < 0.4 else [],
                    language=language,
                )
                space.contacts.append(Contact(contact.id, language, name, email, contact.company_id))


def _since(started: float) -> str:
    return f"{time.perf_counter() - started:.1f} s"
