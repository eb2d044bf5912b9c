"""Writes of custom fields: definitions (admins: manage_settings) and the values on tickets and contacts.

`set_values` does not decide who may change a ticket or a contact: its callers load the entity through
their own permission-checked query first (tickets.field_actions, contacts.actions) and then hand over.
Every value is checked before anything is written, so one bad value leaves all of them unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from msgspec import UNSET, UnsetType
from sqlalchemy import delete, func, select

from linka.core.errors import Conflict, Invalid, NotFound
from linka.core.ids import public_id
from linka.core.permissions import Permission, require, require_write
from linka.core.uow import UnitOfWork
from linka.domains.fields import queries
from linka.domains.fields.events import CustomFieldChanged, CustomFieldDeleted
from linka.domains.fields.models import CustomField, FieldValue
from linka.domains.fields.values import (
    WITH_OPTIONS,
    Kind,
    Stored,
    clean_text,
    field_name,
    parse,
    render,
)

KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,59}")
LABEL_MAX = 120
OPTION_MAX = 100
MAX_OPTIONS = 200
MAX_FIELDS = 200  # per entity: every page of tickets or contacts loads all definitions
POSITION_MAX = 10000
LANGUAGES = ("cs", "hu")


# ---- definitions -------------------------------------------------------------------------------


def field_snapshot(field: CustomField) -> dict[str, Any]:
    return {
        "entity": field.entity,
        "key": field.key,
        "label": field.label,
        "translations": dict(field.translations or {}),
        "kind": field.kind,
        "options": list(field.options or []),
        "required": field.required,
        "position": field.position,
    }


def _kind(value: str) -> Kind:
    try:
        return Kind(value)
    except ValueError:
        raise Invalid(
            "kind", "must be one of %(choices)s", values={"choices": ", ".join(k.value for k in Kind)}
        ) from None


def _key(value: str) -> str:
    if not KEY_RE.fullmatch(value):
        raise Invalid(
            "key", "lower-case letters, digits and underscores, starting with a letter (at most 60)"
        )
    return value


def _label(value: str) -> str:
    label = clean_text("label", " ".join(value.split()), LABEL_MAX)
    if not label:
        raise Invalid("label", "must not be empty")
    return label


def _translations(values: Mapping[str, str] | None) -> dict[str, str]:
    found: dict[str, str] = {}
    for language, text in (values or {}).items():
        if language not in LANGUAGES:
            raise Invalid(
                "translations",
                "languages are %(choices)s; not %(language)s",
                values={"choices": ", ".join(LANGUAGES), "language": repr(language)},
            )
        cleaned = clean_text(f"translations.{language}", " ".join(str(text).split()), LABEL_MAX)
        if cleaned:
            found[language] = cleaned
    return found


def _options(kind: Kind, values: Sequence[str]) -> list[str]:
    if kind not in WITH_OPTIONS:
        if values:
            raise Invalid("options", "only select and multi-select fields have options")
        return []
    found: list[str] = []
    for raw in values:
        option = clean_text("options", raw.strip(), OPTION_MAX)
        if not option:
            raise Invalid("options", "an option must not be empty")
        if option in found:
            raise Invalid("options", "%(option)s is given twice", values={"option": repr(option)})
        found.append(option)
    if not found:
        raise Invalid("options", "a select field needs at least one option")
    if len(found) > MAX_OPTIONS:
        raise Invalid("options", "at most %(max)s", values={"max": MAX_OPTIONS})
    return found


def _required(kind: Kind, required: bool) -> bool:
    if required and kind is Kind.CHECKBOX:
        # Unticked is a valid answer, so "required" could only mean "must be ticked": say so instead.
        raise Invalid("required", "a checkbox always has a value (ticked or not); it cannot be required")
    return required


def _position(value: int) -> int:
    if not 0 <= value <= POSITION_MAX:
        raise Invalid("position", "between 0 and %(max)s", values={"max": POSITION_MAX})
    return value


async def create_field(
    uow: UnitOfWork,
    *,
    entity: str,
    key: str,
    label: str,
    kind: str,
    options: Sequence[str] = (),
    required: bool = False,
    translations: Mapping[str, str] | None = None,
    position: int = 0,
) -> CustomField:
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_SETTINGS)
    target = queries.entity_of(entity)
    key = _key(key)
    field_kind = _kind(kind)
    field = CustomField(
        public_id=public_id("cf"),
        entity=target.value,
        key=key,
        label=_label(label),
        translations=_translations(translations),
        kind=field_kind.value,
        options=_options(field_kind, options),
        required=_required(field_kind, required),
        position=_position(position),
        created_at=uow.now,
        updated_at=uow.now,
    )
    if await queries.field_by_key(uow.session, target, key) is not None:
        raise Conflict(
            "key",
            "a %(entity)s field with the key %(key)s exists",
            values={"entity": target.value, "key": repr(key)},
        )
    count = await uow.session.execute(
        select(func.count()).select_from(CustomField).where(CustomField.entity == target.value)
    )
    if count.scalar_one() >= MAX_FIELDS:
        raise Conflict(
            "entity",
            "at most %(max)s custom fields per %(entity)s",
            values={"max": MAX_FIELDS, "entity": target.value},
        )
    uow.session.add(field)
    await uow.flush_or_conflict("key", "a field with this key exists")
    uow.history("custom_field", field.id, "created", after=field_snapshot(field))
    uow.record(CustomFieldChanged(field_id=field.id, entity=field.entity))
    return field


async def update_field(
    uow: UnitOfWork,
    *,
    field_id: int,
    label: str | UnsetType = UNSET,
    options: Sequence[str] | UnsetType = UNSET,
    required: bool | UnsetType = UNSET,
    translations: Mapping[str, str] | UnsetType = UNSET,
    position: int | UnsetType = UNSET,
) -> CustomField:
    """Change a definition. Options may be added and reordered; removing (or renaming) one that stored
    values still hold is refused with a 409 naming it and how many hold it, so no value is orphaned:
    change those values first. Making a field required applies to later writes, not to old rows."""
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_SETTINGS)
    field = await _field(uow, field_id)
    kind = Kind(field.kind)
    before = field_snapshot(field)
    if not isinstance(label, UnsetType):
        field.label = _label(label)
    if not isinstance(translations, UnsetType):
        field.translations = _translations(translations)
    if not isinstance(options, UnsetType):
        new_options = _options(kind, options)
        removed = [option for option in field.options or [] if option not in new_options]
        used = await queries.option_usage(uow.session, field.id, removed)
        if used:
            named = "; ".join(f"{option!r} is held by {count}" for option, count in sorted(used.items()))
            raise Conflict(
                "options",
                "cannot remove options in use (%(named)s); change those %(entity)ss first",
                values={"named": named, "entity": field.entity},
            )
        field.options = new_options
    if not isinstance(required, UnsetType):
        field.required = _required(kind, required)
    if not isinstance(position, UnsetType):
        field.position = _position(position)
    if uow.history_of_changes("custom_field", field.id, before=before, after=field_snapshot(field)):
        field.updated_at = uow.now
        await uow.session.flush()
        uow.record(CustomFieldChanged(field_id=field.id, entity=field.entity))
    return field


async def delete_field(uow: UnitOfWork, *, field_id: int) -> int:
    """Delete a definition and every value of it (the admin decided the data goes); the history entry
    says how many values went. Returns that number."""
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_SETTINGS)
    field = await _field(uow, field_id)
    held = await uow.session.execute(
        select(func.count(func.distinct(FieldValue.entity_id))).where(FieldValue.field_id == field.id)
    )
    holders = int(held.scalar_one())
    # Explicit, not left to ON DELETE CASCADE: the same on both engines, whatever the pragmas.
    await uow.session.execute(delete(FieldValue).where(FieldValue.field_id == field.id))
    uow.history(
        "custom_field",
        field.id,
        "deleted",
        before={"public_id": field.public_id, **field_snapshot(field), "holders": holders},
    )
    entity, key = field.entity, field.key
    await uow.session.delete(field)
    await uow.session.flush()
    uow.record(CustomFieldDeleted(field_id=field_id, entity=entity, key=key))
    return holders


async def _field(uow: UnitOfWork, field_id: int) -> CustomField:
    field = await uow.session.get(CustomField, field_id)
    if field is None:
        raise NotFound("custom field")
    return field


# ---- values ------------------------------------------------------------------------------------


def _check(
    definitions: Mapping[str, CustomField], values: Mapping[str, object], *, creating: bool
) -> dict[str, list[Stored]]:
    """Every value checked against its field before anything is written; all problems at once."""
    problems: dict[str, str] = {}
    parsed: dict[str, list[Stored]] = {}
    for key, value in values.items():
        definition = definitions.get(key) if isinstance(key, str) else None
        if definition is None:
            problems[field_name(str(key))] = "no such field"
            continue
        try:
            rows = parse(Kind(definition.kind), list(definition.options or []), key, value)
        except Invalid as exc:
            problems.update(exc.fields)
            continue
        if not rows and definition.required:
            problems[field_name(key)] = "is required"
            continue
        parsed[key] = rows
    if creating:
        for key, definition in definitions.items():
            if definition.required and key not in values:
                problems[field_name(key)] = "is required"
    if problems:
        first, *rest = sorted(problems)
        raise Invalid(first, problems[first], more={name: problems[name] for name in rest})
    return parsed


async def check_required(uow: UnitOfWork, *, entity: str, values: Mapping[str, object] | None) -> None:
    """For callers creating a ticket or contact: refuse (422, each field named) when a required field
    of `entity` is missing from `values`, and any value that its field would not accept."""
    target = queries.entity_of(entity)
    definitions = {field.key: field for field in await queries.definitions(uow.session, target)}
    _check(definitions, values or {}, creating=True)


async def set_values(
    uow: UnitOfWork,
    *,
    entity: str,
    entity_id: int,
    values: Mapping[str, object],
    creating: bool = False,
) -> tuple[str, ...]:
    """Set custom field values of one ticket or contact: keys are field keys, None (or an empty text
    or list) clears, fields not named keep their values. With `creating`, required fields missing
    from `values` are refused as well. Writes a history entry of the entity ("fields_changed",
    before and after of the keys that changed) and returns those keys; the caller records its own
    event (TicketChanged, ContactChanged). The caller has checked that the actor may change it."""
    require_write(uow.actor)
    target = queries.entity_of(entity)
    definitions = {field.key: field for field in await queries.definitions(uow.session, target)}
    parsed = _check(definitions, values, creating=creating)
    if not parsed:
        return ()
    by_id = {definitions[key].id: key for key in parsed}
    current: dict[str, list[Stored]] = {key: [] for key in parsed}
    rows = await uow.session.execute(
        select(FieldValue.field_id, FieldValue.text, FieldValue.number)
        .where(
            FieldValue.entity == target.value,
            FieldValue.entity_id == entity_id,
            FieldValue.field_id.in_(list(by_id)),
        )
        .order_by(FieldValue.id)
    )
    for field_id, text, number in rows.all():
        current[by_id[field_id]].append(Stored(text, number))

    def shown(key: str, stored: list[Stored]) -> object:
        definition = definitions[key]
        return render(Kind(definition.kind), list(definition.options or []), stored)

    before = {key: shown(key, current[key]) for key in parsed}
    after = {key: shown(key, parsed[key]) for key in parsed}
    changed = tuple(key for key in parsed if before[key] != after[key])
    if not changed:
        return ()
    await uow.session.execute(
        delete(FieldValue).where(
            FieldValue.entity == target.value,
            FieldValue.entity_id == entity_id,
            FieldValue.field_id.in_([definitions[key].id for key in changed]),
        )
    )
    for key in changed:
        for row in parsed[key]:
            uow.session.add(
                FieldValue(
                    field_id=definitions[key].id,
                    entity=target.value,
                    entity_id=entity_id,
                    text=row.text,
                    number=row.number,
                )
            )
    await uow.session.flush()
    uow.history(
        target.value,
        entity_id,
        "fields_changed",
        before={key: before[key] for key in changed},
        after={key: after[key] for key in changed},
    )
    return changed


async def delete_values(uow: UnitOfWork, *, entity: str, entity_ids: Sequence[int]) -> None:
    """Remove every value of rows that go away (a contact deleted, tickets purged): `field_values`
    has no foreign key to them, one table serving every entity."""
    require_write(uow.actor)
    if entity_ids:
        await uow.session.execute(
            delete(FieldValue).where(
                FieldValue.entity == queries.entity_of(entity).value,
                FieldValue.entity_id.in_(list(entity_ids)),
            )
        )


async def merge_values(uow: UnitOfWork, *, entity: str, from_id: int, to_id: int) -> tuple[str, ...]:
    """Two rows become one (contacts or tickets merged): the target keeps its own values and takes the
    source's for fields where it has none; the source's other values go. Returns the keys taken over
    (recorded in the target's history)."""
    require_write(uow.actor)
    target = queries.entity_of(entity)
    rows = await uow.session.execute(
        select(FieldValue.entity_id, FieldValue.field_id).where(
            FieldValue.entity == target.value, FieldValue.entity_id.in_([from_id, to_id])
        )
    )
    held: dict[int, set[int]] = {from_id: set(), to_id: set()}
    for entity_id, field_id in rows.all():
        held[entity_id].add(field_id)
    taken = sorted(held[from_id] - held[to_id])
    if taken:
        before = (await queries.values_of(uow.session, target, [to_id]))[to_id]
        moving = select(FieldValue).where(
            FieldValue.entity == target.value,
            FieldValue.entity_id == from_id,
            FieldValue.field_id.in_(taken),
        )
        for value in (await uow.session.execute(moving)).scalars():
            value.entity_id = to_id
        await uow.session.flush()
    await delete_values(uow, entity=target.value, entity_ids=[from_id])
    if not taken:
        return ()
    after = (await queries.values_of(uow.session, target, [to_id]))[to_id]
    return uow.history_of_changes(target.value, to_id, before=before, after=after, action="fields_changed")
