"""What a visitor's widget records: visits and pages (for agents' visitor list and proactive
invitations), the offline form, the rating of a chat and its transcript by email; and an agent's
invitation to a visitor."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from linka.core.errors import Forbidden, Invalid, NotFound
from linka.core.ids import public_id
from linka.core.permissions import DepartmentRole, department_role_at_least, require_write
from linka.core.uow import UnitOfWork
from linka.domains.accounts.credentials import workspace_name
from linka.domains.chat import queries
from linka.domains.chat.actions import FIELD_MAX, clean_text, contact_for_visitor, prechat_answers
from linka.domains.chat.constants import LANGUAGES, ChatState, Rating
from linka.domains.chat.errors import NoChat
from linka.domains.chat.events import ChatRated, ChatSignal
from linka.domains.chat.lines import signal
from linka.domains.chat.models import ChatButton, Visitor
from linka.domains.chat.wire import Line
from linka.domains.contacts.actions import EMAIL_RE, normalise_email
from linka.domains.mail import actions as mail
from linka.domains.tickets import thread_actions
from linka.domains.tickets.actions import create_ticket
from linka.domains.tickets.statuses import Channel, Status
from linka.domains.tickets.thread_schemas import GroupKind

# A visitor away longer than this starts a new visit when they come back.
VISIT_GAP = timedelta(minutes=30)
URL_MAX = 2000
TITLE_MAX = 300
COMMENT_MAX = 2000
VISITOR_WORD = {"en": "Visitor", "cs": "Návštěvník", "hu": "Látogató"}
# System lines are stored in English (the agents' thread); the transcript shows them in the visitor's
# language from their event and values, in the widget's words.
SYSTEM_LINES: dict[str, dict[str, str]] = {
    "joined": {
        "en": "{agent} joined the chat.",
        "cs": "{agent} je teď v chatu.",
        "hu": "{agent} csatlakozott a beszélgetéshez.",
    },
    "left": {
        "en": "{agent} left the chat.",
        "cs": "{agent} už v chatu není.",
        "hu": "{agent} kilépett a beszélgetésből.",
    },
    "transferred": {
        "en": "The chat was passed to {department}.",
        "cs": "Chat byl předán oddělení {department}.",
        "hu": "A beszélgetés átkerült ide: {department}.",
    },
    "ended": {"en": "The chat has ended.", "cs": "Chat byl ukončen.", "hu": "A beszélgetés véget ért."},
    "missed": {
        "en": "Nobody could answer right now.",
        "cs": "Teď vám bohužel nikdo nemohl odpovědět.",
        "hu": "Most sajnos senki sem tudott válaszolni.",
    },
}


def _language(value: Any) -> str:
    code = str(value or "").lower()[:2]
    return code if code in LANGUAGES else "en"


def _page(page: Mapping[str, Any] | None) -> tuple[str, str, str]:
    page = page or {}

    def text(key: str, limit: int) -> str:
        value = page.get(key)
        return value[:limit] if isinstance(value, str) else ""

    return text("url", URL_MAX), text("title", TITLE_MAX), text("referrer", URL_MAX)


async def record_visit(
    uow: UnitOfWork,
    *,
    button: ChatButton,
    token: str | None,
    language: str | None,
    page: Mapping[str, Any] | None,
    user_agent: str = "",
) -> Visitor:
    """The widget connected: the visitor its token names (on this button), or a new one. A page view
    is counted; a return after a long absence is a new visit."""
    require_write(uow.actor)
    visitor = await queries.visitor_by_token(uow.session, button.id, token) if token else None
    url, title, referrer = _page(page)
    if visitor is None:
        visitor = Visitor(
            public_id=public_id("vi"),
            token=secrets.token_urlsafe(32),
            button_id=button.id,
            language=_language(language),
            first_seen_at=uow.now,
            last_seen_at=uow.now,
            visit_started_at=uow.now,
            visits=1,
            page_views=0,
            referrer=referrer,
        )
        uow.session.add(visitor)
    elif visitor.last_seen_at + VISIT_GAP < uow.now:
        visitor.visits += 1
        visitor.visit_started_at = uow.now
        visitor.referrer = referrer
    visitor.language = _language(language) if language else visitor.language
    visitor.page_views += 1
    visitor.page_url, visitor.page_title = url, title
    visitor.user_agent = user_agent[:300]
    visitor.last_seen_at = uow.now
    await uow.session.flush()
    return visitor


async def record_page(uow: UnitOfWork, *, visitor_id: int, page: Mapping[str, Any] | None) -> Visitor:
    """The visitor moved to another page without reloading the widget."""
    visitor = await uow.session.get(Visitor, visitor_id)
    if visitor is None:
        raise NotFound("no such visitor")
    url, title, _ = _page(page)
    visitor.page_url, visitor.page_title, visitor.last_seen_at = url, title, uow.now
    visitor.page_views += 1
    return visitor


async def keep_visitors_seen(uow: UnitOfWork, visitor_ids: Sequence[int]) -> None:
    """Widgets still connected (one statement for all of a process's visitors)."""
    if visitor_ids:
        await uow.session.execute(
            update(Visitor).where(Visitor.id.in_(visitor_ids)).values(last_seen_at=uow.now)
        )


async def leave_offline_message(
    uow: UnitOfWork, *, visitor_id: int, fields: Mapping[str, Any], message: Any
) -> str:
    """Nobody is available: the visitor leaves a message; it is a ticket with status new (channel
    chat) answered by email. An email address is required. Returns the ticket's code."""
    require_write(uow.actor)
    visitor = await uow.session.get(Visitor, visitor_id)
    button = await uow.session.get(ChatButton, visitor.button_id) if visitor is not None else None
    if visitor is None or button is None:
        raise Invalid("visitor", "unknown visitor")
    if not button.offline_form:
        raise Invalid("offline", "this chat button takes no offline messages")
    text = clean_text(message, field="message")
    answers = prechat_answers(button, fields, visitor.language)
    if not any("@" in value for _, _, value in answers):
        email = str(fields.get("email") or "").strip()
        if not EMAIL_RE.fullmatch(normalise_email(email)):
            raise Invalid("fields.email", "please give your email address so that we can answer")
        answers.append(("email", "Email", email[:FIELD_MAX]))
    contact_id = await contact_for_visitor(uow, visitor, answers)
    visitor.contact_id = contact_id
    ticket = await create_ticket(
        uow,
        subject=text.split("\n")[0][:80],
        contact_id=contact_id,
        department_id=button.department_id,
        channel=Channel.CHAT,
        language=visitor.language,
        status=Status.NEW,
        contact_found_by_address=True,
    )
    await thread_actions.add_customer_message(
        uow,
        code=ticket.code,
        text=text,
        kind=GroupKind.CHAT,
        form_fields=[(label, value) for _, label, value in answers],
    )
    return ticket.code


async def rate_chat(uow: UnitOfWork, *, visitor_id: int, rating: Any, comment: Any = "") -> None:
    """The visitor's rating of their chat (good / neutral / bad and a comment); a later one replaces it."""
    require_write(uow.actor)
    try:
        value = Rating(rating)
    except ValueError as exc:
        raise Invalid("rating", "must be good, neutral or bad") from exc
    note = comment.strip()[:COMMENT_MAX] if isinstance(comment, str) else ""
    chat = await queries.current_chat_of_visitor(uow.session, visitor_id, uow.now)
    if chat is None:
        raise NoChat("chat", "no chat to rate")
    chat.rating, chat.rating_comment, chat.rated_at = value.value, note, uow.now
    uow.history("chat", chat.id, "rated", after={"rating": value.value, "comment": note})
    uow.record(ChatRated(chat_id=chat.id, ticket_id=chat.ticket_id, rating=value.value))
    signal(
        uow,
        chat,
        agents=await queries.participant_ids(uow.session, chat.id, present_only=False),
        agent_frame={"type": "chat_rated", "chat": chat.public_id, "rating": value.value, "comment": note},
    )


async def mail_transcript(uow: UnitOfWork, *, visitor_id: int, email: Any) -> None:
    """Queue the chat's transcript to the address the visitor gives (in their language)."""
    require_write(uow.actor)
    address = normalise_email(email if isinstance(email, str) else "")
    if not EMAIL_RE.fullmatch(address) or len(address) > 254:
        raise Invalid("email", "please give a valid email address")
    chat = await queries.current_chat_of_visitor(uow.session, visitor_id, uow.now)
    if chat is None:
        raise NoChat("chat", "no chat to send")
    visitor_name = await queries.contact_name(uow.session, chat.contact_id)
    who_visitor = visitor_name or VISITOR_WORD.get(chat.language, "Visitor")
    lines = [
        {
            "time": line.at.strftime("%H:%M"),
            "who": line.name or who_visitor if line.author != "system" else "—",
            "text": _system_text(line, chat.language) if line.kind == "system" else line.text,
        }
        for line in await queries.lines(uow.session, chat, limit=5000)
        if line.kind in ("text", "file", "system")
    ]
    chat.transcript_to = address
    await mail.queue_system_mail(
        uow,
        kind="chat_transcript",
        to_address=address,
        to_name=visitor_name,
        language=chat.language,
        template="chat_transcript",
        context={
            "name": visitor_name,
            "code": await queries.ticket_code(uow.session, chat.ticket_id),
            "started": chat.started_at.strftime("%Y-%m-%d %H:%M"),
            "lines": lines,
            "workspace": await workspace_name(uow.session),
        },
    )


def _system_text(line: Line, language: str) -> str:
    meta = line.meta or {}
    template = SYSTEM_LINES.get(str(meta.get("event")), {}).get(language)
    try:
        return template.format_map(meta) if template else line.text
    except (KeyError, IndexError, ValueError):
        return line.text


async def invite_visitor(uow: UnitOfWork, *, visitor_public_id: str, text: Any) -> None:
    """An agent invites a visitor on the site to chat: the widget opens with the agent's words."""
    require_write(uow.actor)
    if uow.actor.agent_id is None:
        raise Forbidden("only an agent invites visitors")
    body = clean_text(text)
    visitor = await queries.online_visitor(uow.session, visitor_public_id, uow.now)
    button = await uow.session.get(ChatButton, visitor.button_id) if visitor is not None else None
    if (
        visitor is None
        or button is None
        or not department_role_at_least(uow.actor, button.department_id, DepartmentRole.READER)
    ):
        raise NotFound("no such visitor on the site")
    if not department_role_at_least(uow.actor, button.department_id, DepartmentRole.SOLVER):
        raise Forbidden("you do not take chats of this button's department")
    running = await queries.current_chat_of_visitor(uow.session, visitor.id, uow.now)
    if running is not None and running.state in (ChatState.QUEUED.value, ChatState.ACTIVE.value):
        raise Invalid("visitor", "this visitor is already chatting")
    visitor.invited_at = uow.now
    uow.history("chat_visitor", visitor.id, "invited", after={"text": body})
    uow.record(
        ChatSignal(
            chat="",
            visitor_id=visitor.id,
            visitor_frame={"type": "invitation", "text": body, "agent": {"name": uow.actor.name}},
        )
    )


async def mark_invited(uow: UnitOfWork, *, visitor_id: int) -> None:
    """A rule invited the visitor (once per visit)."""
    await uow.session.execute(update(Visitor).where(Visitor.id == visitor_id).values(invited_at=uow.now))
