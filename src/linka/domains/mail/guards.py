"""What kind of mail this is, from its headers and structure: an auto-reply or bulk mail (never
answered automatically), a bounce (marks our outgoing message failed) or spam.

X-Auto-Response-Suppress is deliberately not a marker: it asks *us* not to answer automatically
when we are the responder to an Exchange sender; it says nothing about the message itself."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from linka.domains.mail.charsets import clean_text, decode_bytes
from linka.domains.mail.headers import (
    addresses,
    bare_addresses,
    first_text,
    normalise_message_id,
    raw_values,
)


@dataclass(frozen=True)
class Bounce:
    original_message_id: str | None  # normalised like ParsedMail.message_id
    recipients: tuple[str, ...]  # lower-case addresses that failed
    status: str  # e.g. "5.1.1"
    diagnostic: str  # human-readable reason, short
    permanent: bool = True  # False for "delayed" reports (4.x.x): the message may still arrive


_AUTO_REPLY_HEADERS = ("x-autoreply", "x-autorespond", "x-autoreply-from", "x-mail-autoreply")
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply", "auto-reply"})
_OUT_OF_OFFICE = (
    "out of office",
    "out of the office",
    "automatic reply",
    "auto reply",
    "auto-reply",
    "autoreply",
    "automatická odpověď",
    "automaticka odpoved",
    "mimo kancelář",
    "mimo kancelar",
    "nepřítomen",
    "nepřítomna",
    "nepřítomnost",
    "automatikus válasz",
    "házon kívül",
    "szabadságon",
    "abwesenheitsnotiz",
    "automatische antwort",
)
_DAEMONS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})
_BOUNCE_SUBJECTS = (
    "undelivered mail returned to sender",
    "delivery status notification",
    "mail delivery failed",
    "delivery failure",
    "failure notice",
    "returned mail",
    "undeliverable",
    "undelivered mail",
    "nedoručitelné",
    "nedoručeno",
    "nedoručená zpráva",
    "kézbesíthetetlen",
    "sikertelen kézbesítés",
    "unzustellbar",
)
_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_SMTP_CODE = re.compile(r"\b([45]\d\d)[\s-]")
_HEADER_LINE = re.compile(r"([!-9;-~]{1,76}):[ \t]*(.*)")
_MESSAGE_ID_LINE = re.compile(r"^[ \t]*message-id:[ \t]*(\S{1,900})", re.IGNORECASE | re.MULTILINE)
_MAX_PARTS = 200
_MAX_TEXT = 65536


def _first(message: Message, name: str) -> str:
    values = raw_values(message, name)
    return values[0].strip() if values else ""


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type().lower()
    except Exception:  # a header the stdlib cannot parse: treat it as plain text, like RFC 2045 says
        return "text/plain"


def auto_reply_reason(message: Message) -> str | None:
    """Why this message must not get an automatic answer (auto-reply, bulk, report), or None."""
    auto_submitted = _first(message, "auto-submitted").lower()
    if auto_submitted and auto_submitted.split(";", 1)[0].strip() != "no":
        return f"Auto-Submitted: {auto_submitted[:40]}"
    for name in _AUTO_REPLY_HEADERS:
        if raw_values(message, name):
            return f"{name} header"
    precedence = _first(message, "precedence").lower().strip()
    if precedence in _BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    if raw_values(message, "list-id") or raw_values(message, "list-unsubscribe"):
        return "mailing list"
    if _content_type(message) == "multipart/report":
        return "delivery or read report"
    if "".join(_first(message, "return-path").split()) == "<>":
        return "null return path"
    subject = (first_text(message, "subject") or "").lower().lstrip("[( ")
    for phrase in _OUT_OF_OFFICE:
        if subject.startswith(phrase):
            return f"out-of-office subject ({phrase})"
    return None


def is_auto_reply(message: Message) -> bool:
    return auto_reply_reason(message) is not None


def is_spam(message: Message) -> bool:
    """Marked as spam by a filter on the way (SpamAssassin, rspamd and the like)."""
    flag = _first(message, "x-spam-flag").lower()
    status = _first(message, "x-spam-status").lower()
    verdict = _first(message, "x-spam").lower()
    return flag.startswith(("yes", "true")) or status.startswith("yes") or verdict.startswith(("yes", "true"))


# ---- bounces -------------------------------------------------------------------------------------


def _parts(message: Message) -> list[Message]:
    """Every part below the message, not descending into attached messages."""
    found: list[Message] = []
    stack = [message]
    while stack and len(found) < _MAX_PARTS:
        part = stack.pop(0)
        found.append(part)
        if part.is_multipart() and not _content_type(part).startswith("message/"):
            payload = part.get_payload()
            if isinstance(payload, list):
                stack.extend(child for child in payload if isinstance(child, Message))
    return found


def _part_text(part: Message) -> str:
    if part.is_multipart():
        payload = part.get_payload()
        blocks = (
            [block for block in payload if isinstance(block, Message)] if isinstance(payload, list) else []
        )
        return "\n\n".join(
            "\n".join(f"{key}: {value}" for key, value in block.raw_items()) for block in blocks
        )
    try:
        data = part.get_payload(decode=True)
    except Exception:  # a transfer encoding the stdlib chokes on: nothing readable here
        return ""
    if not isinstance(data, bytes):
        return ""
    try:
        charset = part.get_content_charset()
    except Exception:  # an unparsable Content-Type: guess below
        charset = None
    return clean_text(decode_bytes(data[:_MAX_TEXT], charset)[0])


def _header_blocks(text: str) -> list[dict[str, str]]:
    """Blank-line separated blocks of "Name: value" lines (a delivery-status body)."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last = ""
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            if current:
                blocks.append(current)
            current, last = {}, ""
            continue
        if line[0] in " \t" and last:
            current[last] += " " + line.strip()
            continue
        match = _HEADER_LINE.match(line)
        if match:
            last = match.group(1).lower()
            current.setdefault(last, match.group(2).strip())
    if current:
        blocks.append(current)
    return blocks


def _recipient_of(block: dict[str, str]) -> str | None:
    for key in ("final-recipient", "original-recipient", "x-actual-recipient"):
        value = block.get(key, "")
        address = value.partition(";")[2] if ";" in value else value
        found = bare_addresses(address)
        if found:
            return found[0]
    return None


def _short(text: str) -> str:
    text = " ".join(text.split())
    if text.lower().startswith(("smtp;", "x-postfix;", "x-unix;")):
        text = text.partition(";")[2].strip()
    return text[:200]


def _attached_message(part: Message) -> Message | None:
    if _content_type(part) not in ("message/rfc822", "message/global") or not part.is_multipart():
        return None
    payload = part.get_payload()
    first = payload[0] if isinstance(payload, list) and payload else None
    return first if isinstance(first, Message) else None


def _original_message_id(parts: list[Message]) -> str | None:
    for part in parts:
        kind = _content_type(part)
        attached = _attached_message(part)
        if attached is not None:
            found = normalise_message_id(_first(attached, "message-id"))
            if found:
                return found
        if kind in ("text/rfc822-headers", "text/global-headers"):
            for block in _header_blocks(_part_text(part))[:1]:
                found = normalise_message_id(block.get("message-id"))
                if found:
                    return found
    for part in parts:
        if _content_type(part) == "text/plain":
            match = _MESSAGE_ID_LINE.search(_part_text(part))
            if match:
                return normalise_message_id(match.group(1))
    return None


def _original_recipients(parts: list[Message]) -> list[str]:
    for part in parts:
        original = _attached_message(part)
        if original is not None:
            return [a for a, _ in addresses(raw_values(original, "to") + raw_values(original, "cc"))]
    return []


def _standard_bounce(parts: list[Message]) -> Bounce | None:
    status_part = next((p for p in parts if _content_type(p).endswith("delivery-status")), None)
    if status_part is None:
        return None
    blocks = [block for block in _header_blocks(_part_text(status_part)) if _recipient_of(block)]
    failed = [b for b in blocks if b.get("action", "").lower().startswith("failed")]
    if not failed:
        failed = [b for b in blocks if not b.get("action") and b.get("status", "").startswith("5")]
    delayed = [b for b in blocks if b.get("action", "").lower().startswith("delayed")]
    chosen, permanent = (failed, True) if failed else (delayed, False)
    if not chosen:
        return None
    status_match = _STATUS.search(chosen[0].get("status", ""))
    status = status_match.group(1) if status_match else ("5.0.0" if permanent else "4.0.0")
    diagnostic = _short(chosen[0].get("diagnostic-code", "")) or _short(chosen[0].get("status", ""))
    recipients = tuple(dict.fromkeys(r for b in chosen if (r := _recipient_of(b))))
    return Bounce(_original_message_id(parts), recipients, status, diagnostic, permanent)


def _looks_like_daemon(message: Message) -> bool:
    senders = addresses(raw_values(message, "from"))
    if not senders:
        return False
    address, name = senders[0]
    local = address.partition("@")[0]
    subject = (first_text(message, "subject") or "").lower()
    by_daemon = local in _DAEMONS or "mail delivery" in name.lower()
    return by_daemon and any(phrase in subject for phrase in _BOUNCE_SUBJECTS)


def _non_standard_bounce(message: Message, parts: list[Message]) -> Bounce:
    """A bounce in prose (qmail, old Exim, some gateways): read what it says as well as possible."""
    text = "\n".join(_part_text(p) for p in parts if _content_type(p) == "text/plain")[:_MAX_TEXT]
    # Only the report itself, not the copy of the original that qmail and Exim append.
    lowered = text.lower()
    cut = min(
        (i for i in (lowered.find("copy of the message"), lowered.find("original message")) if i >= 0),
        default=-1,
    )
    report = text[:cut] if cut >= 0 else text
    recipients: list[str] = []
    for line in report.split("\n"):
        stripped = line.strip()
        if stripped.startswith("<") and ">:" in stripped:
            recipients.extend(bare_addresses(stripped.partition(">:")[0]))
    own = {address for address, _ in addresses(raw_values(message, "from") + raw_values(message, "to"))}
    if not recipients:
        for line in report.split("\n"):
            if _STATUS.search(line) or _SMTP_CODE.search(line) or "rcpt to" in line.lower():
                recipients.extend(a for a in bare_addresses(line) if a not in own)
    if not recipients:
        # Prose such as "Your message wasn't delivered to x@y": trust addresses the original was sent to.
        mentioned = set(bare_addresses(report))
        recipients = [a for a in _original_recipients(parts) if a in mentioned] or sorted(mentioned - own)
    status_match = _STATUS.search(report)
    code_match = _SMTP_CODE.search(report)
    if status_match:
        status = status_match.group(1)
    elif code_match:
        status = f"{code_match.group(1)[0]}.0.0"
    else:
        status = "5.0.0"
    diagnostic = ""
    for line in report.split("\n"):
        if (status_match and status_match.group(1) in line) or (code_match and code_match.group(1) in line):
            diagnostic = _short(line)
            break
    return Bounce(
        _original_message_id(parts),
        tuple(dict.fromkeys(recipients)),
        status,
        diagnostic,
        permanent=not status.startswith("4"),
    )


def bounce_of(message: Message) -> Bounce | None:
    """The delivery failure this message reports, or None when it is no bounce."""
    if _content_type(message) == "multipart/report":
        return _standard_bounce(_parts(message))
    if _looks_like_daemon(message):
        return _non_standard_bounce(message, _parts(message))
    return None
