"""Folding quoted history and signatures away, in plain text and HTML, for the mail clients and
languages our customers use; and never folding what the sender actually wrote."""

from __future__ import annotations

import time

import pytest

from linka.domains.mail.quoting import is_attribution, is_forward_subject, split_html, split_text


@pytest.mark.parametrize(
    "line",
    [
        "On Tue, Mar 11, 2025 at 4:05 PM Linka Support <support@linka.example> wrote:",
        "On 12 Mar 2025, at 10:15, Linka Support <support@linka.example> wrote:",
        "On 12/03/2025 16:05, Linka Support wrote:",
        "On Mar 12, 2025, at 10:15 AM, Jan Novák <jan@x.cz> wrote:",
        "Am 12.03.25 um 16:05 schrieb Linka Support:",
        "Am Mi., 12. März 2025 um 10:15 Uhr schrieb Linka Support <support@linka.example>:",
        "Dne 12. 3. 2025 v 10:15 Jan Novák <jan@x.cz> napsal(a):",
        "Dne 11. 03. 25 v 16:05 Podpora Linka napsal(a):",
        "út 11. 3. 2025 v 16:05 odesílatel Podpora Linka <podpora@linka.example> napsal:",
        "2025. márc. 12., sze 10:15 keltezéssel Kovács Anna <anna@x.hu> ezt írta:",
        "2025. 03. 11. 16:05 keltezéssel, Linka Ügyfélszolgálat írta:",
        "Kovács Anna <anna@x.hu> ezt írta (időpont: 2025. márc. 12., Sze, 10:15):",
        "2025. márc. 12. dátummal, 10:15 időpontban Kovács Anna <anna@x.hu> írta:",
    ],
)
def test_attribution_lines_are_recognised(line: str) -> None:
    assert is_attribution(line)


@pytest.mark.parametrize(
    "line",
    [
        "On Monday my colleague wrote:",  # no date: prose, not an attribution
        "Kolega mi 3x napsal:",  # no "Dne", no sender address
        "Ahogy a levélben 2 hete írta:",
        "The error says: 500 wrote:",
        "On 12 Mar 2025 the printer stopped working.",
        "",
        "x" * 500 + " 1 wrote:",
    ],
)
def test_prose_is_not_an_attribution(line: str) -> None:
    assert not is_attribution(line)


REPLIES = {
    "gmail-wrapped": (
        "Thanks!\n\nOn Tue, Mar 11, 2025 at 4:05 PM Linka Customer Support <support@linka.example>\nwrote:\n\n> old\n",
        "Thanks!",
    ),
    "gmail-cs-wrapped": (
        "Díky.\n\nút 11. 3. 2025 v 16:05 odesílatel Podpora Linka <podpora@linka.example>\nnapsal:\n\n> starý\n",
        "Díky.",
    ),
    "gmail-hu-wrapped-before-keyword": (
        "Köszönöm.\n\n2025. márc. 12., sze 10:15 keltezéssel Linka Ügyfélszolgálat <\n"
        "ugyfelszolgalat@linka.example> ezt írta:\n\n> régi\n",
        "Köszönöm.",
    ),
    "outlook-en": (
        "It works.\n\n________________________________\nFrom: A <a@x.example>\nSent: Tuesday, March 11, 2025 4:02 PM\n"
        "To: B <b@x.example>\nSubject: Printer\n\nold\n",
        "It works.",
    ),
    "outlook-bold-headers": (
        "It works.\n\n*From:* A <a@x.example>\n*Sent:* Tuesday, March 11, 2025 4:02 PM\n*To:* B\n*Subject:* Printer\n\nold",
        "It works.",
    ),
    "outlook-cs": (
        "Funguje.\n\nOd: Podpora <p@x.example>\nOdesláno: úterý 11. března 2025 16:02\nKomu: Jan\nPředmět: Tiskárna\n\nstaré",
        "Funguje.",
    ),
    "outlook-hu": (
        "Működik.\n\nFeladó: Ügyfélszolgálat <u@x.example>\nElküldve: 2025. március 11., kedd 16:02\n"
        "Címzett: Anna\nTárgy: Nyomtató\n\nrégi",
        "Működik.",
    ),
    "outlook-de": (
        "Geht.\n\nVon: Support <s@x.example>\nGesendet: Dienstag, 11. März 2025 16:02\nAn: Klaus\nBetreff: Drucker\n\nalt",
        "Geht.",
    ),
    "original-message": ("Done.\n\n-----Original Message-----\nFrom: A\nSent: B\n\nold", "Done."),
    "seznam": ("Posílám.\n\n---------- Původní e-mail ----------\nOd: A <a@x.example>\nstaré", "Posílám."),
    "outlook-cs-original": ("Hotovo.\n\n-----Původní zpráva-----\nOd: A\nstaré", "Hotovo."),
    "eredeti-uzenet": ("Kész.\n\n-------- Eredeti üzenet --------\nFeladó: A\nrégi", "Kész."),
    "quote-only-at-the-end": ("Yes, please.\n\n> Shall we send a technician?\n> Linka\n", "Yes, please."),
    "apple-quoted-attribution": (
        "Great.\n\nSent from my iPhone\n\n> On 12 Mar 2025, at 10:15, Linka <s@x.example> wrote:\n>\n> old\n",
        "Great.",
    ),
    "dash-dash-signature": (
        "Hello,\nit broke again.\n\n-- \nJan Novák\n+420 777 000 000\n",
        "Hello,\nit broke again.",
    ),
    "czech-mobile-signature": ("Funguje to.\n\nOdesláno z iPhonu", "Funguje to."),
    "czech-mobile-signature-mine": ("Funguje to.\n\nOdesláno z mého telefonu Samsung", "Funguje to."),
    "hungarian-mobile-signature": ("Rendben.\n\niPhone-ról küldve", "Rendben."),
    "outlook-mobile-signature": ("Sure.\n\nGet Outlook for Android", "Sure."),
}


@pytest.mark.parametrize("case", sorted(REPLIES))
def test_replies_keep_only_the_new_text(case: str) -> None:
    text, new = REPLIES[case]
    found, folded = split_text(text)
    assert found == new
    assert folded
    assert new.strip() not in folded or case == "quote-only-at-the-end"


def test_folded_part_keeps_everything_after_the_new_text() -> None:
    text = "New.\n\nOn Tue, 11 Mar 2025 at 16:05, A <a@x.example> wrote:\n> one\n> two\n"
    new, folded = split_text(text)
    assert new == "New."
    assert folded == "On Tue, 11 Mar 2025 at 16:05, A <a@x.example> wrote:\n> one\n> two"


def test_inline_answers_are_not_folded() -> None:
    text = (
        "See below.\n\nOn Tue, 11 Mar 2025 at 16:05, A <a@x.example> wrote:\n> Which version?\n\n4.2.1\n\n"
        "> Which phone?\n\nPixel 8\n\n> Thanks\n"
    )
    new, folded = split_text(text)
    assert "4.2.1" in new
    assert "Pixel 8" in new
    assert "> Which version?" in new
    assert folded == "> Thanks"


@pytest.mark.parametrize(
    "text",
    [
        "FYI\n\n---------- Forwarded message ---------\nFrom: A <a@x.example>\nDate: Mon\nSubject: S\nTo: B\n\nbody",
        "FYI\n\nBegin forwarded message:\n\nFrom: A <a@x.example>\nSubject: S\nDate: 10 March 2025\nTo: B\n\nbody",
        "Na vědomí.\n\n---------- Přeposlaná zpráva ----------\nOd: A\nDatum: B\nPředmět: C\nKomu: D\n\ntělo",
        "Tájékoztatásul.\n\n-------- Továbbított üzenet --------\nTárgy: T\nDátum: D\nFeladó: F\nCímzett: C\n\ntörzs",
    ],
)
def test_forwarded_content_stays(text: str) -> None:
    assert split_text(text) == (text, "")


def test_nothing_is_folded_when_nothing_would_remain() -> None:
    text = "On Tue, 11 Mar 2025 at 16:05, A <a@x.example> wrote:\n> only the quote\n"
    assert split_text(text) == (text.strip("\n"), "")


@pytest.mark.parametrize(
    "text",
    [
        "Hello,\n- first item\n- second item\n\nThanks, that is all.\nBest regards,\nJan",
        "Please see the table:\nFrom: Prague\nTo: Brno\nPrice: 100 CZK",  # one header-like pair is not a header block
        'Dear support,\n\nmy colleague wrote:\n"the printer is broken"\n\nCan you help?',
        "Line one\r\nLine two\r\n",
    ],
)
def test_ordinary_text_is_not_folded(text: str) -> None:
    new, folded = split_text(text)
    assert folded == ""
    assert new == text.replace("\r\n", "\n").strip("\n")


def test_indentation_of_new_text_is_kept() -> None:
    text = "Config:\n    key = value\n        nested = 1\n\n-- \nJan"
    assert split_text(text)[0] == "Config:\n    key = value\n        nested = 1"


@pytest.mark.parametrize(
    "hostile",
    [
        "From:" + " " * 200_000 + "x",
        "On " + "a " * 100_000 + "wrote",
        ("x" * 300 + " 1 napsal:\n") * 2_000,
        "> " * 100_000,
        ("From: a\n" * 5 + "\n") * 5_000,
        "\n" * 200_000 + "> q",
        ("-" * 50 + " 1 wrote:\n") * 3_000,
        ("On 1 Mar 2025, A <a@x.example> wrote:\n> q\nanswer\n") * 20_000,
        ("Dne 1. 3. 2025 A napsal(a):\n" + "plain line\n" * 5) * 10_000 + "> q\nend",
    ],
)
def test_hostile_text_costs_linear_time(hostile: str) -> None:
    started = time.perf_counter()
    split_text(hostile)
    assert time.perf_counter() - started < 2  # a quadratic pattern takes minutes here


# ---- HTML ----------------------------------------------------------------------------------------

HTML_REPLIES = {
    "gmail": (
        '<div dir="ltr">New text</div><br><div class="gmail_quote gmail_quote_container">'
        '<div class="gmail_attr">On Tue wrote:</div><blockquote class="gmail_quote">old</blockquote></div>'
    ),
    "apple": '<body>New text<br><blockquote type="cite">On 12 Mar wrote:<br>old</blockquote></body>',
    "thunderbird": (
        '<body><p>New text</p><div class="moz-cite-prefix">On 12/03/2025 wrote:<br></div>'
        '<blockquote type="cite"><p>old</p></blockquote></body>'
    ),
    "outlook-web": (
        '<div>New text</div><div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>From:</b> A</div><div>old</div>'
    ),
    "outlook-web-quoted-again": '<div>New text</div><hr><div id="x_divRplyFwdMsg"><b>From:</b> A</div><div>old</div>',
    "outlook-desktop": (
        '<div class="WordSection1"><p>New text</p><div><div style="border:none;border-top:solid #E1E1E1 1.0pt">'
        "<p><b>From:</b> A<br><b>Sent:</b> Tuesday<br><b>To:</b> B<br><b>Subject:</b> S</p></div></div>"
        "<p>old</p></div>"
    ),
    "yahoo": '<div>New text</div><div class="yahoo_quoted"><div>old</div></div>',
}


@pytest.mark.parametrize("case", sorted(HTML_REPLIES))
def test_html_replies_fold_the_history(case: str) -> None:
    new, folded = split_html(HTML_REPLIES[case])
    assert "New text" in new
    assert "old" not in new
    assert folded is not None
    assert "old" in folded


def test_html_attribution_before_a_plain_blockquote_goes_with_it() -> None:
    html = "<div>New text</div><div>On Tue, 11 Mar 2025 at 16:05, A &lt;a@x.example&gt; wrote:</div>"
    html += '<blockquote type="cite">old</blockquote>'
    new, folded = split_html(html)
    assert "wrote" not in new
    assert folded is not None
    assert "wrote:" in folded


def test_text_after_the_history_in_a_wrapper_is_folded_too() -> None:
    html = '<div><div><p>New text</p><blockquote type="cite">old</blockquote></div>tail text<p>more old</p></div>'
    new, folded = split_html(html)
    assert "New text" in new
    assert "tail text" not in new
    assert "more old" not in new
    assert folded is not None
    assert "tail text" in folded
    assert "more old" in folded


@pytest.mark.parametrize(
    "html",
    [
        "<p>No history at all</p>",
        '<blockquote type="cite">Only a quote</blockquote>',
        '<div class="moz-forward-container">-------- Forwarded Message --------<blockquote type="cite">x</blockquote></div>',
        '<div>FYI</div><div class="gmail_quote"><div class="gmail_attr">---------- Forwarded message ---------</div>x</div>',
        "",
    ],
)
def test_html_without_foldable_history_stays_whole(html: str) -> None:
    assert split_html(html) == (html, None)


def test_an_image_is_content_enough() -> None:
    html = '<img src="cid:a@b"><blockquote type="cite">old</blockquote>'
    new, folded = split_html(html)
    assert "cid:a@b" in new
    assert folded is not None


@pytest.mark.parametrize(
    ("subject", "forward"),
    [
        ("Fwd: Invoice", True),
        ("FW: Reklamace", True),
        ("fw:x", True),
        ("TR: Facture", True),
        ("WG: Rechnung", True),
        ("PŘ: Reklamace", True),
        ("Továbbítás: Számla", True),
        ("Re: Fwd: Invoice", False),
        ("Forward planning", False),
        ("", False),
    ],
)
def test_forward_subjects(subject: str, forward: bool) -> None:
    assert is_forward_subject(subject) is forward
