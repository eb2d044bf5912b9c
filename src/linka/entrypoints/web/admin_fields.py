"""Admin: custom fields of tickets and contacts. The definitions by entity and position, creating one
(key, label, kind, options, required, Czech and Hungarian labels), changing and deleting it, and moving
it up or down. The same actions and queries as `api/custom_fields.py`; moving renumbers positions with
`update_field`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Request, Response, get, post
from litestar.params import PathParameter, QueryParameter
from litestar.response import Template

from linka.core.errors import Invalid
from linka.core.i18n import N_
from linka.core.permissions import Actor
from linka.domains.fields import actions, queries
from linka.domains.fields.schemas import CustomFieldIn, CustomFieldPatch
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.web.admin_common import FormData, admin_page, checked, done_url, ticked
from linka.entrypoints.web.auth import WebActor, translator_for
from linka.entrypoints.web.errors import redirect
from linka.entrypoints.web.navigation import require_admin_section

SECTION = "fields"
FieldPath = Annotated[str, PathParameter(max_length=24)]
EntityQuery = Annotated[Literal["ticket", "contact"] | None, QueryParameter()]
POSITION_STEP = 10

ENTITY_LABELS: dict[str, str] = {"ticket": N_("Tickets"), "contact": N_("Contacts")}
KIND_LABELS: dict[str, str] = {
    "text": N_("Text"),
    "number": N_("Number"),
    "date": N_("Date"),
    "select": N_("Choice"),
    "multi_select": N_("Several choices"),
    "checkbox": N_("Checkbox"),
}
WITH_OPTIONS = ("select", "multi_select")


@get("/admin/fields")
async def fields_page(request: Request[Any, Any, Any], actor: WebActor) -> Template:
    require_admin_section(actor, SECTION)
    async with runtime_of(request).db.read_session() as session:
        fields = await queries.list_fields(session, actor)
    return admin_page(
        request,
        "admin/fields.html",
        {
            "groups": [
                (entity, label, [field for field in fields if field.entity == entity])
                for entity, label in ENTITY_LABELS.items()
            ],
            "kind_labels": KIND_LABELS,
        },
        actor=actor,
        section=SECTION,
    )


def _options(text: str) -> list[str]:
    """One option a line; blank lines are left out."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _translations(data: dict[str, str]) -> dict[str, str]:
    return {language: data.get(f"label_{language}", "").strip() for language in ("cs", "hu")}


def _field_form(
    request: Request[Any, Any, Any],
    actor: Actor,
    values: dict[str, Any],
    *,
    field_id: str | None = None,
    error: Invalid | None = None,
) -> Template:
    t = translator_for(request, actor)
    for language in ("cs", "hu"):
        if error is not None and f"translations.{language}" in error.fields:
            error.fields[f"label_{language}"] = error.fields[f"translations.{language}"]
            if f"translations.{language}" in error.templates:
                error.templates[f"label_{language}"] = error.templates[f"translations.{language}"]
    return admin_page(
        request,
        "admin/field_form.html",
        {
            "values": values,
            "field_id": field_id,
            "entity_labels": ENTITY_LABELS,
            "kind_labels": KIND_LABELS,
            "kind_choices": [(kind, t.gettext(label)) for kind, label in KIND_LABELS.items()],
            "with_options": WITH_OPTIONS,
        },
        actor=actor,
        section=SECTION,
        error=error,
    )


@get("/admin/fields/new")
async def new_field_page(
    request: Request[Any, Any, Any], actor: WebActor, entity: EntityQuery = None
) -> Template:
    require_admin_section(actor, SECTION)
    values = {
        "entity": entity or "ticket",
        "key": "",
        "label": "",
        "kind": "text",
        "options": "",
        "required": False,
        "label_cs": "",
        "label_hu": "",
        "position": 0,
    }
    return _field_form(request, actor, values)


def _submitted(data: dict[str, str]) -> dict[str, Any]:
    return {
        "entity": data.get("entity", ""),
        "key": data.get("key", "").strip(),
        "label": data.get("label", "").strip(),
        "kind": data.get("kind", ""),
        "options": data.get("options", ""),
        "required": ticked(data, "required"),
        "label_cs": data.get("label_cs", "").strip(),
        "label_hu": data.get("label_hu", "").strip(),
        "position": data.get("position", "").strip() or "0",
    }


@post("/admin/fields")
async def create_field(request: Request[Any, Any, Any], actor: WebActor, data: FormData) -> Response[Any]:
    require_admin_section(actor, SECTION)
    values = _submitted(data)
    try:
        body = checked(
            CustomFieldIn,
            {
                "entity": values["entity"],
                "key": values["key"],
                "label": values["label"],
                "kind": values["kind"],
                "options": _options(values["options"]) if values["kind"] in WITH_OPTIONS else [],
                "required": values["required"],
                "translations": _translations(data),
                "position": values["position"],
            },
        )
        async with runtime_of(request).uow(actor) as uow:
            await actions.create_field(
                uow,
                entity=body.entity,
                key=body.key,
                label=body.label,
                kind=body.kind,
                options=body.options,
                required=body.required,
                translations=dict(body.translations),
                position=body.position,
            )
    except Invalid as error:
        return _field_form(request, actor, values, error=error)
    return redirect(request, done_url("/admin/fields", "created"))


@get("/admin/fields/{field_id:str}")
async def field_page(request: Request[Any, Any, Any], actor: WebActor, field_id: FieldPath) -> Template:
    require_admin_section(actor, SECTION)
    async with runtime_of(request).db.read_session() as session:
        field = await queries.field_by_public_id(session, field_id)
    translations = dict(field.translations or {})
    values = {
        "entity": field.entity,
        "key": field.key,
        "label": field.label,
        "kind": field.kind,
        "options": "\n".join(field.options or []),
        "required": field.required,
        "label_cs": translations.get("cs", ""),
        "label_hu": translations.get("hu", ""),
        "position": field.position,
    }
    return _field_form(request, actor, values, field_id=field.public_id)


@post("/admin/fields/{field_id:str}")
async def update_field(
    request: Request[Any, Any, Any], actor: WebActor, field_id: FieldPath, data: FormData
) -> Response[Any]:
    require_admin_section(actor, SECTION)
    submitted = _submitted(data)
    async with runtime_of(request).db.read_session() as session:
        field = await queries.field_by_public_id(session, field_id)
    # Entity, key and kind are fixed once a field exists: the page shows them, the form does not send them.
    values = {**submitted, "entity": field.entity, "key": field.key, "kind": field.kind}
    try:
        patch: dict[str, Any] = {
            "label": values["label"],
            "required": values["required"],
            "translations": _translations(data),
            "position": values["position"],
        }
        if field.kind in WITH_OPTIONS:
            patch["options"] = _options(values["options"])
        body = checked(CustomFieldPatch, patch)
        async with runtime_of(request).uow(actor) as uow:
            await actions.update_field(
                uow,
                field_id=field.id,
                label=body.label,
                options=body.options,
                required=body.required,
                translations=body.translations,
                position=body.position,
            )
    except Invalid as error:
        return _field_form(request, actor, values, field_id=field_id, error=error)
    return redirect(request, done_url("/admin/fields", "saved"))


@post("/admin/fields/{field_id:str}/delete")
async def delete_field(
    request: Request[Any, Any, Any], actor: WebActor, field_id: FieldPath
) -> Response[Any]:
    require_admin_section(actor, SECTION)
    async with runtime_of(request).uow(actor) as uow:
        field = await queries.field_by_public_id(uow.session, field_id)
        await actions.delete_field(uow, field_id=field.id)
    return redirect(request, done_url("/admin/fields", "deleted"))


@post("/admin/fields/{field_id:str}/move")
async def move_field(
    request: Request[Any, Any, Any], actor: WebActor, field_id: FieldPath, data: FormData
) -> Response[Any]:
    """One place up or down among its entity's fields; positions become 10, 20, 30… so that every
    field has its own (several may share one after fields were created with the default)."""
    require_admin_section(actor, SECTION)
    step = -1 if data.get("direction") == "up" else 1
    async with runtime_of(request).uow(actor) as uow:
        field = await queries.field_by_public_id(uow.session, field_id)
        order = await queries.definitions(uow.session, field.entity)
        index = next(i for i, candidate in enumerate(order) if candidate.id == field.id)
        target = index + step
        if 0 <= target < len(order):
            order[index], order[target] = order[target], order[index]
        for position, candidate in enumerate(order, start=1):
            if candidate.position != position * POSITION_STEP:
                await actions.update_field(uow, field_id=candidate.id, position=position * POSITION_STEP)
    return redirect(request, done_url("/admin/fields", "moved"))


routes = [fields_page, new_field_page, create_field, field_page, update_field, delete_field, move_field]
