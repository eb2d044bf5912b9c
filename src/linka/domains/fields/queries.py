"""Reads of custom fields: definitions, the values of many entities at once, and list filters.

Definitions are workspace settings every signed-in agent may read (forms and lists show them). Values
are read for entities the caller has already checked the actor may see (a page of tickets, a contact).
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Executable, and_, false, func, not_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from linka.core.db import dialect_of, one_of_parameter
from linka.core.errors import Invalid, NotFound
from linka.core.permissions import Actor
from linka.domains.fields.models import CustomField, FieldValue
from linka.domains.fields.values import (
    FALSE_WORDS,
    TEXTUAL,
    TRUE_WORDS,
    Entity,
    Kind,
    Stored,
    date_of,
    field_name,
    from_text,
    number_from_text,
    number_of,
    parse,
    render,
)

_PUBLIC_ID = re.compile(r"[a-z]{2}_[0-9a-z]{12}")

IdColumn = ColumnElement[int] | InstrumentedAttribute[int]


def entity_of(value: str, *, field: str = "entity") -> Entity:
    try:
        return Entity(value)
    except ValueError:
        raise Invalid(field, "must be ticket or contact") from None


# ---- definitions -------------------------------------------------------------------------------


async def definitions(session: AsyncSession, entity: Entity | str | None = None) -> list[CustomField]:
    """Definitions in display order (by entity, position, key); of one entity when given."""
    query = select(CustomField).order_by(CustomField.entity, CustomField.position, CustomField.key)
    if entity is not None:
        query = query.where(CustomField.entity == entity_of(str(entity)).value)
    return list((await session.execute(query)).scalars())


async def list_fields(session: AsyncSession, actor: Actor, *, entity: str | None = None) -> list[CustomField]:
    """What every signed-in agent may read: the forms and lists they work with show these."""
    del actor  # definitions are not secret to agents; the parameter keeps the query shape uniform
    return await definitions(session, entity)


async def field_by_public_id(session: AsyncSession, public_id: str) -> CustomField:
    found = None
    if _PUBLIC_ID.fullmatch(public_id):
        query = select(CustomField).where(CustomField.public_id == public_id)
        found = (await session.execute(query)).scalar_one_or_none()
    if found is None:
        raise NotFound("custom field")
    return found


async def field_by_key(session: AsyncSession, entity: Entity | str, key: str) -> CustomField | None:
    query = select(CustomField).where(CustomField.entity == str(entity), CustomField.key == key)
    return (await session.execute(query)).scalar_one_or_none()


async def option_usage(session: AsyncSession, field_id: int, options: Sequence[str]) -> dict[str, int]:
    """How many entities hold each of these options of a select or multi-select field."""
    if not options:
        return {}
    rows = await session.execute(
        select(FieldValue.text, func.count(func.distinct(FieldValue.entity_id)))
        .where(FieldValue.field_id == field_id, FieldValue.text.in_(list(options)))
        .group_by(FieldValue.text)
    )
    return {text: int(count) for text, count in rows.all()}


# ---- values ------------------------------------------------------------------------------------


@functools.cache
def _values_query(dialect: str, entity: str) -> Executable:
    """Built once per engine and entity (building it cost more than running it)."""
    return (
        select(
            CustomField.key,
            CustomField.kind,
            CustomField.options,
            FieldValue.entity_id,
            FieldValue.text,
            FieldValue.number,
        )
        .outerjoin(
            FieldValue,
            and_(
                FieldValue.field_id == CustomField.id,
                FieldValue.entity == entity,
                one_of_parameter(dialect, FieldValue.entity_id, "ids"),
            ),
        )
        .where(CustomField.entity == entity)
        .order_by(CustomField.position, CustomField.key, FieldValue.id)
    )


async def values_of(
    session: AsyncSession, entity: Entity | str, ids: Sequence[int]
) -> dict[int, dict[str, object]]:
    """Every defined field of `entity` for each id, by key in display order; a field without a value
    reads as None (a checkbox as false, a multi-select as []). One query, whatever the number of ids:
    the definitions are joined with the values."""
    if not ids:
        return {}
    entity = entity_of(str(entity))
    unique_ids = sorted(set(ids))
    query = _values_query(dialect_of(session), entity.value)
    kinds: dict[str, tuple[Kind, list[str]]] = {}
    stored: dict[int, dict[str, list[Stored]]] = defaultdict(lambda: defaultdict(list))
    for key, kind, options, entity_id, text, number in (
        await session.execute(query, {"ids": unique_ids})
    ).all():
        kinds.setdefault(key, (Kind(kind), list(options or [])))
        if entity_id is not None:
            stored[entity_id][key].append(Stored(text, number))
    return {
        entity_id: {
            key: render(kind, options, stored.get(entity_id, {}).get(key, []))
            for key, (kind, options) in kinds.items()
        }
        for entity_id in unique_ids
    }


# ---- filters -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    """Inclusive bounds for a number or date field; either may be left out (None)."""

    low: object = None
    high: object = None


def _bound_number(value: object) -> float | None:
    number = number_of(value)
    if number is None and isinstance(value, str):
        number = number_from_text(value)
    return number


def _bound_day(value: object) -> float | None:
    day = date_of(value)
    return float(day.toordinal()) if day is not None else None


def field_filter(entity: Entity | str, key: str, value: object, id_column: IdColumn) -> ColumnElement[bool]:
    """A condition for a list query: the row whose id is `id_column` (e.g. `Ticket.id`) has `value` in
    the field `key`. The kind decides in SQL how the value compares, so no definition is loaded here:
    - a string matches text/select exactly, a multi-select holding that option, a number or a date
      written that way, a checkbox with "true"/"false";
    - a number or a date matches those kinds; True/False a checkbox (unticked = no value);
    - None: the field has no value; a list: any of its items; `Range(low, high)`: numbers or dates
      within the inclusive bounds.
    An unknown key matches nothing (use `checked_field_filter` to refuse it with a 422 instead)."""
    entity = str(entity)
    value_row = aliased(FieldValue)
    definition = aliased(CustomField)

    def rows(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
        return (
            select(value_row.id)
            .join(definition, definition.id == value_row.field_id)
            .where(
                definition.entity == entity,
                definition.key == key,
                value_row.entity == entity,
                value_row.entity_id == id_column,
                *conditions,
            )
            .exists()
        )

    def unticked() -> ColumnElement[bool]:
        is_checkbox = (
            select(CustomField.id)
            .where(CustomField.entity == entity, CustomField.key == key, CustomField.kind == Kind.CHECKBOX)
            .exists()
        )
        return and_(is_checkbox, not_(rows()))

    if value is None:
        return not_(rows())
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        return or_(*(field_filter(entity, key, item, id_column) for item in items)) if items else false()
    if isinstance(value, Range):
        return _range_filter(rows, definition.kind, value, value_row.number)
    if isinstance(value, bool):
        return rows(definition.kind == Kind.CHECKBOX, value_row.text == "true") if value else unticked()
    number = number_of(value)
    if number is not None:
        return rows(definition.kind == Kind.NUMBER, value_row.number == number)
    day = date_of(value)
    if day is not None and not isinstance(value, str):
        return rows(definition.kind == Kind.DATE, value_row.text == day.isoformat())
    if not isinstance(value, str):
        return false()
    text = value.strip()
    branches: list[ColumnElement[bool]] = [and_(definition.kind.in_(list(TEXTUAL)), value_row.text == text)]
    text_number = number_from_text(text)
    if text_number is not None:
        branches.append(and_(definition.kind == Kind.NUMBER, value_row.number == text_number))
    text_day = date_of(text)
    if text_day is not None:
        branches.append(and_(definition.kind == Kind.DATE, value_row.text == text_day.isoformat()))
    if text.lower() in TRUE_WORDS:
        branches.append(and_(definition.kind == Kind.CHECKBOX, value_row.text == "true"))
    condition = rows(or_(*branches))
    if text.lower() in FALSE_WORDS:
        condition = or_(condition, unticked())
    return condition


def _range_filter(
    rows: Callable[..., ColumnElement[bool]],
    kind_column: InstrumentedAttribute[str],
    value: Range,
    number_column: InstrumentedAttribute[float | None],
) -> ColumnElement[bool]:
    branches: list[ColumnElement[bool]] = []
    for kind, convert in ((Kind.NUMBER, _bound_number), (Kind.DATE, _bound_day)):
        low = convert(value.low) if value.low is not None else None
        high = convert(value.high) if value.high is not None else None
        if (value.low is not None and low is None) or (value.high is not None and high is None):
            continue  # the bounds are not of this kind
        bounds: list[ColumnElement[bool]] = [kind_column == kind]
        if low is not None:
            bounds.append(number_column >= low)
        if high is not None:
            bounds.append(number_column <= high)
        branches.append(and_(*bounds))
    if not branches:
        return false()
    return rows(or_(*branches))


async def checked_field_filter(
    session: AsyncSession, entity: Entity | str, key: str, value: object, id_column: IdColumn
) -> ColumnElement[bool]:
    """`field_filter` for values that come from a request: an unknown key, a value the field could
    never hold (not an option, not a number…) or a range on a kind without order is a 422 that names
    `fields.<key>`. Strings are read by the field's kind ("42" for a number, "true" for a checkbox)."""
    entity = entity_of(str(entity))
    definition = await field_by_key(session, entity, key)
    if definition is None:
        raise Invalid(field_name(key), "no such field")
    kind, options = Kind(definition.kind), list(definition.options or [])
    if isinstance(value, Range):
        if kind not in (Kind.NUMBER, Kind.DATE):
            raise Invalid(field_name(key), "only number and date fields take a range")
        convert = _bound_number if kind is Kind.NUMBER else _bound_day
        for bound in (value.low, value.high):
            if bound is not None and convert(bound) is None:
                raise Invalid(
                    field_name(key),
                    "%(bound)s is not a %(kind)s",
                    values={"bound": repr(bound), "kind": kind.value},
                )
        return field_filter(entity, key, value, id_column)
    items = list(value) if isinstance(value, list | tuple) else [value]
    for item in items:
        if item is None:
            continue
        typed = from_text(kind, item) if isinstance(item, str) else item
        if kind is Kind.MULTI_SELECT and not isinstance(typed, list):
            typed = [typed]
        parse(kind, options, key, typed)  # raises Invalid naming the field
    return field_filter(entity, key, value, id_column) if items else true()
