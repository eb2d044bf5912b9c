"""Bytes of a mail turned into text: declared charsets, wrong or unknown labels, undeclared 8-bit text
and RFC 2047 encoded-words. Nothing here raises on bad input; what was tolerated is reported as a
short defect string."""

from __future__ import annotations

import binascii
import codecs
import re

# Labels seen in the wild that Python does not know, mapped to the codec they mean.
_ALIASES = {
    "cp-1250": "cp1250",
    "win-1250": "cp1250",
    "win1250": "cp1250",
    "windows1250": "cp1250",
    "x-cp1250": "cp1250",
    "windows-1250x": "cp1250",
    "cp-1252": "cp1252",
    "win-1252": "cp1252",
    "x-cp1252": "cp1252",
    "latin-2": "iso-8859-2",
    "iso8859_2": "iso-8859-2",
    "x-mac-ce": "mac-latin2",
    "x-mac-roman": "mac-roman",
    "iso-8859-8-i": "iso-8859-8",
    "x-sjis": "shift_jis",
    "x-euc-jp": "euc_jp",
    "ansi_x3.4-1968": "ascii",
    "us_ascii": "ascii",
    "utf-8;": "utf-8",
    "utf_8": "utf-8",
}
# Labels that say "some 8-bit charset, we do not know which".
_UNKNOWN_8BIT = frozenset(
    {"unknown-8bit", "x-unknown", "unknown", "8bit", "default", "x-user-defined", "binary"}
)
# Python codecs that are not text encodings or that decode in surprising ways; never trust a mail asking for them.
_REFUSED = frozenset({"undefined", "unicode_escape", "raw_unicode_escape", "idna", "punycode", "mbcs", "oem"})

# Letters that make Czech or Hungarian text: used to choose between the usual 8-bit charsets.
# Only these: Polish and Slovak letters sit where the other charset has Czech ones (0xB9: š or ą).
_CENTRAL_EUROPEAN = frozenset("áčďéěíňóřšťúůýžÁČĎÉĚÍŇÓŘŠŤÚŮÝŽöőüűÖŐÜŰ")
_GUESS_SAMPLE = 65536
_GUESSES = ("cp1250", "iso-8859-2", "cp1252")

_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,75})\?([bBqQ])\?([^?]*)\?=")
_FOLD = re.compile(r"\r?\n[ \t]*")


def codec_for(label: str | None) -> str | None:
    """The Python codec for a charset label, or None when it is missing, unknown or refused."""
    if not label:
        return None
    cleaned = label.strip().strip("\"'").strip().lower()
    cleaned = _ALIASES.get(cleaned, cleaned)
    if not cleaned or cleaned in _UNKNOWN_8BIT:
        return None
    try:
        info = codecs.lookup(cleaned)
    except (LookupError, ValueError, TypeError):
        return None
    if info.name in _REFUSED or not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def clean_text(text: str) -> str:
    """Text safe to store anywhere: no NUL, no lone surrogates, "\\n" line ends."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def guess_8bit(data: bytes) -> str:
    """The most likely of windows-1250, ISO-8859-2 and windows-1252 for undeclared 8-bit text."""
    sample = data[:_GUESS_SAMPLE]
    best, best_score = _GUESSES[0], -(10**9)
    for codec in _GUESSES:
        decoded = sample.decode(codec, "replace")
        letters = sum(1 for char in decoded if char in _CENTRAL_EUROPEAN)
        # C1 controls and replacement characters mean the guess is wrong.
        bad = sum(1 for char in decoded if char == "\ufffd" or "\x80" <= char <= "\x9f")
        score = letters - 5 * bad
        if score > best_score:
            best, best_score = codec, score
    return best


def _utf8_is_plausible(text: str) -> bool:
    """Decoded leniently as UTF-8: are there more real non-ASCII characters than broken bytes?"""
    broken = text.count("\ufffd")
    if not broken:
        return True
    real = sum(1 for char in text if char > "\x7f" and char != "\ufffd")
    return real > broken


def decode_bytes(data: bytes, declared: str | None) -> tuple[str, list[str]]:
    """Text of a body part: the declared charset when it fits, else a careful guess. Never raises."""
    defects: list[str] = []
    label = (declared or "").strip().strip("\"'").lower()[:40]
    codec = codec_for(label)
    if label and codec is None and label not in _UNKNOWN_8BIT:
        defects.append(f"unknown charset {label!r}")
    if codec is not None:
        try:
            return data.decode(codec), defects
        except (UnicodeError, LookupError, ValueError, TypeError):
            pass
    if codec != "utf-8":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            if codec is not None:
                defects.append(f"text declared as {label} decoded as utf-8")
            return text, defects
    if codec == "utf-8":
        lenient = data.decode("utf-8", "replace")
        if _utf8_is_plausible(lenient):
            defects.append("invalid utf-8 bytes replaced")
            return lenient, defects
    elif codec is not None and codec != "ascii":
        try:
            text = data.decode(codec, "replace")
        except (UnicodeError, LookupError, ValueError, TypeError):
            pass
        else:
            defects.append(f"bytes invalid in {label} replaced")
            return text, defects
    guessed = guess_8bit(data)
    if codec is not None:
        defects.append(f"text declared as {label} decoded as {guessed}")
    else:
        defects.append(f"undeclared 8-bit text decoded as {guessed}")
    return data.decode(guessed, "replace"), defects


def has_surrogates(value: str) -> bool:
    """Does a value from the parser carry raw 8-bit bytes (kept as lone surrogates)?"""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def raw_header_text(value: str) -> str:
    """A raw header value from the parser with any 8-bit bytes decoded and folding undone."""
    if has_surrogates(value):
        value = decode_bytes(value.encode("utf-8", "surrogateescape"), None)[0]
    if "\n" in value:
        value = _FOLD.sub(" ", value)
    return value


def _encoded_word_bytes(encoding: str, payload: str) -> bytes | None:
    try:
        if encoding in "bB":
            cleaned = "".join(payload.split())
            cleaned += "=" * (-len(cleaned) % 4)
            return binascii.a2b_base64(cleaned.encode("ascii", "replace"))
        return binascii.a2b_qp(payload.encode("ascii", "replace"), header=True)
    except (binascii.Error, ValueError):
        return None


def decode_encoded_words(value: str) -> str:
    """RFC 2047 words decoded; adjacent words in one charset are joined as bytes first, so a character
    split across two words (or two folded lines) survives."""
    if "=?" not in value:
        return value
    pieces: list[str] = []
    pending: bytearray | None = None
    pending_charset = ""
    position = 0

    def flush() -> None:
        nonlocal pending
        if pending is not None:
            pieces.append(decode_bytes(bytes(pending), pending_charset)[0])
            pending = None

    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        position = match.end()
        charset = match.group(1).split("*", 1)[0]
        decoded = _encoded_word_bytes(match.group(2), match.group(3))
        if decoded is None:
            flush()
            pieces.append(between + match.group(0))
            continue
        if between and not (pending is not None and between.isspace()):
            flush()
            pieces.append(between)
        if pending is not None and charset.lower() == pending_charset.lower():
            pending += decoded
        else:
            flush()
            pending, pending_charset = bytearray(decoded), charset
    flush()
    pieces.append(value[position:])
    return "".join(pieces)


def header_text(value: str) -> str:
    """A display value of an unstructured header (Subject, a name): decoded, whitespace collapsed."""
    return clean_text(" ".join(decode_encoded_words(raw_header_text(value)).split()))
