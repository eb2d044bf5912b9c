"""The generated helpdesk's staff and settings, made through the real domain actions (as an admin would):
10 departments, 100 agents with their memberships and roles, tags, custom statuses and ticket fields.
They are few, so the actions' rules and side effects (history, events) apply as in the app; the clock
is frozen at the start of the history, so they exist before the first ticket. Companies, contacts and
tickets are bulk rows (bench/people.py, bench/threads.py)."""

from __future__ import annotations

import random
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import select

from bench import texts
from bench.draw import one_of, weighted
from linka.core import clock
from linka.core.db import Database
from linka.core.events import EventBus
from linka.core.permissions import BaseRole, DepartmentRole, Origin, system_actor
from linka.core.uow import unit_of_work
from linka.domains.accounts import actions as accounts
from linka.domains.fields import actions as fields
from linka.domains.tickets import custom_status_actions, tag_actions
from linka.domains.tickets.models import Tag
from linka.entrypoints.runtime import register_handlers

AGENT_DOMAIN = "linka-bench.example"
LANGUAGES, LANGUAGE_SHARES = ("cs", "hu", "en"), (45, 75, 100)  # cumulative: 45%, 30%, 25%
# Departments: name, topic of their mail (bench/texts.py), share of the tickets, solvers, supervisors.
DEPARTMENTS = (
    ("Podpora / Support", "support", 0.19, 13, 2),
    ("Zákaznická linka / Contact centre", "support", 0.13, 10, 1),
    ("Technika / Technical", "technical", 0.11, 8, 1),
    ("Integrace / Integrations", "technical", 0.06, 5, 1),
    ("Fakturace / Billing", "billing", 0.13, 8, 1),
    ("Pohledávky / Collections", "billing", 0.04, 3, 1),
    ("Obchod / Sales", "sales", 0.10, 7, 1),
    ("Partneři / Partners", "sales", 0.04, 3, 1),
    ("Reklamace / Returns", "returns", 0.13, 8, 1),
    ("Doprava / Shipping", "returns", 0.07, 5, 1),
)
# Besides the owner and two admins: solvers in two departments, solvers who read another one, and
# readers only (managers); with the departments' own people that makes 100 agents.
TWO_DEPARTMENTS = 8
SOLVER_AND_READER = 4
READERS = 4
CUSTOM_STATUSES = (
    ("Waiting for supplier", "postponed", {"cs": "Čeká na dodavatele", "hu": "Beszállítóra vár"}),
    ("Waiting for customer", "answered", {"cs": "Čeká na zákazníka", "hu": "Ügyfélre vár"}),
    ("In progress", "open", {"cs": "V řešení", "hu": "Folyamatban"}),
)
# Ticket fields: key, label, kind.
FIELDS = (
    ("order_number", "Order number", "text"),
    ("product", "Product", "select"),
    ("order_value", "Order value (CZK)", "number"),
    ("purchase_date", "Purchase date", "date"),
)


@dataclass(frozen=True)
class Department:
    id: int
    name: str
    topic: str
    share: float


@dataclass
class Workspace:
    """What the bulk generators need of the staff and settings (plain data: workers get a copy)."""

    departments: list[Department] = field(default_factory=list)
    solvers: dict[int, list[int]] = field(default_factory=dict)  # department id → agent ids
    agent_names: dict[int, str] = field(default_factory=dict)
    tags: dict[str, int] = field(default_factory=dict)  # name → id
    tag_order: dict[str, int] = field(default_factory=dict)  # name → rank in the database's name order
    custom_statuses: dict[str, list[int]] = field(default_factory=dict)  # category → ids
    fields: dict[str, int] = field(default_factory=dict)  # key → id


@lru_cache(maxsize=4096)  # names repeat: 200,000 contacts have a few hundred
def ascii_fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    return "".join(c for c in folded if not unicodedata.combining(c)).lower()


def person_name(rng: random.Random, language: str) -> str:
    if language == "cs":
        first, last = one_of(rng, (texts.CS_MEN, texts.CS_WOMEN))
        return f"{one_of(rng, first)} {one_of(rng, last)}"
    if language == "hu":
        return f"{one_of(rng, texts.HU_LAST)} {one_of(rng, texts.HU_FIRST)}"
    return f"{one_of(rng, texts.EN_FIRST)} {one_of(rng, texts.EN_LAST)}"


def address(name: str, number: int, domain: str) -> str:
    return ".".join(ascii_fold(name).split()) + f".{number}@{domain}"


def pick_language(rng: random.Random) -> str:
    return weighted(rng, LANGUAGES, LANGUAGE_SHARES)


def _bus() -> EventBus:
    bus = EventBus()
    register_handlers(bus)  # as the running app, so any handler cost is paid as it would be
    return bus


async def build_workspace(
    db: Database, rng: random.Random, *, since: datetime, quiet: bool = False
) -> Workspace:
    """Staff and settings as of `since` (the start of the history)."""
    started = time.perf_counter()
    previous = clock.use_clock(clock.FrozenClock(since.astimezone(UTC)))
    try:
        space = await _through_actions(db, rng)
    finally:
        clock.use_clock(previous)
    async with db.read_session() as session:
        names = (await session.execute(select(Tag.name).order_by(Tag.name))).scalars()
        space.tag_order = {name: rank for rank, name in enumerate(names)}
    if quiet:
        return space
    print(
        f"  {len(space.departments)} departments, {len(space.agent_names)} agents, {len(space.tags)} tags, "
        f"{len(CUSTOM_STATUSES)} custom statuses, {len(space.fields)} ticket fields through the actions: "
        f"{time.perf_counter() - started:.1f} s"
    )
    return space


async def _through_actions(db: Database, rng: random.Random) -> Workspace:
    space = Workspace()
    async with unit_of_work(db, system_actor(Origin.CLI), _bus()) as uow:
        staff = (
            (f"owner@{AGENT_DOMAIN}", "Eva Svobodová", BaseRole.OWNER, "cs"),
            (f"admin@{AGENT_DOMAIN}", "Péter Nagy", BaseRole.ADMIN, "hu"),
            (f"admin1@{AGENT_DOMAIN}", "Oliver Hall", BaseRole.ADMIN, "en"),
        )
        for email, name, role, language in staff:
            created = await accounts.create_agent(uow, email=email, name=name, role=role, language=language)
            space.agent_names[created.id] = name
        agent_number = 0

        async def agent() -> int:
            nonlocal agent_number
            agent_number += 1
            language = pick_language(rng)
            name = person_name(rng, language)
            created = await accounts.create_agent(
                uow, email=address(name, agent_number, AGENT_DOMAIN), name=name, language=language
            )
            space.agent_names[created.id] = name
            return created.id

        async def member(department_id: int, agent_id: int, role: DepartmentRole) -> None:
            await accounts.set_membership(uow, department_id=department_id, agent_id=agent_id, role=role)
            if role.at_least(DepartmentRole.SOLVER):
                space.solvers.setdefault(department_id, []).append(agent_id)

        for name, topic, share, _, _ in DEPARTMENTS:
            department = await accounts.create_department(uow, name=name)
            space.departments.append(Department(department.id, name, topic, share))
        # Plain solvers of one department first (the scenarios take the first of the busiest one's).
        for department, (_, _, _, solvers, supervisors) in zip(space.departments, DEPARTMENTS, strict=True):
            for _ in range(solvers):
                await member(department.id, await agent(), DepartmentRole.SOLVER)
            for _ in range(supervisors):
                await member(department.id, await agent(), DepartmentRole.SUPERVISOR)
        department_ids = [department.id for department in space.departments]
        for _ in range(TWO_DEPARTMENTS):
            first, second = rng.sample(department_ids, 2)
            agent_id = await agent()
            await member(first, agent_id, DepartmentRole.SOLVER)
            await member(second, agent_id, DepartmentRole.SOLVER)
        for _ in range(SOLVER_AND_READER):
            first, second = rng.sample(department_ids, 2)
            agent_id = await agent()
            await member(first, agent_id, DepartmentRole.SOLVER)
            await member(second, agent_id, DepartmentRole.READER)
        for _ in range(READERS):
            agent_id = await agent()
            for department_id in rng.sample(department_ids, 3):
                await member(department_id, agent_id, DepartmentRole.READER)
        for name in texts.TAGS:
            colour = f"#{rng.randrange(0x1000000):06x}"
            tag = await tag_actions.create_tag(uow, name=name, colour=colour, is_public=rng.random() < 0.3)
            space.tags[name] = tag.id
        for position, (name, category, translations) in enumerate(CUSTOM_STATUSES):
            status = await custom_status_actions.create_custom_status(
                uow, name=name, category=category, translations=translations, position=position
            )
            space.custom_statuses.setdefault(category, []).append(status.id)
        for key, label, kind in FIELDS:
            options = list(texts.PRODUCTS) if kind == "select" else []
            created_field = await fields.create_field(
                uow,
                entity="ticket",
                key=key,
                label=label,
                kind=kind,
                options=options,
                position=len(space.fields),
            )
            space.fields[key] = created_field.id
    return space
