"""Every .eml of the corpus parses to what expected.json says (as written, and with CRLF line ends as
it comes over SMTP), plus the parsing rules that deserve a test of their own."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from linka.domains.mail.parsing import (
    MailParseError,
    ParsedMail,
    html_to_text,
    normalise_message_id,
    parse_mail,
    sanitise_mail_html,
    ticket_codes_in,
)
from tests.domains.mail.corpus import EXPECTED, HUGE_SIZE, huge_variant, names, raw

TEXT_FIELDS = ("subject", "from_name", "text", "quoted", "search_text")
NEVER_IN_HTML = ("<script", "javascript:", "onerror=", "onload=", "onclick=", "<iframe", "<style", "class=")


def _crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _assert_clean(mail: ParsedMail) -> None:
    for name in TEXT_FIELDS:
        value = getattr(mail, name)
        assert "\x00" not in value, name
        value.encode("utf-8")  # no lone surrogates: every text field can be stored
    for value in (mail.html, mail.quoted_html):
        if value is not None:
            assert "\x00" not in value
            value.encode("utf-8")
            for fragment in NEVER_IN_HTML:
                assert fragment not in value.lower()
    for attachment in mail.attachments:
        assert attachment.filename
        assert len(attachment.filename) <= 255
        assert "/" not in attachment.filename
        assert "\\" not in attachment.filename
        assert attachment.mime_type == attachment.mime_type.lower()


def _assert_attachments(mail: ParsedMail, expected: list[dict[str, Any]]) -> None:
    found = [(a.filename, a.mime_type, a.inline) for a in mail.attachments]
    assert found == [(e["filename"], e["mime_type"], e["inline"]) for e in expected]
    for attachment, wanted in zip(mail.attachments, expected, strict=True):
        if "content_id" in wanted:
            assert attachment.content_id == wanted["content_id"]
        if "size" in wanted:
            assert len(attachment.data) == wanted["size"]
        if "sha256" in wanted:
            assert hashlib.sha256(attachment.data).hexdigest() == wanted["sha256"]
        if "data_startswith" in wanted:
            assert attachment.data.startswith(wanted["data_startswith"].encode())
        for fragment in wanted.get("data_contains", []):
            assert fragment.encode() in attachment.data


def _assert_bounce(mail: ParsedMail, expected: dict[str, Any] | None) -> None:
    if expected is None:
        assert mail.bounce is None
        return
    assert mail.bounce is not None
    assert mail.bounce.original_message_id == expected["original_message_id"]
    assert list(mail.bounce.recipients) == expected["recipients"]
    assert mail.bounce.status == expected["status"]
    assert expected["diagnostic_contains"] in mail.bounce.diagnostic
    assert len(mail.bounce.diagnostic) <= 200
    assert mail.bounce.permanent is expected["permanent"]


def check(mail: ParsedMail, expected: dict[str, Any]) -> None:
    _assert_clean(mail)
    simple = {
        "subject": "subject",
        "from": "from_address",
        "from_name": "from_name",
        "reply_to": "reply_to",
        "message_id": "message_id",
        "language": "language",
        "text": "text",
        "quoted": "quoted",
        "html": "html",
        "quoted_html": "quoted_html",
        "forwarded": "forwarded",
    }
    for key, attribute in simple.items():
        if key in expected:
            assert getattr(mail, attribute) == expected[key], key
    for key in ("to", "cc", "delivered_to", "in_reply_to", "references"):
        if key in expected:
            assert list(getattr(mail, key)) == expected[key], key
    if "date" in expected:
        assert (mail.date.isoformat() if mail.date else None) == expected["date"]
    if mail.date is not None:
        assert mail.date.tzinfo is not None
        assert mail.date.utcoffset() == UTC.utcoffset(None)
    assert mail.auto_reply is expected.get("auto_reply", False)
    assert (mail.auto_reply_reason is not None) is mail.auto_reply
    assert mail.spam is expected.get("spam", False)
    _assert_bounce(mail, expected.get("bounce"))
    _assert_attachments(mail, expected.get("attachments", []))
    for fragment in expected.get("text_contains", []):
        assert fragment in mail.text
        assert fragment in mail.search_text
    for fragment in expected.get("text_not_contains", []):
        assert fragment not in mail.text
    for fragment in expected.get("quoted_contains", []):
        assert fragment in mail.quoted
        assert fragment in mail.search_text
    for fragment in expected.get("html_contains", []):
        assert mail.html is not None
        assert fragment in mail.html
    for fragment in expected.get("html_not_contains", []):
        assert fragment not in (mail.html or "")
    for fragment in expected.get("quoted_html_contains", []):
        assert mail.quoted_html is not None
        assert fragment in mail.quoted_html
    for key, value in expected.get("headers", {}).items():
        assert mail.headers.get(key) == value, key
    for fragment in expected.get("defects_contain", []):
        assert any(fragment in defect for defect in mail.defects), (fragment, mail.defects)
    if "defects" in expected:
        assert list(mail.defects) == expected["defects"]
    if "ticket_codes" in expected:
        assert ticket_codes_in(mail.subject) == expected["ticket_codes"]
    if "attached_message_id" in expected:
        attached = next(a for a in mail.attachments if a.mime_type == "message/rfc822")
        assert parse_mail(attached.data).message_id == expected["attached_message_id"]


def test_corpus_is_complete() -> None:
    assert names() == sorted(EXPECTED), "every .eml needs an entry in expected.json and the other way round"
    assert len(names()) >= 45


@pytest.mark.parametrize("line_ends", ["as-written", "crlf"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus(name: str, line_ends: str) -> None:
    data = raw(name) if line_ends == "as-written" else _crlf(raw(name))
    expected = EXPECTED[name]
    if "error" in expected:
        with pytest.raises(MailParseError) as error:
            parse_mail(data)
        assert expected["error"] in error.value.reason
        return
    check(parse_mail(data), expected)


def test_two_copies_of_one_message_share_its_id() -> None:
    first, second = (
        parse_mail(raw("duplicate-message-id-1.eml")),
        parse_mail(raw("duplicate-message-id-2.eml")),
    )
    assert first.message_id == second.message_id is not None
    assert first.delivered_to != second.delivered_to


@pytest.mark.slow
def test_huge_attachment_is_parsed_whole() -> None:
    """30 MB of attachment, built in memory by `huge_variant` (the fixture file holds 1 KB)."""
    message, data = huge_variant()
    started = time.perf_counter()
    mail = parse_mail(message)
    elapsed = time.perf_counter() - started
    (attachment,) = mail.attachments
    assert attachment.filename == "logs.zip"
    assert len(attachment.data) == HUGE_SIZE
    assert attachment.data == data
    assert mail.text == "The logs are attached."
    assert elapsed < 30  # linear work; a quadratic step would take minutes


# ---- focused rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<abc@example.com>", "<abc@example.com>"),
        ("  < abc@exa\r\n mple.com >  ", "<abc@example.com>"),
        ("abc@example.com", "<abc@example.com>"),
        ("<CAFoo+Bar=Baz@mail.gmail.com> (added by postmaster)", "<CAFoo+Bar=Baz@mail.gmail.com>"),
        ("<no-at-sign-but-bracketed>", "<no-at-sign-but-bracketed>"),
        ("garbage", None),
        ("<>", None),
        ("", None),
        (None, None),
        ("<a<b@c>", None),
    ],
)
def test_normalise_message_id(value: str | None, expected: str | None) -> None:
    assert normalise_message_id(value) == expected


@pytest.mark.parametrize(
    ("subject", "codes"),
    [
        ("Re: Printer broken [#XKQ-7A2-M9P]", ["XKQ-7A2-M9P"]),
        ("RE: AW: [# xkq7a2m9p ] again", ["XKQ-7A2-M9P"]),
        ("Ticket #HJK-4M2-9QP", ["HJK-4M2-9QP"]),
        ("Bare code HJK-4M2-9QP in text", ["HJK-4M2-9QP"]),
        ("Typed with O and I: [#XKQ-7A2-M9P] [#OIL-7A2-M9P]", ["XKQ-7A2-M9P", "011-7A2-M9P"]),
        ("U is not in the alphabet: [#UUU-7A2-M9P]", []),
        ("Order ABC-123-4567 is not a code", []),
        ("lower-case bare words abc-def-ghi are not codes", []),
        ("Re: [#XKQ-7A2-M9P] Re: [#XKQ-7A2-M9P]", ["XKQ-7A2-M9P"]),
        ("", []),
    ],
)
def test_ticket_codes_in(subject: str, codes: list[str]) -> None:
    assert ticket_codes_in(subject) == codes


def _mail(body: bytes, *, headers: bytes = b"", content_type: bytes = b"text/plain; charset=utf-8") -> bytes:
    return (
        b"From: Tester <tester@example.com>\nTo: support@linka.example\nSubject: test\n"
        b"Message-ID: <t@example.com>\nMIME-Version: 1.0\nContent-Type: "
        + content_type
        + b"\n"
        + headers
        + b"\n"
        + body
    )


def test_html_only_mail_gets_text_from_html() -> None:
    mail = parse_mail(
        _mail(
            b"<p>Hello <b>there</b></p><ul><li>one</li><li>two</li></ul>",
            content_type=b"text/html; charset=utf-8",
        )
    )
    assert "Hello there" in mail.text
    assert "one" in mail.text
    assert "two" in mail.text
    assert mail.html == "<p>Hello <b>there</b></p><ul><li>one</li><li>two</li></ul>"


def test_empty_plain_part_falls_back_to_html() -> None:
    body = (
        b"--b\nContent-Type: text/plain; charset=utf-8\n\n\n--b\nContent-Type: text/html; charset=utf-8\n\n"
        b"<p>Only the HTML says something.</p>\n--b--\n"
    )
    mail = parse_mail(_mail(body, content_type=b'multipart/alternative; boundary="b"'))
    assert mail.text == "Only the HTML says something."


def test_only_attachment_gives_empty_text() -> None:
    body = b'--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="a.pdf"\n\n%PDF\n--b--\n'
    mail = parse_mail(_mail(body, content_type=b'multipart/mixed; boundary="b"'))
    assert (mail.text, mail.html, mail.search_text) == ("", None, "")
    assert [a.filename for a in mail.attachments] == ["a.pdf"]


def test_date_without_zone_is_utc_and_zones_are_converted() -> None:
    naive = parse_mail(_mail(b"x", headers=b"Date: Mon, 17 Mar 2025 10:00:00 -0000\n"))
    assert naive.date == datetime(2025, 3, 17, 10, 0, tzinfo=UTC)
    zoned = parse_mail(_mail(b"x", headers=b"Date: Mon, 17 Mar 2025 10:00:00 +0530\n"))
    assert zoned.date == datetime(2025, 3, 17, 4, 30, tzinfo=UTC)


def test_sender_falls_back_to_sender_header_and_notes_it() -> None:
    message = b"From: undisclosed\nSender: Real Sender <real@example.com>\nSubject: x\n\nbody\n"
    mail = parse_mail(message)
    assert mail.from_address == "real@example.com"
    assert any("Sender" in defect for defect in mail.defects)


@pytest.mark.parametrize(
    "message",
    [
        b"",
        b"   \r\n  ",
        b"just a line of text without any header\n\nand a body\n",
        b"Subject: no sender\n\nbody",
    ],
)
def test_messages_without_sender_or_headers_raise(message: bytes) -> None:
    with pytest.raises(MailParseError) as error:
        parse_mail(message)
    assert error.value.reason
    assert "internal error" not in error.value.reason


def test_text_parts_keep_nul_out() -> None:
    mail = parse_mail(_mail(b"a\x00b\r\nc", headers=b"X-Mailer: x\x00y\n"))
    assert mail.text == "ab\nc"
    assert "\x00" not in mail.headers["x-mailer"]


def test_mixed_text_parts_are_joined() -> None:
    body = (
        b"--b\nContent-Type: text/plain; charset=utf-8\n\nFirst part.\n--b\nContent-Type: image/png\n"
        b"Content-Disposition: inline\n\n\x89PNG\n--b\nContent-Type: text/plain; charset=utf-8\n\nSecond part.\n--b--\n"
    )
    mail = parse_mail(_mail(body, content_type=b'multipart/mixed; boundary="b"'))
    assert mail.text == "First part.\n\nSecond part."
    assert [(a.filename, a.inline) for a in mail.attachments] == [("attachment.png", False)]


def test_deep_nesting_is_cut_off_not_crashing() -> None:
    depth = 60
    opening = b"".join(
        b'--b%d\nContent-Type: multipart/mixed; boundary="b%d"\n\n' % (level, level + 1)
        for level in range(depth)
    )
    closing = b"".join(b"--b%d--\n" % level for level in reversed(range(depth)))
    body = opening + b"--b%d\nContent-Type: text/plain\n\ndeep\n" % depth + closing
    mail = parse_mail(_mail(body, content_type=b'multipart/mixed; boundary="b0"'))
    assert any("nested too deeply" in defect for defect in mail.defects)


def test_sanitise_keeps_cid_and_data_images_and_drops_remote_ones() -> None:
    html = (
        '<img src="cid:a@b"><img src="data:image/png;base64,iVBORw0KGgo="><img src="data:text/html,x">'
        '<img src="https://x.example/a.png" srcset="https://x.example/b.png 2x"><img src="//x.example/c.png">'
        '<img src="ftp://x.example/d.png"><a href="/relative">r</a>'
    )
    cleaned = sanitise_mail_html(html)
    assert 'src="cid:a@b"' in cleaned
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in cleaned
    assert "data:text/html" not in cleaned
    assert 'data-remote-src="https://x.example/a.png"' in cleaned
    assert 'data-remote-src="https://x.example/c.png"' in cleaned
    assert "srcset" not in cleaned
    assert "ftp:" not in cleaned
    assert "/relative" not in cleaned


@pytest.mark.parametrize(
    "pixel",
    [
        '<img src="https://t.example/o.gif" width="1" height="1">',
        '<img src="https://t.example/o.gif" width="0" height="0">',
        '<img src="https://t.example/o.gif" style="width: 1px; height: 1px">',
        '<img src="https://t.example/o.gif" style="display:none">',
        '<img src="https://t.example/o.gif" height="1px">',
    ],
)
def test_tracking_pixels_disappear(pixel: str) -> None:
    assert "t.example" not in sanitise_mail_html(f"<p>Hi</p>{pixel}")


def test_html_to_text_handles_empty_and_broken_markup() -> None:
    assert html_to_text("") == ""
    assert html_to_text("<p>a</p><p>b") == "a\n\nb"
    assert "cell" in html_to_text("<table><tr><td>cell</td></table>")


def test_parsing_a_20_kb_mail_is_quick() -> None:
    paragraph = "The printer on the second floor shows error 0x42 again after the update.\n"
    history = "".join(f"> {paragraph}" for _ in range(120))
    body = (
        "Hello,\n\n"
        + paragraph * 120
        + "\nOn Tue, 11 Mar 2025 at 10:15, Support <s@x.example> wrote:\n"
        + history
    )
    message = _mail(body.encode())
    assert 15_000 < len(message) < 25_000
    parse_mail(message)
    runs = 20
    started = time.perf_counter()
    for _ in range(runs):
        mail = parse_mail(message)
    average = (time.perf_counter() - started) / runs
    assert mail.quoted.startswith("On Tue")
    assert average < 0.05  # about 1 ms on a laptop; the bound only catches gross regressions
