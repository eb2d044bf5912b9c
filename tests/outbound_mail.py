"""Helpers for outbound mail tests: a real SMTP server on loopback (aiosmtpd) standing for the
customer's mail server, whose answers a test can script, and the set-up most delivery tests share (a
mailbox through the real action, an agent's actor, a customer's email and a reply with a file)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import select

from linka.core.db import Database
from linka.core.permissions import Actor, Origin, Scope, system_actor
from linka.domains.accounts.models import Agent
from linka.domains.accounts.queries import build_actor
from linka.domains.mail import mailbox_actions
from linka.domains.mail.models import Mailbox, OutgoingMail
from linka.domains.mail.schemas import MailboxCreateIn, SmtpIn
from linka.domains.tickets import thread_actions, thread_files
from linka.domains.tickets.thread_models import MessageGroup
from linka.domains.tickets.thread_schemas import NewAttachment
from linka.entrypoints.runtime import Runtime
from tests.personas import Person, Personas

CLI = system_actor(Origin.CLI)
MAIL = system_actor(Origin.MAIL)
CUSTOMER_MESSAGE_ID = "<CAF-karel-1@mail.customer.test>"
PDF = b"%PDF-1.4\n% faktura\n" + bytes(range(256)) * 8


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        """The message as a mail client reads it (lines end in \\n once off the wire)."""
        return message_from_bytes(self.data.replace(b"\r\n", b"\n"), policy=policy.default)

    def address(self, header: str) -> tuple[str, str]:
        """(display name, address) of a header, decoded the RFC 2047 way: whitespace between two
        encoded words is dropped. (Python 3.11's policy.default keeps it inside display names, so a
        long name folded by the standard library's own generator reads back with a stray space.)"""
        raw = message_from_bytes(self.data, policy=policy.compat32)[header]
        [(name, address)] = getaddresses([str(raw)])
        return str(make_header(decode_header(name))), address


@dataclass
class PeerHandler:
    """aiosmtpd hooks: accepts everything unless told otherwise. `answers` are DATA answers used one
    each before accepting again (e.g. "451 …"); `always` answers every DATA; `refuse` maps a recipient
    to its RCPT answer."""

    received: list[Received] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    always: str | None = None
    refuse: dict[str, str] = field(default_factory=dict)
    attempts: int = 0

    def reset(self) -> None:
        self.received.clear()
        self.answers.clear()
        self.refuse.clear()
        self.always = None
        self.attempts = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        if self.always is not None:
            return self.always
        if self.answers:
            return self.answers.pop(0)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 2.0.0 queued"


@dataclass
class Peer:
    handler: PeerHandler
    port: int

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def messages(self) -> list[EmailMessage]:
        return [r.message for r in self.handler.received]


def free_port() -> int:
    """A loopback port nobody listens on (connecting to it is refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def running_peer() -> Iterator[Peer]:
    """A module fixture's body: one SMTP server for the module's tests."""
    handler = PeerHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield Peer(handler=handler, port=int(controller.port))
    finally:
        controller.stop()


async def make_mailbox(
    runtime: Runtime,
    personas: Personas,
    *,
    port: int,
    address: str = "podpora@linka-test.cz",
    department: str = "support",
    sender_name: str = "",
    is_default: bool = False,
    host: str = "127.0.0.1",
) -> Mailbox:
    data = MailboxCreateIn(
        name=address,
        address=address,
        department_id=personas.department_public_ids[department],
        sender_name=sender_name,
        is_default=is_default,
        smtp=SmtpIn(host=host, port=port, security="none"),
    )
    async with runtime.uow(CLI) as uow:
        return await mailbox_actions.create_mailbox(uow, data=data, sealer=runtime.sealer)


async def actor_for(db: Database, person: Person) -> Actor:
    async with db.read_session() as session:
        agent = await session.get(Agent, person.id)
        assert agent is not None
        return await build_actor(
            session, agent, origin=Origin.API, scopes=frozenset({Scope.READ, Scope.WRITE})
        )


async def customer_writes(runtime: Runtime, code: str, message_id: str = CUSTOMER_MESSAGE_ID) -> None:
    async with runtime.uow(MAIL) as uow:
        await thread_actions.add_customer_message(
            uow, code=code, text="Tiskárna hlásí chybu 49.", email_message_id=message_id
        )


async def reply(
    runtime: Runtime,
    actor: Actor,
    code: str,
    *,
    text: str = "Dobrý den, posíláme fakturu.",
    html: str | None = None,
    files: list[tuple[str, bytes]] = (),  # type: ignore[assignment]
    cc: list[str] | None = None,
) -> MessageGroup:
    """An agent's reply through the real action, with files uploaded to the blob store first."""
    attachment_ids = []
    for name, data in files:
        blob = await runtime.blobs.put_bytes(data)
        async with runtime.uow(actor) as uow:
            attachment = await thread_files.add_attachment(
                uow, code=code, file=NewAttachment(sha256=blob.sha256, size=blob.size, filename=name)
            )
            attachment_ids.append(attachment.public_id)
    async with runtime.uow(actor) as uow:
        return await thread_actions.reply(
            uow, code=code, text=text, html=html, attachment_ids=attachment_ids, cc=cc
        )


async def outgoing(db: Database, *conditions: Any) -> list[OutgoingMail]:
    async with db.read_session() as session:
        query = select(OutgoingMail).where(*conditions).order_by(OutgoingMail.id)
        return list((await session.execute(query)).scalars())


async def one_mail(db: Database, mail_id: int) -> OutgoingMail:
    async with db.read_session() as session:
        mail = await session.get(OutgoingMail, mail_id)
        assert mail is not None
        return mail
