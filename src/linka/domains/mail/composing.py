"""Turn an outgoing_mail row into the email the customer receives: our own Message-ID, the thread's
In-Reply-To/References, Reply-To the mailbox, the sender identity (the mailbox's sender name, else its
department's name), text and HTML alternatives and the thread group's files as attachments.

Pure: no database, no network. The worker loads what it needs, composes, then sends (smtp_client.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy as email_policy
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime, make_msgid
from html import escape

from linka.core import clock
from linka.domains.mail.models import Mailbox, OutgoingMail

DEFAULT_IDENTITY = "Linka"
FALLBACK_ADDRESS = "linka@linka.localdomain"
# Mails Linka writes by itself (RFC 3834): receivers' auto-responders must not answer them.
AUTO_REPLIED_KINDS = frozenset({"ack"})
SYSTEM_KINDS = frozenset({"password_reset", "invitation"})
_MESSAGE_ID = re.compile(r"<[!-;=?-~]{1,250}>")  # printable ASCII without spaces, < or >
_GENERIC_MIME = ("application", "octet-stream")


@dataclass(frozen=True)
class OutgoingFile:
    """A file sent with a mail: its name, MIME type and bytes (read from the blob store)."""

    filename: str
    mime_type: str
    data: bytes


class _MessageIdListHeader(UnstructuredHeader, BaseHeader):
    """In-Reply-To and References hold message ids. The standard library treats them as free text and,
    when one id is longer than a line, writes it as an RFC 2047 encoded word — which no mail client
    matches any more, so the reply would not thread. These are folded between ids only."""

    def fold(self, *, policy: Policy) -> str:
        ids = str(self).split()
        limit = policy.max_line_length or 998
        lines: list[str] = []
        line, on_line = f"{self.name}:", 0
        for message_id in ids:
            if on_line and len(line) + 1 + len(message_id) > limit:
                lines.append(line)
                line, on_line = "", 0
            line += " " + message_id
            on_line += 1
        lines.append(line)
        return policy.linesep.join(lines) + policy.linesep


def _policy() -> Policy:
    registry = HeaderRegistry()
    registry.map_to_type("in-reply-to", _MessageIdListHeader)
    registry.map_to_type("references", _MessageIdListHeader)
    return email_policy.SMTP.clone(header_factory=registry)


POLICY = _policy()


def sender_identity(mailbox: Mailbox | None, department_name: str) -> str:
    """The name the customer sees the mail come from."""
    name = mailbox.sender_name.strip() if mailbox is not None else ""
    return name or department_name.strip() or DEFAULT_IDENTITY


def _address(display_name: str, address: str) -> Address:
    """An address header value; an international domain is written in its ASCII (IDNA) form."""
    local, _, domain = address.strip().rpartition("@")
    if not domain.isascii():
        domain = domain.encode("idna").decode("ascii")
    # Control characters have no place in a display name (they would break the header).
    clean_name = "".join(ch for ch in display_name if ch.isprintable()).strip()
    return Address(display_name=clean_name, username=local, domain=domain)


def _message_ids(values: Sequence[str | None]) -> list[str]:
    """Well-formed message ids, each once, in order (a customer's broken header is dropped)."""
    found: list[str] = []
    for value in values:
        cleaned = (value or "").strip()
        if _MESSAGE_ID.fullmatch(cleaned) and cleaned not in found:
            found.append(cleaned)
    return found


def _text_cte(text: str) -> str | None:
    """Plain ASCII with short lines goes as it is; anything else quoted-printable, which every server
    relays (8-bit bodies need the server's 8BITMIME)."""
    if text.isascii() and all(len(line) <= 78 for line in text.splitlines()):
        return None
    return "quoted-printable"


def _html_document(fragment: str, language: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(language)}">\n<head><meta charset="utf-8"></head>\n'
        f"<body>\n{fragment}\n</body>\n</html>\n"
    )


def _mime(mime_type: str) -> tuple[str, str]:
    maintype, _, subtype = mime_type.strip().lower().partition("/")
    if not maintype or not subtype or maintype == "multipart":
        return _GENERIC_MIME
    return maintype, subtype


def _auto_submitted(mail: OutgoingMail) -> str | None:
    if mail.kind in AUTO_REPLIED_KINDS:
        return "auto-replied"
    if mail.kind in SYSTEM_KINDS or mail.ticket_id is None:
        return "auto-generated"
    return None


def compose_message(
    mail: OutgoingMail,
    mailbox: Mailbox | None,
    *,
    department_name: str,
    files: Sequence[OutgoingFile],
    now: datetime | None = None,
) -> EmailMessage:
    """The email for an outgoing mail, sent from `mailbox` (None: nothing to send from; the message is
    still built, e.g. for a preview). ValueError on an address that cannot be written."""
    identity = sender_identity(mailbox, department_name)
    from_address = _address(identity, mailbox.address if mailbox is not None else FALLBACK_ADDRESS)
    message = EmailMessage(policy=POLICY)
    message["From"] = from_address
    message["Reply-To"] = from_address
    message["To"] = _address(mail.to_name, mail.to_address)
    copies = [_address("", address) for address in mail.cc_addresses if address.strip()]
    if copies:
        message["Cc"] = copies
    message["Subject"] = " ".join(mail.subject.split())
    message["Date"] = format_datetime(now or clock.now())
    message["Message-ID"] = mail.message_id or make_msgid(domain=from_address.domain)
    parent = _message_ids([mail.in_reply_to])
    if parent:
        message["In-Reply-To"] = parent[0]
    # References: the thread so far, ending with the parent (RFC 5322 §3.6.4), never this mail itself.
    references = [mid for mid in _message_ids([*mail.references, *parent]) if mid != message["Message-ID"]]
    if parent and references[-1:] != parent:
        references = [mid for mid in references if mid != parent[0]] + parent
    if references:
        message["References"] = " ".join(references[-20:])
    auto = _auto_submitted(mail)
    if auto is not None:
        message["Auto-Submitted"] = auto

    text = mail.body_text if mail.body_text.endswith("\n") else mail.body_text + "\n"
    message.set_content(text, cte=_text_cte(text))
    if mail.body_html:
        html = _html_document(mail.body_html, mail.language or "en")
        message.add_alternative(html, subtype="html", cte=_text_cte(html))
    for file in files:
        maintype, subtype = _mime(file.mime_type)
        # Bytes as they are, base64 (a text file's charset is unknown to us, so it is not re-encoded).
        message.add_attachment(file.data, maintype, subtype, filename=file.filename or "attachment")
    for part in message.walk():
        if part is not message:
            del part["MIME-Version"]  # the standard library repeats it on parts; only the top needs it
    # Last: setting the body replaces the top's Content-* headers (and moves them into parts).
    message["Content-Language"] = mail.language or "en"
    return message
