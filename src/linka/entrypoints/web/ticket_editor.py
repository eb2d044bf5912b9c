"""The reply editor's state: mode, addresses prefilled as the API prefills them, the agent's draft
restored, the files attached, the last thread group the agent saw (for the collision warning).

The editor is plain text; the domain takes HTML, so text becomes escaped paragraphs on the way in and
stored HTML (a draft, an answer) becomes text on the way out.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.errors import Invalid
from linka.core.permissions import Actor
from linka.domains.answers import queries as answers_queries
from linka.domains.answers.models import Answer
from linka.domains.answers.schemas import AnswerKind
from linka.domains.mail.htmlbody import html_to_text
from linka.domains.tickets import draft_queries, queries, thread_queries, view_queries
from linka.domains.tickets.draft_models import TicketDraft
from linka.domains.tickets.draft_queries import Drafter
from linka.domains.tickets.draft_schemas import DraftKind
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.schemas import TicketOut
from linka.domains.tickets.thread_schemas import AttachmentOut
from linka.entrypoints.web.ticket_thread_view import GroupView

MODES = ("reply", "reply_all", "note", "forward")
KIND_OF_MODE = {"reply": DraftKind.REPLY, "reply_all": DraftKind.REPLY, "note": DraftKind.NOTE}
PREDEFINED_CHOICES = 50
_PARAGRAPHS = re.compile(r"\n[ \t]*\n+")
_ADDRESS_SEPARATORS = re.compile(r"[,;\s]+")


def text_to_html(text: str) -> str:
    """Plain text as HTML: blank lines part paragraphs, line breaks stay; everything escaped."""
    paragraphs = [part.strip("\n") for part in _PARAGRAPHS.split(text.replace("\r\n", "\n").strip())]
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in part.split("\n")) + "</p>"
        for part in paragraphs
        if part.strip()
    )


def html_as_text(markup: str) -> str:
    return html_to_text(markup) if markup.strip() else ""


def addresses(value: str) -> list[str]:
    """Addresses typed into one field, separated by commas, semicolons or spaces."""
    return [part for part in _ADDRESS_SEPARATORS.split(value.strip()) if part]


def mode_of(value: str | None, default: str = "reply") -> str:
    return value if value in MODES else default


@dataclass
class EditorState:
    code: str
    mode: str
    to: str = ""
    cc: str = ""
    subject: str = ""
    text: str = ""
    attachments: list[AttachmentOut] = field(default_factory=list)
    seen: str = ""
    group_id: str = ""
    has_email: bool = True
    reply_to: str = ""
    reply_all_cc: str = ""
    ticket_subject: str = ""
    others_drafting: list[Drafter] = field(default_factory=list)
    predefined: list[Answer] = field(default_factory=list)
    has_draft: bool = False
    errors: dict[str, str] = field(default_factory=dict)
    error: str = ""
    newer: list[GroupView] = field(default_factory=list)
    focus: bool = False

    @property
    def is_email(self) -> bool:
        return self.mode in ("reply", "reply_all")

    @property
    def draft_kind(self) -> str:
        return KIND_OF_MODE.get(self.mode, DraftKind.FORWARD).value

    @property
    def attachment_ids(self) -> list[str]:
        return [attachment.id for attachment in self.attachments]


def prefill(state: EditorState, out: TicketOut) -> None:
    """To and Cc as the API's reply fills them: the contact's primary address, and for reply-all the
    ticket's CC contacts."""
    state.reply_to = out.contact.email or ""
    state.reply_all_cc = ", ".join(contact.email for contact in out.cc if contact.email)
    state.has_email = bool(state.reply_to)
    state.ticket_subject = out.subject


def apply_mode(state: EditorState, mode: str) -> None:
    """Switch the mode, keeping what was typed; addresses follow the mode unless the agent changed them."""
    previous_to = {state.reply_to, ""}
    previous_cc = {state.reply_all_cc, ""}
    state.mode = mode
    if mode in ("reply", "reply_all"):
        if state.to in previous_to:
            state.to = state.reply_to
        if state.cc in previous_cc:
            state.cc = state.reply_all_cc if mode == "reply_all" else ""
    elif mode == "forward":
        if state.to == state.reply_to:
            state.to = ""
        state.cc = ""


async def attachments_named(session: AsyncSession, ticket_id: int, ids: Sequence[str]) -> list[AttachmentOut]:
    """The ticket's uploads named (when one is gone — merged away, purged — none are kept)."""
    wanted = [value for value in dict.fromkeys(ids) if value][:50]
    try:
        found = await thread_queries.attachments_of_ticket(session, ticket_id, wanted)
    except Invalid:
        found = []
    return [thread_queries.attachment_out(attachment) for attachment in found]


def restore_draft(state: EditorState, draft: TicketDraft) -> None:
    kind = draft.kind
    state.has_draft = True
    state.text = html_as_text(draft.body_html)
    state.subject = draft.subject or state.subject
    if kind == DraftKind.NOTE.value:
        state.mode = "note"
    elif kind == DraftKind.FORWARD.value:
        state.mode = "forward"
        state.to = ", ".join(draft.to_addresses or [])
    else:
        state.to = ", ".join(draft.to_addresses or []) or state.reply_to
        state.cc = ", ".join(draft.cc_addresses or [])
        state.mode = "reply_all" if state.cc else "reply"


async def load_editor(
    session: AsyncSession,
    actor: Actor,
    ticket: Ticket,
    out: TicketOut,
    *,
    mode: str | None = None,
    form: dict[str, Any] | None = None,
) -> EditorState:
    """The editor of a ticket the caller has checked the actor may see: from the submitted `form` when
    given (a re-render), else from the agent's draft, else empty in `mode`."""
    state = EditorState(code=ticket.code, mode="reply")
    prefill(state, out)
    state.subject = out.subject
    state.to = state.reply_to
    if not state.has_email:
        state.mode = "note"
    if form is not None:
        state.mode = mode_of(form.get("mode"), state.mode)
        state.to = form.get("to", "")
        state.cc = form.get("cc", "")
        state.subject = form.get("subject", "") or out.subject
        state.text = form.get("text", "")
        state.seen = form.get("seen", "")
        state.group_id = form.get("group_id", "")
        state.attachments = await attachments_named(session, ticket.id, form.get("attachment_ids", []))
    else:
        draft = None
        if actor.agent_id is not None:
            draft = await draft_queries.draft_of_ticket(session, ticket.id, actor.agent_id)
        if draft is not None:
            restore_draft(state, draft)
            if draft.attachment_ids:
                state.attachments = await attachments_named(session, ticket.id, draft.attachment_ids)
        state.seen = await thread_queries.latest_group_id(session, ticket.id) or ""
        if mode is not None:
            apply_mode(state, mode_of(mode))
    state.others_drafting = await draft_queries.agents_drafting(
        session, ticket.id, except_agent_id=actor.agent_id
    )
    answers = await answers_queries.usable_answers(
        session,
        actor,
        kind=AnswerKind.PREDEFINED.value,
        department_id=ticket.department_id,
        limit=PREDEFINED_CHOICES,
    )
    state.predefined = answers.items
    return state


async def editor_for(
    session: AsyncSession,
    actor: Actor,
    code: str,
    *,
    mode: str | None = None,
    form: dict[str, Any] | None = None,
) -> EditorState:
    """The editor of a ticket by code (404 when the actor may not see it)."""
    ticket = await queries.visible_ticket(session, actor, code)
    out = await view_queries.ticket_out(session, ticket)
    return await load_editor(session, actor, ticket, out, mode=mode, form=form)
