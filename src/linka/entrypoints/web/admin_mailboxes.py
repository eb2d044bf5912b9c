"""Admin: mailboxes. The list with each one's health (last fetch, the last error, the backoff before
the next poll, dead letters and undelivered mail), adding and changing one (addresses, department,
SMTP and IMAP, acknowledgements), deleting it and fetching older mail once (backfill). Passwords are
write-only: a page never holds one; leaving the field empty keeps the stored password. The same actions
and queries as `api/mailboxes.py`."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import PathParameter
from litestar.response import Template

from linka.core import clock
from linka.core.errors import Invalid
from linka.core.i18n import LANGUAGES, N_, zone
from linka.core.pagination import MAX_LIMIT
from linka.core.permissions import Actor
from linka.domains.accounts import queries as accounts_queries
from linka.domains.mail import mailbox_actions, queries
from linka.domains.mail.schemas import MailboxCreateIn, MailboxOut, MailboxUpdateIn
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.web.admin_common import (
    PAGE_SIZE,
    Cursor,
    FormData,
    admin_page,
    checked,
    done_url,
    page_url,
    ticked,
)
from linka.entrypoints.web.auth import WebActor
from linka.entrypoints.web.errors import redirect
from linka.entrypoints.web.navigation import require_admin_section

SECTION = "mailboxes"
MailboxPath = Annotated[str, PathParameter(max_length=24)]

HEALTH_LABELS: dict[str, str] = {
    "ok": N_("Working"),
    "failing": N_("Failing"),
    "idle": N_("Not fetched yet"),
    "inactive": N_("Switched off"),
}
TEXT_FIELDS = (
    "name",
    "address",
    "aliases",
    "department_id",
    "sender_name",
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "smtp_username",
    "imap_host",
    "imap_port",
    "imap_security",
    "imap_username",
    "imap_folder",
    "imap_poll_seconds",
    "imap_after_import",
    "imap_move_folder",
    "flood_limit_per_hour",
    *(f"ack_{language}_{part}" for language in LANGUAGES for part in ("subject", "text")),
)
FLAGS = ("is_active", "is_default", "imap_enabled", "auto_ack_enabled")


@get("/admin/mailboxes")
async def mailboxes_page(request: Request[Any, Any, Any], actor: WebActor, cursor: Cursor = None) -> Template:
    require_admin_section(actor, SECTION)
    async with runtime_of(request).db.read_session() as session:
        mailboxes = await queries.list_mailboxes(session, actor, cursor=cursor, limit=PAGE_SIZE)
        departments = await accounts_queries.list_departments(session, actor, limit=MAX_LIMIT)
    next_url = page_url("/admin/mailboxes", cursor=mailboxes.next_cursor) if mailboxes.next_cursor else ""
    return admin_page(
        request,
        "admin/mailboxes.html",
        {
            "mailboxes": mailboxes.items,
            "department_names": {d.id: d.name for d in departments.items},
            "health_labels": HEALTH_LABELS,
            "next_url": next_url,
            "mail_tab": "mailboxes",
        },
        actor=actor,
        section=SECTION,
    )


def _values_of(mailbox: MailboxOut) -> dict[str, Any]:
    """A mailbox as its form shows it: every setting but the passwords."""
    values: dict[str, Any] = {
        "name": mailbox.name,
        "address": mailbox.address,
        "aliases": "\n".join(mailbox.aliases),
        "department_id": mailbox.department_id,
        "sender_name": mailbox.sender_name,
        "is_active": mailbox.is_active,
        "is_default": mailbox.is_default,
        "auto_ack_enabled": mailbox.auto_ack_enabled,
        "flood_limit_per_hour": mailbox.flood_limit_per_hour,
        "smtp_password_set": bool(mailbox.smtp and mailbox.smtp.password_set),
        "imap_password_set": bool(mailbox.imap and mailbox.imap.password_set),
        "imap_enabled": mailbox.imap is not None,
    }
    if mailbox.smtp is not None:
        values.update(
            smtp_host=mailbox.smtp.host,
            smtp_port=mailbox.smtp.port,
            smtp_security=mailbox.smtp.security,
            smtp_username=mailbox.smtp.username,
        )
    if mailbox.imap is not None:
        values.update(
            imap_host=mailbox.imap.host,
            imap_port=mailbox.imap.port,
            imap_security=mailbox.imap.security,
            imap_username=mailbox.imap.username,
            imap_folder=mailbox.imap.folder,
            imap_poll_seconds=mailbox.imap.poll_seconds,
            imap_after_import=mailbox.imap.after_import,
            imap_move_folder=mailbox.imap.move_folder,
        )
    for language, template in mailbox.ack_templates.items():
        values[f"ack_{language}_subject"], values[f"ack_{language}_text"] = template.subject, template.text
    return values


NEW_MAILBOX: dict[str, Any] = {
    "smtp_port": 587,
    "smtp_security": "starttls",
    "imap_port": 993,
    "imap_security": "tls",
    "imap_folder": "INBOX",
    "imap_poll_seconds": 60,
    "imap_after_import": "seen",
    "flood_limit_per_hour": 40,
    "is_active": True,
}


def _submitted(data: dict[str, str]) -> dict[str, Any]:
    """What the form sent, to show again after a refusal (never the passwords)."""
    values: dict[str, Any] = {name: data.get(name, "").strip() for name in TEXT_FIELDS}
    values.update({flag: ticked(data, flag) for flag in FLAGS})
    return values


def _body(values: dict[str, Any], data: dict[str, str], *, creating: bool) -> dict[str, Any]:
    """The API's request body from the form: SMTP without a host is none, IMAP only when switched on,
    a password only when one was typed (otherwise the stored one stays)."""
    body: dict[str, Any] = {
        "name": values["name"],
        "address": values["address"],
        "department_id": values["department_id"],
        "aliases": [line.strip() for line in values["aliases"].splitlines() if line.strip()],
        "sender_name": values["sender_name"],
        "is_default": values["is_default"],
        "auto_ack_enabled": values["auto_ack_enabled"],
        "flood_limit_per_hour": values["flood_limit_per_hour"] or "40",
        "smtp": None,
        "imap": None,
        "ack_templates": {
            language: {"subject": values[f"ack_{language}_subject"], "text": values[f"ack_{language}_text"]}
            for language in LANGUAGES
            if values[f"ack_{language}_subject"] or values[f"ack_{language}_text"]
        },
    }
    if not creating:
        body["is_active"] = values["is_active"]
    if values["smtp_host"]:
        body["smtp"] = {
            "host": values["smtp_host"],
            "port": values["smtp_port"] or "587",
            "security": values["smtp_security"] or "starttls",
            "username": values["smtp_username"],
        }
        if data.get("smtp_password"):
            body["smtp"]["password"] = data["smtp_password"]
    if values["imap_enabled"]:
        body["imap"] = {
            "host": values["imap_host"],
            "port": values["imap_port"] or "993",
            "security": values["imap_security"] or "tls",
            "username": values["imap_username"],
            "folder": values["imap_folder"] or "INBOX",
            "poll_seconds": values["imap_poll_seconds"] or "60",
            "after_import": values["imap_after_import"] or "seen",
            "move_folder": values["imap_move_folder"],
        }
        if data.get("imap_password"):
            body["imap"]["password"] = data["imap_password"]
    return body


def _form_error(error: Invalid) -> Invalid:
    """Field names of the body (`smtp.host`, `ack_templates.cs.text`, `aliases.2`) as the form's."""
    fields: dict[str, str] = {}
    templates: dict[str, tuple[str, dict[str, object]]] = {}
    for name, message in error.fields.items():
        key = name.replace("ack_templates.", "ack_").replace(".", "_")
        if key.startswith("aliases"):
            key = "aliases"
        fields.setdefault(key, message)
        if name in error.templates:
            templates.setdefault(key, error.templates[name])
    first, *rest = fields
    renamed = type(error)(first, fields[first], more={name: fields[name] for name in rest})
    renamed.templates = templates
    return renamed


async def _mailbox_form(
    request: Request[Any, Any, Any],
    actor: Actor,
    values: dict[str, Any],
    *,
    mailbox: MailboxOut | None = None,
    error: Invalid | None = None,
) -> Template:
    async with runtime_of(request).db.read_session() as session:
        departments = await accounts_queries.list_departments(session, actor, limit=MAX_LIMIT)
    if mailbox is not None:
        values = {
            **values,
            "smtp_password_set": bool(mailbox.smtp and mailbox.smtp.password_set),
            "imap_password_set": bool(mailbox.imap and mailbox.imap.password_set),
        }
    return admin_page(
        request,
        "admin/mailbox_form.html",
        {
            "values": values,
            "mailbox": mailbox,
            "departments": [(d.id, d.name) for d in departments.items],
            "languages": LANGUAGES,
            "health_labels": HEALTH_LABELS,
            "mail_tab": "mailboxes",
            "today": clock.now().astimezone(zone(actor.timezone)).date().isoformat(),
        },
        actor=actor,
        section=SECTION,
        error=_form_error(error) if error is not None else None,
    )


@get("/admin/mailboxes/new")
async def new_mailbox_page(request: Request[Any, Any, Any], actor: WebActor) -> Template:
    require_admin_section(actor, SECTION)
    return await _mailbox_form(request, actor, dict(NEW_MAILBOX))


@post("/admin/mailboxes")
async def create_mailbox(request: Request[Any, Any, Any], actor: WebActor, data: FormData) -> Response[Any]:
    require_admin_section(actor, SECTION)
    values = _submitted(data)
    runtime = runtime_of(request)
    try:
        body = checked(MailboxCreateIn, _body(values, data, creating=True))
        async with runtime.uow(actor) as uow:
            mailbox = await mailbox_actions.create_mailbox(uow, data=body, sealer=runtime.sealer)
    except Invalid as error:
        return await _mailbox_form(request, actor, values, error=error)
    return redirect(request, done_url(f"/admin/mailboxes/{mailbox.public_id}", "created"))


async def _mailbox_out(request: Request[Any, Any, Any], actor: Actor, mailbox_id: str) -> MailboxOut:
    async with runtime_of(request).db.read_session() as session:
        mailbox = await queries.mailbox_by_public_id(session, actor, mailbox_id)
        return (await queries.mailbox_outs(session, [mailbox]))[0]


@get("/admin/mailboxes/{mailbox_id:str}")
async def mailbox_page(request: Request[Any, Any, Any], actor: WebActor, mailbox_id: MailboxPath) -> Template:
    require_admin_section(actor, SECTION)
    mailbox = await _mailbox_out(request, actor, mailbox_id)
    return await _mailbox_form(request, actor, _values_of(mailbox), mailbox=mailbox)


@post("/admin/mailboxes/{mailbox_id:str}")
async def update_mailbox(
    request: Request[Any, Any, Any], actor: WebActor, mailbox_id: MailboxPath, data: FormData
) -> Response[Any]:
    require_admin_section(actor, SECTION)
    values = _submitted(data)
    runtime = runtime_of(request)
    try:
        body = checked(MailboxUpdateIn, _body(values, data, creating=False))
        async with runtime.uow(actor) as uow:
            await mailbox_actions.update_mailbox(uow, mailbox_id=mailbox_id, data=body, sealer=runtime.sealer)
    except Invalid as error:
        mailbox = await _mailbox_out(request, actor, mailbox_id)
        return await _mailbox_form(request, actor, values, mailbox=mailbox, error=error)
    return redirect(request, done_url(f"/admin/mailboxes/{mailbox_id}", "saved"))


@post("/admin/mailboxes/{mailbox_id:str}/delete")
async def delete_mailbox(
    request: Request[Any, Any, Any], actor: WebActor, mailbox_id: MailboxPath
) -> Response[Any]:
    require_admin_section(actor, SECTION)
    async with runtime_of(request).uow(actor) as uow:
        await mailbox_actions.delete_mailbox(uow, mailbox_id=mailbox_id)
    return redirect(request, done_url("/admin/mailboxes", "deleted"))


@post("/admin/mailboxes/{mailbox_id:str}/backfill")
async def backfill_mailbox(
    request: Request[Any, Any, Any], actor: WebActor, mailbox_id: MailboxPath, data: FormData
) -> Response[Any]:
    """Fetch the folder's mail once from the start of the chosen day (in the admin's time zone)."""
    require_admin_section(actor, SECTION)
    try:
        try:
            day = date.fromisoformat(data.get("since", "").strip())
        except ValueError:
            raise Invalid("since", "choose a day") from None
        since = datetime.combine(day, time.min, tzinfo=zone(actor.timezone))
        async with runtime_of(request).uow(actor) as uow:
            await mailbox_actions.start_backfill(uow, mailbox_id=mailbox_id, since=since)
    except Invalid as error:
        mailbox = await _mailbox_out(request, actor, mailbox_id)
        values = {**_values_of(mailbox), "since": data.get("since", "")}
        return await _mailbox_form(request, actor, values, mailbox=mailbox, error=error)
    return redirect(request, done_url(f"/admin/mailboxes/{mailbox_id}", "backfill"))


routes = [
    mailboxes_page,
    new_mailbox_page,
    create_mailbox,
    mailbox_page,
    update_mailbox,
    delete_mailbox,
    backfill_mailbox,
]
