"""What the load needs from the seeded workspace, found or made through the domain actions before the
server starts, and undone after it: the callers (an admin and a plain solver of the busiest department,
chosen as bench/scenarios.py chooses them), their API keys (revoked at the end), the solver's password
for the browser sign-in, a mailbox for the SMTP intake, a chat button and agents online for chats, and
the ticket pools the scenarios walk (tickets with about 20 messages, tickets to reply to, contacts)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, exists, func, select, text

from linka.core import clock
from linka.core.permissions import DepartmentRole, Origin, system_actor
from linka.domains.accounts import agent_actions, credentials
from linka.domains.accounts.models import Agent, Department, DepartmentMember
from linka.domains.accounts.tokens import Purpose
from linka.domains.chat import button_actions
from linka.domains.chat.models import ChatButton
from linka.domains.contacts.models import Contact, ContactEmail
from linka.domains.mail import mailbox_actions
from linka.domains.mail.models import Mailbox
from linka.domains.mail.schemas import MailboxCreateIn, MailboxUpdateIn, SmtpIn
from linka.domains.tickets.models import Tag, Ticket, TicketTag
from linka.domains.tickets.thread_models import Message
from linka.entrypoints.runtime import Runtime

BENCH = system_actor(Origin.CLI)
# Long enough and varied enough for the password policy; set through the reset action each run.
PASSWORD = "bench-Load-" + "2026-linka"
MAILBOX_NAME = "Bench intake"
BUTTON_NAME = "Bench load"
SITE = "https://shop.linka-bench.example"  # the bench button's allowed origin (the visitors' page)
DETAIL_MESSAGES = 20
POOL = 50  # tickets the detail scenarios rotate over
REPLY_POOL = 400
CONTACT_POOL = 200
MAX_CHATS_PER_AGENT = 20  # the most a chat button allows


@dataclass
class AgentRef:
    id: int
    public_id: str
    email: str
    name: str
    password_hash: str | None = None
    auth_epoch: int = 0


@dataclass
class Workspace:
    admin: AgentRef
    solver: AgentRef
    department_id: int
    department_public_id: str
    department_name: str
    counts: dict[str, int]
    tag_public_id: str = ""
    tag_name: str = ""
    filtered_matches: int = 0
    detail_codes: list[str] = field(default_factory=list)
    detail_messages: list[int] = field(default_factory=list)
    reply_codes: list[str] = field(default_factory=list)
    contact_emails: list[str] = field(default_factory=list)


def agent_ref(row: Agent) -> AgentRef:
    return AgentRef(row.id, row.public_id, row.email, row.name, row.password_hash, row.auth_epoch)


async def survey(runtime: Runtime) -> Workspace:
    """The callers and the pools, read from the seeded workspace (nothing is changed)."""
    async with runtime.db.read_session() as session:
        admin = (
            await session.execute(select(Agent).where(Agent.base_role == "admin").order_by(Agent.id).limit(1))
        ).scalar_one()
        busiest = (
            await session.execute(
                select(Ticket.department_id)
                .group_by(Ticket.department_id)
                .order_by(func.count().desc())
                .limit(1)
            )
        ).scalar_one()
        single = (
            select(DepartmentMember.agent_id).group_by(DepartmentMember.agent_id).having(func.count() == 1)
        )
        solver = (
            await session.execute(
                select(Agent)
                .join(DepartmentMember, DepartmentMember.agent_id == Agent.id)
                .where(
                    DepartmentMember.department_id == busiest,
                    DepartmentMember.role == DepartmentRole.SOLVER.value,
                    Agent.id.in_(single),
                )
                .order_by(Agent.id)
                .limit(1)
            )
        ).scalar_one()
        department = await session.get(Department, busiest)
        assert department is not None
        counts = {
            "tickets": (await session.execute(select(func.count()).select_from(Ticket))).scalar_one(),
            "messages": (await session.execute(select(func.count()).select_from(Message))).scalar_one(),
            "contacts": (await session.execute(select(func.count()).select_from(Contact))).scalar_one(),
            "agents": (await session.execute(select(func.count()).select_from(Agent))).scalar_one(),
            "tickets_in_department": (
                await session.execute(select(func.count()).where(Ticket.department_id == busiest))
            ).scalar_one(),
        }
        workspace = Workspace(
            admin=agent_ref(admin),
            solver=agent_ref(solver),
            department_id=busiest,
            department_public_id=department.public_id,
            department_name=department.name,
            counts={key: int(value) for key, value in counts.items()},
        )
        await _pools(session, workspace)
    return workspace


async def _pools(session: Any, workspace: Workspace) -> None:
    in_department = and_(Ticket.department_id == workspace.department_id, Ticket.merged_into_id.is_(None))
    # The most used tag on the department's tickets, for the filtered list.
    tag = (
        await session.execute(
            select(Tag.public_id, Tag.name)
            .join(TicketTag, TicketTag.tag_id == Tag.id)
            .join(Ticket, Ticket.id == TicketTag.ticket_id)
            .where(in_department)
            .group_by(Tag.public_id, Tag.name)
            .order_by(func.count().desc())
            .limit(1)
        )
    ).first()
    if tag is not None:
        workspace.tag_public_id, workspace.tag_name = tag
        workspace.filtered_matches = (
            await session.execute(
                select(func.count())
                .select_from(Ticket)
                .join(TicketTag, TicketTag.ticket_id == Ticket.id)
                .join(Tag, Tag.id == TicketTag.tag_id)
                .where(in_department, Ticket.status == "open", Tag.public_id == workspace.tag_public_id)
            )
        ).scalar_one()
    # Tickets whose thread has (about) 20 messages: the closest counts, the larger first.
    sizes = (
        select(Message.ticket_id, func.count().label("messages"))
        .join(Ticket, Ticket.id == Message.ticket_id)
        .where(in_department)
        .group_by(Message.ticket_id)
        .subquery()
    )
    rows = (
        await session.execute(
            select(Ticket.code, sizes.c.messages)
            .join(sizes, sizes.c.ticket_id == Ticket.id)
            .order_by(func.abs(sizes.c.messages - DETAIL_MESSAGES), sizes.c.messages.desc(), Ticket.id)
            .limit(POOL)
        )
    ).all()
    workspace.detail_codes = [code for code, _ in rows]
    workspace.detail_messages = [int(count) for _, count in rows]
    # Tickets an agent answers (waiting on the agent or the customer), whose contact has an email.
    has_email = exists().where(ContactEmail.contact_id == Ticket.contact_id)
    workspace.reply_codes = list(
        (
            await session.execute(
                select(Ticket.code)
                .where(in_department, Ticket.status.in_(("new", "open", "answered")), has_email)
                .order_by(Ticket.id.desc())
                .limit(REPLY_POOL)
            )
        ).scalars()
    )
    workspace.contact_emails = list(
        (
            await session.execute(
                select(ContactEmail.email)
                .where(ContactEmail.is_primary.is_(True))
                .order_by(ContactEmail.id)
                .limit(CONTACT_POOL)
            )
        ).scalars()
    )


# ---- what the run makes, and undoes ----------------------------------------------------------------


@dataclass
class Made:
    """What preparation changed, so the end of the run can undo it."""

    keys: list[tuple[int, str]] = field(default_factory=list)  # (agent id, key public id)
    availability: dict[int, str] = field(default_factory=dict)  # agent id → availability before
    notes: list[str] = field(default_factory=list)


async def api_key(runtime: Runtime, made: Made, agent: AgentRef, scopes: list[str]) -> str:
    async with runtime.uow(BENCH) as uow:
        key, token = await credentials.create_api_key(uow, agent_id=agent.id, name="bench run", scopes=scopes)
    made.keys.append((agent.id, key.public_id))
    return token


async def set_password(runtime: Runtime, agent: AgentRef) -> str:
    """The solver signs in like a person: their password is set to the bench's through the reset (or,
    for an agent never signed in, the invitation) action, with a link token signed here."""
    invited = agent.password_hash is None
    purpose = Purpose.INVITATION if invited else Purpose.PASSWORD_RESET
    token = runtime.links.sign(purpose, agent_public_id=agent.public_id, epoch=agent.auth_epoch)
    async with runtime.uow(BENCH) as uow:
        if invited:
            await credentials.accept_invitation(uow, token=token, password=PASSWORD, links=runtime.links)
        else:
            await credentials.reset_password(uow, token=token, password=PASSWORD, links=runtime.links)
    return PASSWORD


async def intake_mailbox(runtime: Runtime, workspace: Workspace, sink_port: int, made: Made) -> str:
    """The bench's mailbox in the busiest department (made once, found later), sending its mail to the
    run's local sink; returns the address the SMTP intake writes to."""
    smtp = SmtpIn(host="127.0.0.1", port=sink_port, security="none")
    async with runtime.db.read_session() as session:
        mailbox = (
            await session.execute(select(Mailbox).where(Mailbox.name == MAILBOX_NAME))
        ).scalar_one_or_none()
    async with runtime.uow(BENCH) as uow:
        if mailbox is None:
            domain = workspace.solver.email.rpartition("@")[2]
            mailbox = await mailbox_actions.create_mailbox(
                uow,
                data=MailboxCreateIn(
                    name=MAILBOX_NAME,
                    address=f"bench-intake@{domain}",
                    department_id=workspace.department_public_id,
                    smtp=smtp,
                    auto_ack_enabled=False,
                ),
                sealer=runtime.sealer,
            )
            made.notes.append(
                f"created the mailbox {mailbox.address} ({MAILBOX_NAME}) in {workspace.department_name}"
            )
        else:
            mailbox = await mailbox_actions.update_mailbox(
                uow,
                mailbox_id=mailbox.public_id,
                data=MailboxUpdateIn(
                    is_active=True,
                    department_id=workspace.department_public_id,
                    smtp=smtp,
                    auto_ack_enabled=False,
                ),
                sealer=runtime.sealer,
            )
        return mailbox.address


async def chat_button(runtime: Runtime, workspace: Workspace, made: Made) -> str:
    """The bench's chat button for the busiest department (made once, set up again each run)."""
    settings: dict[str, Any] = {
        "enabled": True,
        "department_id": workspace.department_id,
        "allowed_origins": [SITE],
        "routing_method": "average",
        "ring_seconds": 30,
        "max_chats_per_agent": MAX_CHATS_PER_AGENT,
        "breathing_seconds": 0,
        "prefer_previous_agent": False,
    }
    async with runtime.db.read_session() as session:
        found = (
            await session.execute(select(ChatButton).where(ChatButton.name == BUTTON_NAME))
        ).scalar_one_or_none()
    async with runtime.uow(BENCH) as uow:
        if found is None:
            button = await button_actions.create_chat_button(uow, name=BUTTON_NAME, **settings)
            made.notes.append(
                f"created the chat button {button.public_id} ({BUTTON_NAME}) for {workspace.department_name}"
            )
        else:
            button = await button_actions.update_chat_button(uow, button_id=found.id, **settings)
        return button.public_id


async def chat_agents(runtime: Runtime, workspace: Workspace, wanted: int) -> list[AgentRef]:
    """Agents who take chats in the busiest department (solver or more, chats on, not paused)."""
    async with runtime.db.read_session() as session:
        rows = (
            await session.execute(
                select(Agent)
                .join(DepartmentMember, DepartmentMember.agent_id == Agent.id)
                .where(
                    DepartmentMember.department_id == workspace.department_id,
                    DepartmentMember.role.in_(
                        [r.value for r in DepartmentRole if r.at_least(DepartmentRole.SOLVER)]
                    ),
                    DepartmentMember.chats.is_(True),
                    DepartmentMember.paused.is_(False),
                    Agent.is_active.is_(True),
                )
                .order_by(Agent.id)
                .limit(wanted)
            )
        ).scalars()
        return [agent_ref(row) for row in rows]


async def set_online(runtime: Runtime, made: Made, agents: list[AgentRef]) -> None:
    async with runtime.uow(BENCH) as uow:
        for agent in agents:
            row = await uow.session.get(Agent, agent.id)
            assert row is not None
            made.availability.setdefault(agent.id, row.availability)
            if row.availability != "online":
                await agent_actions.update_agent(uow, agent_id=agent.id, availability="online")


async def undo(runtime: Runtime, made: Made) -> None:
    """Revoke the run's API keys and put the chat agents' availability back."""
    async with runtime.uow(BENCH) as uow:
        for agent_id, public_id in made.keys:
            await credentials.revoke_api_key(uow, agent_id=agent_id, key_public_id=public_id)
        for agent_id, availability in made.availability.items():
            await agent_actions.update_agent(uow, agent_id=agent_id, availability=availability)
    made.keys.clear()
    made.availability.clear()


# ---- measuring the database -----------------------------------------------------------------------


async def database_size(runtime: Runtime) -> int | None:
    async with runtime.db.read_session() as session:
        if runtime.db.dialect == "postgresql":
            return int(
                (await session.execute(text("SELECT pg_database_size(current_database())"))).scalar_one()
            )
        pages = (await session.execute(text("PRAGMA page_count"))).scalar_one()
        size = (await session.execute(text("PRAGMA page_size"))).scalar_one()
        return int(pages) * int(size)


async def server_version(runtime: Runtime) -> str:
    async with runtime.db.read_session() as session:
        if runtime.db.dialect == "postgresql":
            return str((await session.execute(text("SHOW server_version"))).scalar_one())
        return "SQLite " + str((await session.execute(text("SELECT sqlite_version()"))).scalar_one())


async def count_where(runtime: Runtime, query: Any) -> int:
    async with runtime.db.read_session() as session:
        return int((await session.execute(query)).scalar_one())


def run_mark() -> str:
    """A short mark for this run's rows (ticket subjects, reply texts, mail subjects)."""
    return f"bench-{clock.now():%m%d%H%M}-{secrets.token_hex(2)}"
