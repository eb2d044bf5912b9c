"""Custom field definitions for tickets and contacts: everyone reads them, manage_settings changes them.
Values are set on the ticket (`PATCH /tickets/{code}/fields`) or the contact (`fields`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Request, delete, get, patch, post
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from linka.domains.fields import actions, queries
from linka.domains.fields.schemas import CustomFieldIn, CustomFieldList, CustomFieldOut, CustomFieldPatch
from linka.entrypoints.api.auth import CurrentActor, runtime_of

FieldId = Annotated[str, Parameter(max_length=24, description="`cf_…`")]


@get("/custom-fields", tags=["custom fields"], summary="Custom field definitions, by entity and position")
async def list_fields(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    entity: Annotated[
        Literal["ticket", "contact"] | None, Parameter(description="only this entity's")
    ] = None,
) -> CustomFieldList:
    async with runtime_of(request).db.read_session() as session:
        fields = await queries.list_fields(session, actor, entity=entity)
        return CustomFieldList(items=[CustomFieldOut.from_model(field) for field in fields])


@get("/custom-fields/{field_id:str}", tags=["custom fields"], summary="One custom field definition")
async def show_field(
    request: Request[Any, Any, Any], actor: CurrentActor, field_id: FieldId
) -> CustomFieldOut:
    async with runtime_of(request).db.read_session() as session:
        return CustomFieldOut.from_model(await queries.field_by_public_id(session, field_id))


@post("/custom-fields", tags=["custom fields"], summary="Define a custom field (manage_settings)")
async def create_field(
    request: Request[Any, Any, Any], actor: CurrentActor, data: JSONBody[CustomFieldIn]
) -> CustomFieldOut:
    async with runtime_of(request).uow(actor) as uow:
        field = await actions.create_field(
            uow,
            entity=data.entity,
            key=data.key,
            label=data.label,
            kind=data.kind,
            options=data.options,
            required=data.required,
            translations=dict(data.translations),
            position=data.position,
        )
        return CustomFieldOut.from_model(field)


@patch(
    "/custom-fields/{field_id:str}",
    tags=["custom fields"],
    summary="Change a custom field: label, options, required, translations, position (manage_settings)",
)
async def update_field(
    request: Request[Any, Any, Any], actor: CurrentActor, field_id: FieldId, data: JSONBody[CustomFieldPatch]
) -> CustomFieldOut:
    async with runtime_of(request).uow(actor) as uow:
        field = await queries.field_by_public_id(uow.session, field_id)
        field = await actions.update_field(
            uow,
            field_id=field.id,
            label=data.label,
            options=data.options,
            required=data.required,
            translations=data.translations,
            position=data.position,
        )
        return CustomFieldOut.from_model(field)


@delete(
    "/custom-fields/{field_id:str}",
    tags=["custom fields"],
    status_code=HTTP_204_NO_CONTENT,
    summary="Delete a custom field and every value of it (manage_settings)",
)
async def delete_field(request: Request[Any, Any, Any], actor: CurrentActor, field_id: FieldId) -> None:
    async with runtime_of(request).uow(actor) as uow:
        field = await queries.field_by_public_id(uow.session, field_id)
        await actions.delete_field(uow, field_id=field.id)


routes = [list_fields, show_field, create_field, update_field, delete_field]
