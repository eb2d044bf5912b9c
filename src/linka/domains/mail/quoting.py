"""What the sender wrote now, and what is folded away: quoted history and the signature.

Works for replies from Outlook, Gmail, Apple Mail, Thunderbird, Seznam and the like in English,
Czech, Hungarian and German, in plain text and in HTML. The folded part is never thrown away: the
caller keeps it (`ParsedMail.quoted`), and a message that would be left empty is not folded at all.
Forwarded mail is not folded either: what was forwarded is the content.

`mail-parser-reply` is not used here: its patterns backtrack quadratically on long lines (an 8 KB
line of spaces after "From:" takes seconds), it strips every line's indentation, cuts paragraphs that
start with "Thanks," or "- " as signatures, and it has no Hungarian. The patterns below work line by
line with plain string tests, so hostile input costs linear time.
"""

from __future__ import annotations

import html as html_escaping
import re
from itertools import islice

import lxml.html

from linka.domains.mail.htmlbody import html_body, html_root, inner_html

_MAX_LINE = 400
_MAX_SIGNATURE_LINES = 30

_SEPARATOR = re.compile(
    r"-{2,}\s*(?:original message|původní (?:e-mail|email|zpráva)|eredeti (?:üzenet|levél)"
    r"|ursprüngliche nachricht)\s*-{2,}"
    # the copy of the original that qmail and Exim append to a bounce
    r"|-{2,}\s*below this line is a copy of the message\.?"
    r"|-{2,}\s*this is a copy of the message, including all the headers\.?\s*-{2,}"
)
_FORWARD = re.compile(
    r"-{2,}\s*(?:forwarded message|přeposlaná zpráva|přeposlaný e-mail|továbbított üzenet|továbbított levél"
    r"|weitergeleitete nachricht)\s*-{2,}"
    r"|begin forwarded message:|začátek přeposílané zprávy:|továbbított levél kezdete:"
)
_UNDERSCORES = re.compile(r"_{10,}")
_HEADER_KEY = re.compile(
    r"\*?[ \t]*(from|sent|date|to|subject|cc|od|odesláno|datum|komu|předmět|kopie|feladó|elküldve|küldve"
    r"|dátum|címzett|tárgy|másolat|von|gesendet|an|betreff)[ \t]*(?:\*[ \t]*)?:",
    re.IGNORECASE,
)
_FROM_KEYS = frozenset({"from", "od", "feladó", "von"})
_SHORT_ATTRIBUTIONS = (" wrote:", " napsal:", " napsal(a):", " írta:", " schrieb:")
_MOBILE_SIGNATURE = re.compile(
    r"sent from (?:my )?\S.{0,60}|get outlook for \S.{0,40}|sent with \S.{0,40}"
    r"|odesláno (?:z|ze|pomocí|přes) \S.{0,60}"
    r"|\S.{0,60}(?:ról|ről) küldve|küldve (?:az? |egy )?\S.{0,60}"
    r"|von meinem \S.{0,40} gesendet|gesendet von \S.{0,40}",
    re.IGNORECASE,
)
_FORWARD_SUBJECT = re.compile(r"\s*(?:fwd?|tr|wg|př|továbbítás)\s*:", re.IGNORECASE)


def is_forward_subject(subject: str) -> bool:
    """Does the subject say the message is a forward ("Fwd:", "FW:", "TR:", "WG:", "PŘ:", "Továbbítás:")?"""
    return _FORWARD_SUBJECT.match(subject) is not None


def is_attribution(candidate: str) -> bool:
    """Is this (possibly re-joined) line the "On … wrote:" introducing quoted history?

    Plain string tests rather than one regex: no backtracking, whatever the line holds."""
    text = " ".join(candidate.split())
    if not (8 <= len(text) <= _MAX_LINE and text.endswith(":")) or not any(c.isdigit() for c in text):
        return False
    lowered = text.lower()
    head = lowered[:-1].rstrip()
    # Hungarian Gmail puts the date last: "… ezt írta (időpont: 2025. márc. 12., Sze, 10:15):"
    if head.endswith(")") and " (" in head:
        head = head[: head.rindex(" (")].rstrip()
    if lowered.startswith("on ") and head.endswith(" wrote"):
        return True
    if lowered.startswith("am ") and " schrieb " in f"{lowered} ":
        return True
    if head.endswith((" napsal", " napsala", " napsal(a)")):
        return lowered.startswith("dne ") or " odesílatel " in lowered or "@" in lowered
    if head.endswith(" írta"):
        return any(word in lowered for word in ("keltezéssel", "időpontban", "dátummal", "@"))
    return False


def _header_block_at(lines: list[str], index: int) -> bool:
    """Do Outlook-style header lines ("From: … Sent: … To: … Subject: …") start at this line?"""
    keys: set[str] = set()
    seen = 0
    for line in lines[index : index + 10]:
        stripped = line.strip()
        if not stripped:
            if keys:
                break
            continue
        match = _HEADER_KEY.match(stripped[:_MAX_LINE])
        if match is None:
            if seen == 0:
                return False
            continue  # a long To: or Subject: wrapped onto the next line
        keys.add(match.group(1).lower())
        seen += 1
    return len(keys) >= 3 and bool(keys & _FROM_KEYS)


class _InlineReplies:
    """Answers "does unquoted text follow quoted text after line i?" for growing i in amortised
    constant time, so many attribution-like lines stay linear."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines
        self._cursor = 0  # the first quoted line at or after the last question (only moves forward)
        self._last_unquoted: int | None = None

    def after(self, index: int) -> bool:
        lines = self._lines
        if self._last_unquoted is None:
            self._last_unquoted = next(
                (i for i in range(len(lines) - 1, -1, -1) if lines[i].strip() and not _is_quoted(lines[i])),
                -1,
            )
        self._cursor = max(self._cursor, index + 1)
        while self._cursor < len(lines) and not _is_quoted(lines[self._cursor]):
            self._cursor += 1
        return self._cursor < self._last_unquoted


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _attribution_start(lines: list[str], index: int) -> int | None:
    """Where an attribution ending on this line starts: itself, or up to two lines above (wrapped)."""
    for back in range(3):
        start = index - back
        if start < 0:
            return None
        chunk = lines[start : index + 1]
        if back and any(not line.strip() or line.lstrip().startswith(">") for line in chunk[:-1]):
            return None
        joined = " ".join(chunk)
        if len(joined) <= _MAX_LINE and is_attribution(joined):
            return start
    return None


def _history_start(lines: list[str]) -> int | None:
    """The first line of quoted history; None when there is none (or when the mail is a forward)."""
    inline = _InlineReplies(lines)
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith(">") or len(stripped) > _MAX_LINE:
            continue
        first = stripped[0]
        if first in "-_" or stripped.endswith(":"):  # separators and forward markers (cheap test first)
            lowered = stripped.lower()
            if _FORWARD.fullmatch(lowered):
                return None
            if _SEPARATOR.fullmatch(lowered):
                return index
        if first == "_" and _UNDERSCORES.fullmatch(stripped):
            following = next(
                (i for i in range(index + 1, min(index + 3, len(lines))) if lines[i].strip()), None
            )
            if following is not None and _header_block_at(lines, following):
                return index
            continue
        if ":" in stripped and _HEADER_KEY.match(stripped) and _header_block_at(lines, index):
            return index
        if stripped.endswith(":"):
            start = _attribution_start(lines, index)
            if start is not None and not inline.after(index):
                return start
    return _trailing_quote_start(lines)


def _trailing_quote_start(lines: list[str]) -> int | None:
    """The start of a block of "> " lines that ends the message (with its attribution line, if any)."""
    end = len(lines) - 1
    while end >= 0 and not lines[end].strip():
        end -= 1
    if end < 0 or not lines[end].lstrip().startswith(">"):
        return None
    start = end
    while start > 0 and (not lines[start - 1].strip() or lines[start - 1].lstrip().startswith(">")):
        start -= 1
    while not lines[start].strip():
        start += 1
    above = start - 1
    while above >= 0 and not lines[above].strip():
        above -= 1
    if above >= 0 and lines[above].rstrip().endswith(":") and len(lines[above]) < _MAX_LINE:
        attribution = _attribution_start(lines, above)
        if attribution is not None:
            return attribution
        # "Jan wrote:" without a date still introduces the quote right below it
        if lines[above].rstrip().lower().endswith(_SHORT_ATTRIBUTIONS):
            return above
    return start


def _signature_start(lines: list[str], end: int) -> int | None:
    """Where the signature starts within lines[:end]: the "-- " line, or a "Sent from my iPhone" line."""
    found: int | None = None
    for index in range(end - 1, max(-1, end - 1 - _MAX_SIGNATURE_LINES), -1):
        if lines[index].rstrip() == "--":
            found = index
            break
    last_lines = list(islice((i for i in range(end - 1, -1, -1) if lines[i].strip()), 3))
    for index in reversed(last_lines):
        stripped = lines[index].strip()
        if len(stripped) <= 100 and _MOBILE_SIGNATURE.fullmatch(stripped):
            found = index if found is None else min(found, index)
            break
    return found


def split_text(text: str) -> tuple[str, str]:
    """(new text, folded part) of a plain-text body."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    history = _history_start(lines)
    end = len(lines) if history is None else history
    signature = _signature_start(lines, end)
    cut = end if signature is None else signature
    new = "\n".join(lines[:cut]).rstrip()
    if not new.strip():
        return text.strip("\n"), ""
    return new.strip("\n"), "\n".join(lines[cut:]).strip("\n")


# ---- HTML ----------------------------------------------------------------------------------------

_MARKER_CLASSES = frozenset(
    {"gmail_quote", "gmail_quote_container", "yahoo_quoted", "moz-cite-prefix", "outlookmessageheader"}
)
_MARKER_IDS = frozenset(
    {
        "appendonsend",
        "divrplyfwdmsg",
        "mail-editor-reference-message-container",
        "olk_src_body_section",
        "zwchr",
    }
)
_FORWARD_WORDS = ("forwarded message", "přeposlaná zpráva", "továbbított üzenet", "weitergeleitete nachricht")


def _tokens(value: str | None) -> set[str]:
    return {token.removeprefix("x_") for token in (value or "").lower().split()}


def _text_start(element: lxml.html.HtmlElement, limit: int) -> str:
    """The first characters of an element's text, without walking all of a big subtree."""
    pieces: list[str] = []
    length = 0
    for text in islice(element.itertext(), 200):
        pieces.append(text)
        length += len(text)
        if length >= limit:
            break
    return "".join(pieces)[:limit]


def _is_forward_container(element: lxml.html.HtmlElement) -> bool:
    classes = _tokens(element.get("class"))
    if "moz-forward-container" in classes:
        return True
    if classes & {"gmail_quote", "gmail_quote_container"}:
        start = _text_start(element, 300).lower()
        return any(word in start for word in _FORWARD_WORDS)
    return False


def _is_outlook_header_div(element: lxml.html.HtmlElement) -> bool:
    """Outlook desktop: `<div style="border-top:solid …"><p><b>From:</b> … <b>Sent:</b> …`."""
    if element.tag != "div" or "border-top" not in (element.get("style") or "").lower():
        return False
    texts = [text.strip() for text in islice(element.itertext(), 60) if text.strip()]
    matches = [_HEADER_KEY.match(text[:_MAX_LINE]) for text in texts]
    keys = [match.group(1).lower() for match in matches if match is not None]
    return bool(keys) and keys[0] in _FROM_KEYS and matches[0] is not None and len(set(keys)) >= 3


def _is_marker(element: lxml.html.HtmlElement) -> bool:
    if _tokens(element.get("id")) & _MARKER_IDS or _tokens(element.get("class")) & _MARKER_CLASSES:
        return True
    if element.tag == "blockquote" and (element.get("type") or "").lower() == "cite":
        return True
    return _is_outlook_header_div(element)


# Only elements that can be markers are looked at (one C-level query instead of a Python walk).
_CANDIDATES = ".//*[@id or @class or @type or contains(@style, 'border-top')]"


def _find_marker(body: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    forwards: set[lxml.html.HtmlElement] = set()
    for element in body.xpath(_CANDIDATES):
        if _is_forward_container(element):
            forwards.add(element)
        elif _is_marker(element) and not any(a in forwards for a in element.iterancestors()):
            return element
    return None


def _content_before(start: lxml.html.HtmlElement, body: lxml.html.HtmlElement) -> bool:
    """Is there text or an image before `start` (in document order)?"""
    ancestors = set(start.iterancestors())
    for element in body.iter():
        if element is start:
            return False
        if element.tag == "img" or (element.text or "").strip():
            return True
        if element not in ancestors and (element.tail or "").strip():
            return True
    return False


def _detach_from(start: lxml.html.HtmlElement, body: lxml.html.HtmlElement) -> str:
    """Cut `start` and everything after it (in document order, up to the body) out of the tree."""
    pieces: list[str] = []
    current = start
    parent = start.getparent()
    siblings = [start, *start.itersiblings()]
    while parent is not None:
        for sibling in siblings:
            pieces.append(lxml.html.tostring(sibling, encoding="unicode", with_tail=True))
            parent.remove(sibling)
        if parent is body:
            break
        current, parent = parent, parent.getparent()
        if current.tail:
            pieces.append(html_escaping.escape(current.tail, quote=False))
            current.tail = None
        siblings = list(current.itersiblings())
    return "".join(pieces)


def split_html_tree(body: lxml.html.HtmlElement) -> tuple[str, str] | None:
    """(new markup, folded markup) cut out of a parsed body, or None (tree untouched) when there is
    no history to fold or nothing would remain."""
    marker = _find_marker(body)
    if marker is None:
        return None
    start = marker
    previous = marker.getprevious()
    if (
        marker.tag == "blockquote"
        and previous is not None
        and isinstance(previous.tag, str)
        and is_attribution(_text_start(previous, 500).strip())
    ) or (
        (marker.get("id") or "").lower().endswith("divrplyfwdmsg")
        and previous is not None
        and previous.tag == "hr"
    ):
        start = previous
    if start.getparent() is None or not _content_before(start, body):
        return None
    quoted = _detach_from(start, body)
    return inner_html(body), quoted


def split_html(html: str) -> tuple[str, str | None]:
    """(new HTML, folded HTML or None) of an HTML body; both still need sanitising."""
    root = html_root(html)
    if root is None:
        return html, None
    split = split_html_tree(html_body(root))
    return split if split is not None else (html, None)
