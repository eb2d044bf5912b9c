"""HTML of a mail made safe to show an agent, and turned into plain text for search.

Sanitising keeps formatting, tables, links and inline (`cid:`) images and removes scripts, styles
sheets, event handlers, `javascript:` links and classes. Remote images are never loaded by default:
their address moves to `data-remote-src`, so the browser shows nothing until the agent asks, and 1x1
tracking pixels are dropped altogether."""

from __future__ import annotations

import html as html_escaping
import re
from urllib.parse import unquote

import lxml.html
import nh3
from inscriptis import get_text
from inscriptis.model.config import ParserConfig
from lxml import etree

from linka.domains.mail.charsets import clean_text

_TAGS = (set(nh3.ALLOWED_TAGS) | {"font", "tt"}) - {"map", "area"}
_CLEANED_WITH_CONTENT = {
    "script",
    "style",
    "title",
    "noscript",
    "template",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "svg",
    "math",
    "select",
    "textarea",
    "canvas",
    "audio",
    "video",
    "head",
}
_TABLE_CELL = {"colspan", "rowspan", "width", "height", "valign", "align", "bgcolor", "headers", "scope"}
_ATTRIBUTES = {
    "*": {"style", "title", "lang", "dir", "align"},
    "a": {"href", "hreflang", "name"},
    "img": {"src", "alt", "width", "height", "data-remote-src"},
    "table": {"width", "border", "cellpadding", "cellspacing", "bgcolor", "summary"},
    "td": _TABLE_CELL,
    "th": _TABLE_CELL,
    "tr": {"valign", "bgcolor"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "font": {"color", "face", "size"},
    "ol": {"start", "type", "reversed"},
    "ul": {"type"},
    "li": {"value"},
    "hr": {"width", "size"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"datetime"},
    "ins": {"datetime"},
    "time": {"datetime"},
    "data": {"value"},
    "bdo": {"dir"},
}
# Only properties that cannot load anything: no background images, no positioning over the page.
_STYLE_PROPERTIES = {
    "color",
    "background-color",
    "font",
    "font-family",
    "font-size",
    "font-style",
    "font-weight",
    "font-variant",
    "text-align",
    "text-decoration",
    "text-indent",
    "text-transform",
    "line-height",
    "letter-spacing",
    "white-space",
    "vertical-align",
    "direction",
    "width",
    "height",
    "max-width",
    "min-width",
    "margin",
    "margin-top",
    "margin-bottom",
    "margin-left",
    "margin-right",
    "padding",
    "padding-top",
    "padding-bottom",
    "padding-left",
    "padding-right",
    "border",
    "border-top",
    "border-bottom",
    "border-left",
    "border-right",
    "border-color",
    "border-style",
    "border-width",
    "border-collapse",
    "border-spacing",
    "list-style-type",
}
_SAFE_DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg|jpg|gif|webp|bmp);base64,", re.IGNORECASE)
_STYLE_PX = re.compile(r"(?:^|;)\s*(width|height)\s*:\s*(\d{1,6})(?:\.\d+)?\s*px", re.IGNORECASE)
_BLANK_LINES = re.compile(r"\n{3,}")


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        lowered = value.strip().lower()
        if lowered.startswith("cid:") or _SAFE_DATA_IMAGE.match(lowered):
            return value
        return None
    if attribute == "data-remote-src":
        return value if value.strip().lower().startswith(("http://", "https://")) else None
    if attribute in {"href", "cite"} and value.strip().lower().startswith("data:"):
        return None
    return value


_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags=_CLEANED_WITH_CONTENT,
    attributes=_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    url_schemes={"http", "https", "mailto", "tel", "cid", "data"},
    filter_style_properties=_STYLE_PROPERTIES,
    url_relative="deny",
    link_rel="noopener noreferrer",
)


def html_root(html: str) -> lxml.html.HtmlElement | None:
    """The parsed document, or None when there is nothing to parse."""
    html = html.replace("\x00", "")
    if not html.strip():
        return None
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(html.encode("utf-8", "replace"), parser=parser)
    except (etree.ParserError, ValueError):
        return None
    return root


def html_body(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    body = root.find("body")
    return body if body is not None else root


def inner_html(element: lxml.html.HtmlElement) -> str:
    """The markup inside an element (its own tag left out)."""
    parts = [html_escaping.escape(element.text or "", quote=False)]
    parts.extend(lxml.html.tostring(child, encoding="unicode") for child in element)
    return "".join(parts)


def _is_remote(src: str) -> bool:
    return src.strip().lower().startswith(("http://", "https://", "//"))


def _pixels(value: str | None) -> int | None:
    if value is None:
        return None
    digits = value.strip().lower().removesuffix("px").strip()
    return int(digits) if digits.isdigit() and len(digits) < 7 else None


def _is_tracking_pixel(img: lxml.html.HtmlElement) -> bool:
    style = (img.get("style") or "").lower()
    if "display:none" in style.replace(" ", "") or "visibility:hidden" in style.replace(" ", ""):
        return True
    sizes = [_pixels(img.get("width")), _pixels(img.get("height"))]
    sizes.extend(int(match.group(2)) for match in _STYLE_PX.finditer(style))
    return any(size is not None and size <= 1 for size in sizes)


def hold_back_remote_images(body: lxml.html.HtmlElement) -> None:
    """Move remote image addresses to `data-remote-src`; drop tracking pixels."""
    for img in list(body.iter("img")):
        src = img.get("src")
        if src is None or not _is_remote(src):
            continue
        if _is_tracking_pixel(img):
            img.drop_tree()
            continue
        address = src.strip()
        img.set("data-remote-src", "https:" + address if address.startswith("//") else address)
        del img.attrib["src"]
        img.attrib.pop("srcset", None)


def sanitise_mail_html(html: str) -> str:
    """HTML safe to put into an agent's page (see the module docstring)."""
    root = html_root(html)
    if root is None:
        return ""
    body = html_body(root)
    hold_back_remote_images(body)
    return clean_fragment(inner_html(body))


def clean_fragment(markup: str) -> str:
    """The nh3 pass of sanitising, for markup whose remote images were already held back."""
    return clean_text(_CLEANER.clean(markup)).strip()


def _tidy_text(text: str) -> str:
    lines = [line.rstrip() for line in clean_text(text).split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML body (inscriptis keeps tables and lists legible)."""
    if not html.strip():
        return ""
    try:
        text = get_text(html, ParserConfig(display_links=False))
    except Exception:  # inscriptis is third-party code fed hostile input: fall back to bare text
        root = html_root(html)
        text = html_body(root).text_content() if root is not None else ""
    return _tidy_text(text)


_CID = re.compile(r"cid:([^\"'\s>)]{1,300})", re.IGNORECASE)


def cid_references(html: str) -> set[str]:
    """Content-IDs an HTML body refers to (lower-case, without angle brackets)."""
    return {unquote(match.group(1)).strip("<>").lower() for match in _CID.finditer(html)}
