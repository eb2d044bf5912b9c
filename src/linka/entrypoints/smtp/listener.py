"""The SMTP listener (aiosmtpd) that `linka serve` starts beside the web server.

It takes mail only for the addresses of active mailboxes (550 for others) and only up to the size limit
(552 above it, refused while the data streams in). It answers 250 only after the message is committed
as a thread entry or a dead letter; when that is impossible (the database is down) it answers 451 so
the sending server keeps the message and tries again. Nothing is acknowledged before it is safe.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import dataclass
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from linka.domains.mail.intake import take_in_mail
from linka.domains.mail.queries import is_received_address
from linka.entrypoints.runtime import Runtime

log = logging.getLogger("linka.smtp")
MAX_RECIPIENTS = 100


class IntakeHandler:
    """aiosmtpd calls these hooks; each returns the SMTP reply line."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        try:
            async with self.runtime.db.read_session() as db_session:
                known = await is_received_address(db_session, address)
        except Exception:
            log.exception("could not check recipient %s", address)
            return "451 4.3.0 Temporary failure, try again later"
        if not known:
            return f"550 5.1.1 <{address}>: no mailbox here takes mail for this address"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if not isinstance(raw, bytes):
            raw = str(raw or "").encode("utf-8", "surrogateescape")
        try:
            received = await take_in_mail(
                self.runtime,
                raw,
                source="smtp",
                recipients=[a.lower() for a in envelope.rcpt_tos],
                envelope_from=str(envelope.mail_from or "")[:254],
            )
        except Exception:
            log.exception("mail from %s could not be stored; asking the sender to retry", envelope.mail_from)
            return "451 4.3.0 Temporary failure, try again later"
        detail = received.ticket_code or received.dead_letter_id or received.outcome
        return f"250 2.0.0 OK {received.outcome} {detail}"


@dataclass
class SmtpListener:
    """A running listener: `port` is the one bound (useful when asked for port 0)."""

    server: asyncio.base_events.Server
    port: int

    async def close(self) -> None:
        self.server.close()
        await self.server.wait_closed()


async def start_smtp_listener(runtime: Runtime, *, host: str, port: int) -> SmtpListener:
    """Listen in this event loop (the database engine belongs to it). With SO_REUSEPORT several server
    processes share the port and the kernel spreads connections between them."""
    handler = IntakeHandler(runtime)
    limit = runtime.settings.smtp_max_bytes

    def protocol() -> Any:
        return SMTP(
            handler,
            data_size_limit=limit,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=runtime.settings.smtp_hostname or None,
            ident="Linka ESMTP",
            timeout=120,
        )

    loop = asyncio.get_running_loop()
    reuse = hasattr(socket, "SO_REUSEPORT")
    server = await loop.create_server(protocol, host=host, port=port, reuse_port=reuse or None)
    bound = server.sockets[0].getsockname()[1]
    log.info("SMTP listener on %s:%d (mail up to %d bytes)", host, bound, limit)
    return SmtpListener(server=server, port=int(bound))
