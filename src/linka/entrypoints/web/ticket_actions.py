"""The side panel's writes: status, priority, tags, custom fields, transfer, assignee, postpone,
resolve, merge and split. Each is a form post through the same domain action the API calls; htmx gets
the panel back (and the thread refreshes), a plain form a redirect to the ticket. A refused change
re-renders the panel with the reason next to the field."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from litestar import Request, Response, post
from litestar.datastructures import FormMultiDict
from litestar.params import Parameter

from linka.core.errors import Invalid, NotFound
from linka.core.ids import normalise_ticket_code
from linka.core.permissions import Actor
from linka.core.uow import UnitOfWork
from linka.domains.accounts import queries as accounts_queries
from linka.domains.fields import queries as fields_queries
from linka.domains.fields.values import Kind, from_text
from linka.domains.tickets import (
    actions,
    custom_status_queries,
    field_actions,
    merge_actions,
    queries,
    routing_actions,
    status_actions,
    tag_actions,
    tag_queries,
)
from linka.domains.tickets.statuses import Priority, Status, status_from_text
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.web.auth import WebActor, translator_for
from linka.entrypoints.web.errors import redirect
from linka.entrypoints.web.form_errors import field_errors
from linka.entrypoints.web.ticket_page import render_panel
from linka.entrypoints.web.ticket_reply import THIS_TICKET_CHANGED, is_htmx

Code = Annotated[str, Parameter(max_length=16)]
Work = Callable[[UnitOfWork, FormMultiDict], Awaitable[str | None]]


def _value(form: FormMultiDict, name: str) -> str:
    return str(form.get(name) or "").strip()


async def _act(request: Request[Any, Any, Any], actor: Actor, code: str, work: Work) -> Response[Any]:
    """Run one change; `work` may answer a URL to go to instead of the panel (a split's new ticket)."""
    form = await request.form()
    t = translator_for(request, actor)
    try:
        async with runtime_of(request).uow(actor) as uow:
            go_to = await work(uow, form)
    except Invalid as failure:
        return await render_panel(
            request,
            actor,
            code,
            status_code=failure.status,
            errors=field_errors(failure, t),
            message=t.gettext("Nothing was changed. See the reason below."),
        )
    if go_to is not None:
        return redirect(request, go_to)
    if not is_htmx(request):
        return redirect(request, f"/tickets/{code}")
    try:
        return await render_panel(request, actor, code, headers=THIS_TICKET_CHANGED)
    except NotFound:  # the change took the ticket out of the agent's sight (a transfer)
        return redirect(request, "/tickets")


@post("/tickets/{code:str}/status")
async def set_status(request: Request[Any, Any, Any], actor: WebActor, code: Code) -> Response[Any]:
    async def work(uow: UnitOfWork, form: FormMultiDict) -> None:
        chosen = _value(form, "status")
        custom_id = None
        if chosen.startswith("ts_"):
            custom = await custom_status_queries.custom_status_by_public_id(
                uow.session, chosen, field="status"
            )
            target, custom_id = Status(custom.category), custom.id
        else:
            target = status_from_text(chosen)
        await status_actions.set_ticket_status(uow, code=code, status=target, custom_status_id=custom_id)

    return await _act(request, actor, code, work)


@post("/tickets/{code:str}/resolve")
async def resolve(request: Request[Any, Any, Any], actor: WebActor, code: Code) -> Response[Any]:
    async def work(uow: UnitOfWork, form: FormMultiDict) -> None:
        await status_actions.set_ticket_status(uow, code=code, status=Status.RESOLVED)

    return await _act(request, actor, code, work)


@post("/tickets/{code:str}/priority")
async def set_priority(request: Request[Any, Any, Any], actor: WebActor, code: Code) -> Response[Any]:
    async def work(uow: UnitOfWork, form: FormMultiDict) -> None:
        priority = Priority.from_text(_value(form, "priority"))
        await actions.update_ticket(uow, code=code, priority=priority)

    return await _act(request, actor, code, work)


@post("/tickets/{code:str}/tags")
async def add_tag(request: Request[Any, Any, Any], actor: WebActor, code: Code) -> Response[Any]:
    """Put an existing tag on the ticket, or (with `name`, for those who may) a new one."""

    async def work(uow: UnitOfWork, form: FormMultiDict) -> None:
        name = _value(form, "name")
        if name:
            existing = await tag_queries.tag_named(uow.session, name)
            tag = existing or await tag_actions.create_tag(uow, name=name)
        else:
            tag = await tag_queries.tag_by_public_id(uow.session, _value(form, "tag"), field="tag")
        await tag_actions.tag_ticket(uow, code=code, tag_ids=[tag.id])

    return await _act(request, actor, code, work)


@post("/tickets/{code:str}/tags/remove")
async def remove_tag(request: Request[Any, Any, Any], actor: WebActor, code: Code) -> Response[Any]:
    async def work(uow: UnitOfWork, form: FormMultiDict) -> None:
        tag = await tag_queries.tag_by_public_id(uow.session, _value(form, "tag"), field="tag")
        await tag_actions.untag_ticket(uow, code=code, tag_ids=[tag.id])

    return await _act(request, actor, code, work)


@post("/tickets/{code:str}/fields")
async def set_fields(request: Request[Any, Any, Any], actor: WebActor, code: Code) -> Response[Any]:
    """Every ticket field of the form (`field.<key>`); an emptied one is cleared."""

    async def work(uow: UnitOfWork, form: FormMultiDict) -> None:
        values: dict[str, object] = {}
        for definition in await fields_queries.definitions(uow.session, "ticket"):
            name, kind = f"field.{definition.key}", Kind(definition.kind)
            sent = [str(value) for value in form.getall(name, [])]
            if kind is Kind.MULTI_SELECT:
                values[definition.key] = [value for value in sent if value]
            elif kind is Kind.CHECKBOX:
                values[definition.key] = bool(sent) and sent[-1] == "true"
            else:
                values[definition.key] = from_text(kind, sent[-1]) if sent else None
        await field_actions.set_ticket_fields(uow, code=code, values=values)

    return await _act(request, actor, code, work)


@post("/tickets/{code:str}/transfer")
async def transfer(request: Request[Any, Any, Any], actor: WebActor, code: Code) -> Response[Any]:
    async def work(uow: UnitOfWork, form: FormMultiDict) -> None:
        department_id = await accounts_queries.department_id_for_field(
            uow.session, _value(form, "department"), field="department"
        )
        agent = _value(form, "agent")
        agent_id = (
            await accounts_queries.agent_id_for_field(uow.session, agent, field="agent") if agent else None
        )
        await routing_actions.transfer_ticket(uow, code=code, department_id=department_id, agent_id=agent_id)

    return await _act(request, actor, code, work)


@post("/tickets/{code:str}/assign")
async def assign(request: Request[Any, Any, Any], actor: WebActor, code: Code) -> Response[Any]:
    """`agent`: an agent of the department, `me`, or empty to give the ticket back to the department."""

    async def work(uow: UnitOfWork, form: FormMultiDict) -> None:
        agent = _value(form, "agent")
        if not agent:
            await routing_actions.unassign_ticket(uow, code=code)
            return
        if agent == "me" and actor.agent_id is not None:
            agent_id = actor.agent_id
        else:
            agent_id = await accounts_queries.agent_id_for_field(uow.session, agent, field="agent")
        await routing_actions.assign_ticket(uow, code=code, agent_id=agent_id)

    return await _act(request, actor, code, work)


@post("/tickets/{code:str}/postpone")
async def postpone(request: Request[Any, Any, Any], actor: WebActor, code: Code) -> Response[Any]:
    """Until a moment typed in the agent's own time zone."""
    zone = translator_for(request, actor).zone

    async def work(uow: UnitOfWork, form: FormMultiDict) -> None:
        try:
            typed = datetime.fromisoformat(_value(form, "until"))
        except ValueError:
            raise Invalid("until", "a date and time, e.g. 2026-12-01 09:00") from None
        until = typed.replace(tzinfo=zone) if typed.tzinfo is None else typed
        await status_actions.postpone_ticket(uow, code=code, until=until)

    return await _act(request, actor, code, work)


@post("/tickets/{code:str}/merge")
async def merge(request: Request[Any, Any, Any], actor: WebActor, code: Code) -> Response[Any]:
    """Merge this ticket into another (`direction=into_other`) or another into this one; the first post
    shows what the other ticket is and asks to confirm."""
    form = await request.form()
    other = normalise_ticket_code(_value(form, "other"))
    direction = "into_other" if _value(form, "direction") == "into_other" else "into_this"
    t = translator_for(request, actor)
    if _value(form, "confirm") != "yes":
        async with runtime_of(request).db.read_session() as session:
            this = await queries.visible_ticket(session, actor, code)
            try:
                found = await queries.visible_ticket(session, actor, other) if other else None
            except NotFound:
                found = None
        if found is None or found.id == this.id:
            return await render_panel(
                request,
                actor,
                code,
                status_code=422,
                errors={"other": t.gettext("No other ticket has this code.")},
            )
        confirm = {"other": found.code, "subject": found.subject, "direction": direction}
        return await render_panel(request, actor, code, merge_confirm=confirm)

    async def work(uow: UnitOfWork, _form: FormMultiDict) -> str | None:
        if direction == "into_other":
            target = await merge_actions.merge_tickets(uow, target_code=other, source_codes=[code])
            return f"/tickets/{target.code}"
        try:
            await merge_actions.merge_tickets(uow, target_code=code, source_codes=[other])
        except Invalid as failure:
            template, values = failure.templates.get("sources", (failure.message, {}))
            raise Invalid("other", template, values=values) from None
        return None

    return await _act(request, actor, code, work)


@post("/tickets/{code:str}/split")
async def split(request: Request[Any, Any, Any], actor: WebActor, code: Code) -> Response[Any]:
    """One message group off into a new ticket, which the agent is taken to."""

    async def work(uow: UnitOfWork, form: FormMultiDict) -> str:
        subject = _value(form, "subject") or None
        created = await merge_actions.split_ticket(
            uow, code=code, group_public_id=_value(form, "group"), subject=subject
        )
        return f"/tickets/{created.code}"

    return await _act(request, actor, code, work)


routes = [
    set_status,
    resolve,
    set_priority,
    add_tag,
    remove_tag,
    set_fields,
    transfer,
    assign,
    postpone,
    merge,
    split,
]
