"""Auto-replies, bulk mail, bounces and spam are recognised from headers and structure — on messages
parsed the way the intake parses them (`policy.default`) and the old way (`compat32`)."""

from __future__ import annotations

import email
from email import policy
from email.message import Message

import pytest

from linka.domains.mail.guards import auto_reply_reason, bounce_of, is_auto_reply, is_spam
from tests.domains.mail.corpus import EXPECTED, raw

POLICIES = {"default": policy.default, "compat32": policy.compat32}


def _message(headers: str, body: str = "Hello.\n", *, policy_name: str = "default") -> Message:
    source = f"From: Jan <jan@firma.example>\nTo: support@linka.example\n{headers}\n{body}"
    return email.message_from_bytes(source.encode(), policy=POLICIES[policy_name])


@pytest.mark.parametrize("policy_name", sorted(POLICIES))
@pytest.mark.parametrize(
    "headers",
    [
        "Auto-Submitted: auto-replied\n",
        "Auto-Submitted: auto-generated\n",
        "Auto-Submitted: auto-notified; owner-email=x@y.example\n",
        "X-Autoreply: yes\n",
        "X-Autorespond: Re: your mail\n",
        "X-AutoReply-From: jan@firma.example\n",
        "Precedence: bulk\n",
        "Precedence: junk\n",
        "Precedence: list\n",
        "Precedence: auto_reply\n",
        "Precedence: BULK\n",
        "List-Id: <printers.lists.firma.example>\n",
        "List-Unsubscribe: <mailto:leave@lists.firma.example>\n",
        "Return-Path: <>\n",
    ],
)
def test_auto_reply_and_bulk_markers(headers: str, policy_name: str) -> None:
    message = _message(headers + "Subject: Re: Printer broken\n", policy_name=policy_name)
    assert is_auto_reply(message)
    assert auto_reply_reason(message)


@pytest.mark.parametrize(
    "headers",
    [
        "Subject: Printer broken\n",
        "Subject: Printer broken\nX-Auto-Response-Suppress: All\n",  # asks us not to answer; not an auto-reply
        "Subject: Printer broken\nAuto-Submitted: no\n",
        "Subject: Printer broken\nPrecedence: normal\n",
        "Subject: Re: the out of office plan for Easter\n",
        "Subject: Question about automatic replies\n",
        "Return-Path: <jan@firma.example>\nSubject: Hi\n",
    ],
)
def test_ordinary_mail_is_no_auto_reply(headers: str) -> None:
    assert not is_auto_reply(_message(headers))


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office: Printer broken",
        "Out of office reply",
        "Automatic reply: Printer broken [#XKQ-7A2-M9P]",
        "AutoReply: Printer",
        "[Auto-Reply] Printer",
        "=?utf-8?Q?Automatick=C3=A1_odpov=C4=9B=C4=8F=3A_Tisk=C3=A1rna?=",
        "=?utf-8?Q?Mimo_kancel=C3=A1=C5=99?=",
        "=?utf-8?Q?Nep=C5=99=C3=ADtomen=3A_Tisk=C3=A1rna?=",
        "=?utf-8?Q?Nep=C5=99=C3=ADtomnost_do_21=2E_3=2E?=",
        "=?utf-8?Q?Automatikus_v=C3=A1lasz=3A_Nyomtat=C3=B3?=",
        "=?utf-8?Q?H=C3=A1zon_k=C3=ADv=C3=BCl?=",
        "=?utf-8?Q?Szabads=C3=A1gon_vagyok?=",
        "Abwesenheitsnotiz: Drucker",
    ],
)
def test_out_of_office_subjects(subject: str) -> None:
    message = _message(f"Subject: {subject}\n")
    assert is_auto_reply(message)
    reason = auto_reply_reason(message)
    assert reason is not None
    assert reason.startswith("out-of-office")


BOUNCES = sorted(name for name, expected in EXPECTED.items() if expected.get("bounce"))


def test_the_corpus_has_the_bounce_kinds() -> None:
    assert {"bounce-dsn-standard.eml", "bounce-postfix.eml", "bounce-exchange.eml"} <= set(BOUNCES)


@pytest.mark.parametrize("policy_name", sorted(POLICIES))
@pytest.mark.parametrize("name", BOUNCES)
def test_bounces_of_the_corpus(name: str, policy_name: str) -> None:
    message = email.message_from_bytes(raw(name), policy=POLICIES[policy_name])
    expected = EXPECTED[name]["bounce"]
    bounce = bounce_of(message)
    assert bounce is not None
    assert bounce.original_message_id == expected["original_message_id"]
    assert list(bounce.recipients) == expected["recipients"]
    assert bounce.status == expected["status"]
    assert expected["diagnostic_contains"] in bounce.diagnostic
    assert bounce.permanent is expected["permanent"]
    assert is_auto_reply(message)


@pytest.mark.parametrize(
    "name", sorted(name for name, e in EXPECTED.items() if "error" not in e and not e.get("bounce"))
)
def test_other_mail_of_the_corpus_is_no_bounce(name: str) -> None:
    assert bounce_of(email.message_from_bytes(raw(name), policy=policy.default)) is None


def _report(report_type: str, status_block: str) -> Message:
    body = (
        "--r\nContent-Type: text/plain\n\nReport.\n\n"
        f"--r\nContent-Type: message/{report_type}\n\nReporting-MTA: dns; mx.example\n\n{status_block}\n"
        "--r--\n"
    )
    headers = f'Subject: Report\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type={report_type}; boundary="r"\n'
    return _message(headers, body)


def test_success_notifications_are_no_bounce_but_never_answered() -> None:
    message = _report(
        "delivery-status", "Final-Recipient: rfc822; a@x.example\nAction: delivered\nStatus: 2.0.0\n"
    )
    assert bounce_of(message) is None
    assert is_auto_reply(message)


def test_read_receipts_are_no_bounce_but_never_answered() -> None:
    message = _report(
        "disposition-notification",
        "Final-Recipient: rfc822; a@x.example\nDisposition: manual-action/MDN-sent-manually; displayed\n",
    )
    assert bounce_of(message) is None
    assert is_auto_reply(message)


def test_a_report_without_action_counts_failures_by_status() -> None:
    message = _report(
        "delivery-status",
        "Final-Recipient: rfc822; A@X.example\nStatus: 5.2.2 (mailbox full)\n\n"
        "Final-Recipient: rfc822; b@x.example\nStatus: 2.0.0\n",
    )
    bounce = bounce_of(message)
    assert bounce is not None
    assert bounce.recipients == ("a@x.example",)
    assert bounce.status == "5.2.2"
    assert bounce.original_message_id is None


def test_mail_from_a_daemon_about_something_else_is_no_bounce() -> None:
    message = email.message_from_bytes(
        b"From: MAILER-DAEMON@mx.example\nTo: support@linka.example\nSubject: Weekly quarantine summary\n\nNothing held.\n",
        policy=policy.default,
    )
    assert bounce_of(message) is None


@pytest.mark.parametrize(
    ("headers", "spam"),
    [
        ("X-Spam-Flag: YES\n", True),
        ("X-Spam-Flag: yes\n", True),
        ("X-Spam-Status: Yes, score=9.1 required=5.0\n", True),
        ("X-Spam: Yes\n", True),
        ("X-Spam-Flag: NO\n", False),
        ("X-Spam-Status: No, score=-0.1 required=5.0\n", False),
        ("X-Spam-Score: 12\n", False),
        ("", False),
    ],
)
def test_spam_flags(headers: str, spam: bool) -> None:
    assert is_spam(_message(headers + "Subject: x\n")) is spam
