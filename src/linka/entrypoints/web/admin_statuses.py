"""Admin: ticket statuses. The built-in ones for reference, and custom ones (a name in English, Czech
and Hungarian, the category it behaves as, its place in lists): create, change, delete. The same
actions and queries as `api/ticket_statuses.py`."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import PathParameter
from litestar.response import Template

from linka.core.errors import Invalid
from linka.core.permissions import Actor
from linka.domains.tickets import custom_status_actions, custom_status_queries
from linka.domains.tickets.custom_status_schemas import CustomStatusIn
from linka.domains.tickets.statuses import Status
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.web.admin_common import FormData, admin_page, checked, done_url
from linka.entrypoints.web.auth import WebActor
from linka.entrypoints.web.errors import redirect
from linka.entrypoints.web.navigation import require_admin_section

SECTION = "statuses"
StatusPath = Annotated[str, PathParameter(max_length=24)]
TRANSLATED = ("cs", "hu")


def category_choices(language: str) -> list[tuple[str, str]]:
    """The categories a custom status may stand for, named as the built-in statuses are (the domain
    holds their names in every language)."""
    return [
        (status.value, custom_status_queries.BUILTIN_NAMES[status].get(language) or status.value)
        for status in custom_status_queries.CATEGORIES
    ]


def category_name(category: str, language: str) -> str:
    names = custom_status_queries.BUILTIN_NAMES.get(Status(category), {})
    return names.get(language) or category


@get("/admin/statuses")
async def statuses_page(request: Request[Any, Any, Any], actor: WebActor) -> Template:
    require_admin_section(actor, SECTION)
    async with runtime_of(request).db.read_session() as session:
        views = await custom_status_queries.list_statuses(session, actor)
    language = actor.language
    return admin_page(
        request,
        "admin/statuses.html",
        {
            "builtin": [view for view in views if view.builtin],
            "custom": [view for view in views if not view.builtin],
            "category_names": {
                status.value: category_name(status.value, language)
                for status in custom_status_queries.BUILTIN_NAMES
            },
        },
        actor=actor,
        section=SECTION,
    )


def _status_form(
    request: Request[Any, Any, Any],
    actor: Actor,
    values: dict[str, Any],
    *,
    status_id: str | None = None,
    error: Invalid | None = None,
) -> Template:
    if error is not None:
        for language in TRANSLATED:
            if f"translations.{language}" in error.fields:
                error.fields[f"name_{language}"] = error.fields[f"translations.{language}"]
                if f"translations.{language}" in error.templates:
                    error.templates[f"name_{language}"] = error.templates[f"translations.{language}"]
    return admin_page(
        request,
        "admin/status_form.html",
        {"values": values, "status_id": status_id, "categories": category_choices(actor.language)},
        actor=actor,
        section=SECTION,
        error=error,
    )


def _submitted(data: dict[str, str]) -> dict[str, Any]:
    return {
        "name": data.get("name", "").strip(),
        "name_cs": data.get("name_cs", "").strip(),
        "name_hu": data.get("name_hu", "").strip(),
        "category": data.get("category", ""),
        "position": data.get("position", "").strip() or "0",
    }


def _body(values: dict[str, Any]) -> CustomStatusIn:
    return checked(
        CustomStatusIn,
        {
            "name": values["name"],
            "category": values["category"],
            "translations": {language: values[f"name_{language}"] for language in TRANSLATED},
            "position": values["position"],
        },
    )


@get("/admin/statuses/new")
async def new_status_page(request: Request[Any, Any, Any], actor: WebActor) -> Template:
    require_admin_section(actor, SECTION)
    values = {"name": "", "name_cs": "", "name_hu": "", "category": Status.OPEN.value, "position": 0}
    return _status_form(request, actor, values)


@post("/admin/statuses")
async def create_status(request: Request[Any, Any, Any], actor: WebActor, data: FormData) -> Response[Any]:
    require_admin_section(actor, SECTION)
    values = _submitted(data)
    try:
        body = _body(values)
        async with runtime_of(request).uow(actor) as uow:
            await custom_status_actions.create_custom_status(
                uow,
                name=body.name,
                category=body.category,
                translations=dict(body.translations),
                position=body.position,
            )
    except Invalid as error:
        return _status_form(request, actor, values, error=error)
    return redirect(request, done_url("/admin/statuses", "created"))


@get("/admin/statuses/{status_id:str}")
async def status_page(request: Request[Any, Any, Any], actor: WebActor, status_id: StatusPath) -> Template:
    require_admin_section(actor, SECTION)
    async with runtime_of(request).db.read_session() as session:
        status = await custom_status_queries.custom_status_by_public_id(session, status_id)
    translations = dict(status.translations or {})
    values = {
        "name": status.name,
        "name_cs": translations.get("cs", ""),
        "name_hu": translations.get("hu", ""),
        "category": status.category,
        "position": status.position,
    }
    return _status_form(request, actor, values, status_id=status.public_id)


@post("/admin/statuses/{status_id:str}")
async def update_status(
    request: Request[Any, Any, Any], actor: WebActor, status_id: StatusPath, data: FormData
) -> Response[Any]:
    require_admin_section(actor, SECTION)
    values = _submitted(data)
    try:
        body = _body(values)
        async with runtime_of(request).uow(actor) as uow:
            status = await custom_status_queries.custom_status_by_public_id(uow.session, status_id)
            await custom_status_actions.update_custom_status(
                uow,
                status_id=status.id,
                name=body.name,
                category=body.category,
                translations=dict(body.translations),
                position=body.position,
            )
    except Invalid as error:
        return _status_form(request, actor, values, status_id=status_id, error=error)
    return redirect(request, done_url("/admin/statuses", "saved"))


@post("/admin/statuses/{status_id:str}/delete")
async def delete_status(
    request: Request[Any, Any, Any], actor: WebActor, status_id: StatusPath
) -> Response[Any]:
    require_admin_section(actor, SECTION)
    async with runtime_of(request).uow(actor) as uow:
        status = await custom_status_queries.custom_status_by_public_id(uow.session, status_id)
        await custom_status_actions.delete_custom_status(uow, status_id=status.id)
    return redirect(request, done_url("/admin/statuses", "deleted"))


routes = [statuses_page, new_status_page, create_status, status_page, update_status, delete_status]
