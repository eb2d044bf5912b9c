"""Random MIME structures — nesting, charsets with wrong labels, broken transfer encodings, header
garbage, truncation — either parse into clean text fields or raise MailParseError; never anything
else. A message whose From line survived must always parse."""

from __future__ import annotations

import base64
import quopri
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linka.domains.mail.parsing import MailParseError, ParsedMail, parse_mail

FROM_LINE = b"From: Sender <sender@example.com>\r\n"
CHARSETS = [
    "utf-8",
    "iso-8859-2",
    "windows-1250",
    "iso-2022-jp",
    "koi8-r",
    "us-ascii",
    "utf-16",
    "utf-7",
    "win-1250",
    "unknown-8bit",
    "bogus-charset",
    "rot13",
    "zlib",
    "undefined",
    "",
]
ENCODINGS = ["7bit", "8bit", "binary", "quoted-printable", "base64", "broken-base64", "x-unknown"]
LEAF_TYPES = [
    "text/plain",
    "text/html",
    "text/calendar",
    "image/png",
    "image/svg+xml",
    "application/octet-stream",
    "message/rfc822",
    "message/delivery-status",
    "text/rfc822-headers",
]
MULTIPART_TYPES = ["mixed", "alternative", "related", "report", "signed", "digest"]


@dataclass
class Leaf:
    content_type: str
    charset: str
    written_in: str  # the codec the text is really in: a wrong label is the point
    encoding: str
    text: str
    filename: str | None
    disposition: str | None
    content_id: str | None


@dataclass
class Multi:
    subtype: str
    parts: list[Leaf | Multi]
    declare_boundary: bool
    close: bool


leaves = st.builds(
    Leaf,
    content_type=st.sampled_from(LEAF_TYPES),
    charset=st.sampled_from(CHARSETS),
    written_in=st.sampled_from(["utf-8", "cp1250", "iso-8859-2", "koi8-r", "latin-1"]),
    encoding=st.sampled_from(ENCODINGS),
    text=st.text(max_size=200)
    | st.sampled_from(["Příliš žluťoučký kůň", "Árvíztűrő tükörfúrógép", "<script>x</script>"]),
    filename=st.none() | st.text(max_size=40),
    disposition=st.sampled_from(
        [None, "inline", "attachment", "attachment; filename*=utf-8''%C5%BE.txt", ";;;"]
    ),
    content_id=st.none() | st.text(alphabet="abc@.<>x ", max_size=12),
)
trees = st.recursive(
    leaves,
    lambda children: st.builds(
        Multi,
        subtype=st.sampled_from(MULTIPART_TYPES),
        parts=st.lists(children, max_size=4),
        declare_boundary=st.booleans(),
        close=st.booleans(),
    ),
    max_leaves=12,
)
header_garbage = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "Subject",
                "To",
                "Cc",
                "Date",
                "Message-ID",
                "References",
                "X-Junk",
                "Content-Language",
                "Reply-To",
            ]
        ),
        st.binary(max_size=60).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
    ),
    max_size=6,
)


def _encode_body(leaf: Leaf) -> bytes:
    data = leaf.text.encode(leaf.written_in, "replace")
    if leaf.content_type == "message/rfc822":
        data = b"From: Inner <inner@example.com>\r\nSubject: inner\r\n\r\n" + data
    if leaf.encoding in ("base64", "broken-base64"):
        encoded = base64.encodebytes(data)
        return encoded[: max(0, len(encoded) - 3)] + b"!*" if leaf.encoding == "broken-base64" else encoded
    if leaf.encoding == "quoted-printable":
        return quopri.encodestring(data)
    return data


def _render(node: Leaf | Multi, counter: list[int]) -> bytes:
    if isinstance(node, Leaf):
        header = f'Content-Type: {node.content_type}; charset="{node.charset}"'
        if node.filename is not None:
            header += f'; name="{node.filename}"'
        lines = [
            header.encode("utf-8", "surrogateescape"),
            f"Content-Transfer-Encoding: {node.encoding}".encode(),
        ]
        if node.disposition:
            lines.append(f"Content-Disposition: {node.disposition}".encode())
        if node.content_id is not None:
            lines.append(f"Content-ID: <{node.content_id}>".encode())
        return b"\r\n".join(lines) + b"\r\n\r\n" + _encode_body(node)
    counter[0] += 1
    boundary = f"b{counter[0]}=_x"
    declared = f'; boundary="{boundary}"' if node.declare_boundary else ""
    out = [f"Content-Type: multipart/{node.subtype}{declared}\r\n\r\npreamble\r\n".encode()]
    for part in node.parts:
        out.append(f"--{boundary}\r\n".encode() + _render(part, counter) + b"\r\n")
    if node.close:
        out.append(f"--{boundary}--\r\nepilogue\r\n".encode())
    return b"".join(out)


def _assert_well_formed(mail: ParsedMail, *, whole_from_line: bool) -> None:
    for value in (
        mail.subject,
        mail.from_name,
        mail.text,
        mail.quoted,
        mail.search_text,
        mail.html or "",
        mail.quoted_html or "",
    ):
        assert isinstance(value, str)
        assert "\x00" not in value
        value.encode("utf-8")
    if whole_from_line:
        assert mail.from_address == "sender@example.com"
    for address in (*mail.to, *mail.cc, *mail.delivered_to):
        assert "@" in address
        assert address == address.lower()
    for name in mail.defects:
        assert isinstance(name, str)
        assert name
    for attachment in mail.attachments:
        assert isinstance(attachment.data, bytes)
        assert attachment.filename
        assert len(attachment.filename) <= 255
        assert "/" not in attachment.filename
        assert "\x00" not in attachment.filename
        attachment.filename.encode("utf-8")
        assert attachment.mime_type == attachment.mime_type.lower()
        assert not attachment.inline or attachment.mime_type.startswith("image/")
    if mail.html is not None:
        assert "<script" not in mail.html.lower()


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(tree=trees, garbage=header_garbage, cut=st.none() | st.integers(min_value=0, max_value=5000))
def test_random_mime_never_crashes(
    tree: Leaf | Multi, garbage: list[tuple[str, bytes]], cut: int | None
) -> None:
    headers = FROM_LINE + b"".join(name.encode() + b": " + value + b"\r\n" for name, value in garbage)
    message = headers + b"MIME-Version: 1.0\r\n" + _render(tree, [0])
    if cut is not None:
        message = message[:cut]
    try:
        mail = parse_mail(message)
    except MailParseError as error:
        failure: MailParseError | None = error
    else:
        failure = None
    if failure is not None:
        assert "internal error" not in failure.reason
        assert len(message) < len(FROM_LINE), f"a message with its From line must parse: {failure.reason}"
        return
    _assert_well_formed(mail, whole_from_line=len(message) >= len(FROM_LINE))


@settings(max_examples=100, deadline=None, database=None, derandomize=True)
@given(data=st.binary(max_size=3000))
def test_random_bytes_never_crash(data: bytes) -> None:
    try:
        mail = parse_mail(data)
    except MailParseError as error:
        reason: str | None = error.reason
    else:
        reason = None
    if reason is not None:
        assert "internal error" not in reason
        return
    mail.text.encode("utf-8")
    assert "\x00" not in mail.text
