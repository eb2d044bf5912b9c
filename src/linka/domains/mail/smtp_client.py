"""Hand one composed email to a mailbox's SMTP server (aiosmtplib), and say how a failure should be
treated: permanent (the server refused the mail for good: a 5xx answer; retrying changes nothing) or
temporary (network, timeouts, 4xx answers and settings the admin can fix: retried with backoff).

The only module of the mail domain that opens a socket; the worker calls it outside any transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from email.message import EmailMessage

import aiosmtplib

from linka.core.sealing import Sealer
from linka.domains.mail.models import Mailbox

QUIT_TIMEOUT = 5.0


class DeliveryError(Exception):
    """Why a mail did not leave. `unreachable`: the server could not be reached at all, so the other
    mails waiting for the same server would fail the same way right now."""

    def __init__(self, message: str, permanent: bool = False, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.unreachable = unreachable


def _answer(code: int, message: str) -> str:
    return f"{code} {' '.join(message.split())}".strip()


def _classify(exc: BaseException, mailbox: Mailbox) -> DeliveryError:
    server = f"{mailbox.smtp_host}:{mailbox.smtp_port}"
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        # Wrong credentials are the admin's to fix, not the recipient's fault: retried.
        return DeliveryError(f"the SMTP server refused the login: {_answer(exc.code, exc.message)}")
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [refused.code for refused in exc.recipients]
        details = ", ".join(
            f"{refused.recipient} ({_answer(refused.code, refused.message)})" for refused in exc.recipients
        )
        return DeliveryError(f"recipient refused: {details}", permanent=all(code >= 500 for code in codes))
    if isinstance(exc, aiosmtplib.SMTPConnectError | aiosmtplib.SMTPConnectTimeoutError):
        return DeliveryError(f"cannot connect to {server}: {exc}", unreachable=True)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        answer = _answer(exc.code, exc.message)
        if isinstance(exc, aiosmtplib.SMTPSenderRefused):
            answer = f"sender {exc.sender} refused: {answer}"
        return DeliveryError(f"the SMTP server answered {answer}", permanent=exc.code >= 500)
    if isinstance(exc, TimeoutError):
        return DeliveryError(f"{server} did not answer in time")
    if isinstance(exc, ssl.SSLError):
        return DeliveryError(f"TLS with {server} failed: {exc}", unreachable=True)
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected):
        return DeliveryError(f"{server} closed the connection: {exc}")
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return DeliveryError(f"{server}: {exc}")
    if isinstance(exc, OSError):
        return DeliveryError(f"cannot connect to {server}: {exc}", unreachable=True)
    if isinstance(exc, ValueError):
        # aiosmtplib refuses an address it cannot put in the envelope: no retry makes it valid.
        return DeliveryError(f"cannot send to this address: {exc}", permanent=True)
    return DeliveryError(f"{server}: {exc}")


def smtp_password(mailbox: Mailbox, sealer: Sealer) -> str:
    """The mailbox's SMTP password; a temporary DeliveryError when it cannot be unsealed (the secret
    key changed: the admin enters the password again, and the mail goes on the next attempt)."""
    try:
        return sealer.open(mailbox.smtp_password_sealed)
    except ValueError as exc:
        raise DeliveryError(f"the SMTP password cannot be read: {exc}") from exc


def _client(mailbox: Mailbox, timeout: float) -> aiosmtplib.SMTP:
    security = mailbox.smtp_security
    return aiosmtplib.SMTP(
        hostname=mailbox.smtp_host,
        port=mailbox.smtp_port,
        use_tls=security == "tls",
        # "none" never upgrades, even when offered; "starttls" requires it.
        start_tls=security == "starttls",
        timeout=timeout,
    )


async def send_message(
    mailbox: Mailbox | None,
    password: str,
    message: EmailMessage,
    *,
    timeout: float,  # noqa: ASYNC109 - a limit for the whole conversation, also given to each command
) -> dict[str, str]:
    """Send `message` (envelope sender: the mailbox address; recipients: its To and Cc) within
    `timeout` seconds. Returns the recipients the server refused while accepting the others
    (address → its answer); raises DeliveryError when nobody got it."""
    if mailbox is None:
        raise DeliveryError("no mailbox to send from: add one in the admin")
    if not mailbox.smtp_host:
        raise DeliveryError("the mailbox has no SMTP server configured")
    client = _client(mailbox, timeout)
    try:
        async with asyncio.timeout(timeout):
            await client.connect()
            if mailbox.smtp_username:
                await client.login(mailbox.smtp_username, password)
            refused, _ = await client.send_message(message, sender=mailbox.address)
    except (aiosmtplib.SMTPException, OSError, TimeoutError, ValueError) as exc:
        client.close()
        raise _classify(exc, mailbox) from exc
    # The mail is accepted: a server slow to say goodbye must not turn it into a failure (and a resend).
    with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
        async with asyncio.timeout(QUIT_TIMEOUT):
            await client.quit()
    client.close()
    return {address: _answer(answer.code, answer.message) for address, answer in refused.items()}
