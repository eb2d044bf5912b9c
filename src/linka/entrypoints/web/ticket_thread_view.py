"""How the ticket page shows a thread: each message group as the agent reads it.

The HTML shown is only ever the `html` part the domain stored sanitised (thread_actions.sanitise_html,
after mail/htmlbody.py for received mail); everything else is text the template escapes. Inline images
(`cid:`) point at their attachment; remote images stay held back (`data-remote-src`) until the agent
asks for them on one message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markupsafe import Markup

from linka.core.i18n import N_
from linka.domains.chat.wire import Line
from linka.domains.tickets.thread_schemas import (
    CUSTOMER_KINDS,
    SYSTEM_LINE_KINDS,
    AttachmentOut,
    GroupKind,
    GroupOut,
    MessageKind,
)

ATTACHMENT_URL = "/api/v1/attachments/{id}"
ORIGINAL_URL = "/api/v1/tickets/{code}/thread/{group}/original"
_CID_SRC = re.compile(r'src="cid:([^"]{1,300})"', re.IGNORECASE)
_HELD_BACK = ' data-remote-src="'
# Groups that cannot be split off into a ticket of their own (merge_actions.split_ticket says so too).
_NOT_SPLITTABLE = frozenset(kind.value for kind in SYSTEM_LINE_KINDS)
EMAIL_KINDS = frozenset({GroupKind.INCOMING_EMAIL.value, GroupKind.OUTGOING_EMAIL.value})
# What a group is called above its author (English source; the template translates it).
KIND_LABELS = {
    GroupKind.INCOMING_EMAIL.value: N_("Email"),
    GroupKind.OUTGOING_EMAIL.value: N_("Reply"),
    GroupKind.CHAT.value: N_("Chat"),
    GroupKind.CALL.value: N_("Call"),
    GroupKind.INTERNAL_NOTE.value: N_("Internal note"),
    GroupKind.FORWARD.value: N_("Forwarded"),
    GroupKind.FORWARD_REPLY.value: N_("Reply to a forward"),
}


@dataclass
class GroupView:
    """One message group of the thread, ready for templates/ticket/_group.html."""

    group: GroupOut
    css: str  # customer, agent, note, forward, system
    label: str
    text: str = ""
    html: Markup | None = None
    quoted: str = ""
    form_fields: list[tuple[str, str]] = field(default_factory=list)
    files: list[AttachmentOut] = field(default_factory=list)
    held_back_images: bool = False
    original_url: str | None = None
    splittable: bool = False
    forwardable: bool = False
    # A chat group's lines with their authors and times (ticket_page.thread_of adds them).
    chat_lines: list[Line] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.group.id

    @property
    def is_email(self) -> bool:
        return self.group.kind in EMAIL_KINDS or self.group.kind == GroupKind.FORWARD.value

    @property
    def system_text(self) -> str:
        return self.text


def attachment_url(attachment: AttachmentOut, *, download: bool = False) -> str:
    url = ATTACHMENT_URL.format(id=attachment.id)
    return f"{url}?download=true" if download else url


def _content_id(value: str) -> str:
    return value.strip().strip("<>").lower()


def _css(group: GroupOut) -> str:
    kind = group.kind
    if kind in {k.value for k in CUSTOMER_KINDS}:
        return "customer"
    if kind == GroupKind.INTERNAL_NOTE.value:
        return "note"
    if kind == GroupKind.FORWARD.value:
        return "forward"
    if kind == GroupKind.OUTGOING_EMAIL.value:
        return "agent"
    return "system"


def show_html(markup: str, files: list[AttachmentOut], *, load_images: bool) -> tuple[Markup, bool, set[str]]:
    """The stored, sanitised HTML with inline images pointing at their attachments and remote images
    loaded or held back. Returns (markup, whether remote images are held back, attachment ids shown
    inline). Only attribute names and our own URLs change: nothing of the mail is unescaped."""
    by_cid = {_content_id(file.content_id): file for file in files if file.content_id}
    inline: set[str] = set()

    def to_attachment(match: re.Match[str]) -> str:
        found = by_cid.get(_content_id(match.group(1)))
        if found is None:
            return 'src=""'
        inline.add(found.id)
        return f'src="{attachment_url(found)}"'

    shown = _CID_SRC.sub(to_attachment, markup)
    held = _HELD_BACK in shown
    if held and load_images:
        shown, held = shown.replace(_HELD_BACK, ' src="'), False
    return Markup(shown), held, inline  # noqa: S704 - sanitised by the domain before it was stored


def group_view(code: str, group: GroupOut, *, load_images: bool = False) -> GroupView:
    css = _css(group)
    view = GroupView(group=group, css=css, label=KIND_LABELS.get(group.kind, ""))
    texts: list[str] = []
    quoted: list[str] = []
    files = [m.attachment for m in group.messages if m.attachment is not None]
    inline: set[str] = set()
    for message in group.messages:
        if message.kind == MessageKind.HTML.value and view.html is None:
            view.html, view.held_back_images, inline = show_html(message.body, files, load_images=load_images)
        elif message.kind in (MessageKind.TEXT.value, MessageKind.SYSTEM.value) and message.body:
            texts.append(message.body)
        elif message.kind == MessageKind.QUOTED.value and message.body:
            quoted.append(message.body)
        elif message.kind == MessageKind.FORM_FIELD.value:
            view.form_fields.append((message.field_name or "", message.body))
    view.text = "\n\n".join(texts)
    view.quoted = "\n\n".join(quoted)
    view.files = [file for file in files if file.id not in inline]
    if (
        group.kind in (GroupKind.INCOMING_EMAIL.value, GroupKind.FORWARD_REPLY.value)
        and group.origin == "mail"
    ):
        view.original_url = ORIGINAL_URL.format(code=code, group=group.id)
    view.splittable = group.kind not in _NOT_SPLITTABLE
    view.forwardable = not group.is_internal and group.kind not in _NOT_SPLITTABLE
    return view


def thread_views(code: str, groups: list[GroupOut]) -> list[GroupView]:
    return [group_view(code, group) for group in groups]
