"""What the API accepts and returns for custom field definitions. Ids are public ids (`cf_…`).

Values travel as `"fields": {"<key>": value}` on the entity that holds them (a contact, a ticket);
their shape per kind is described in `values.py`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from linka.domains.accounts.schemas import Input
from linka.domains.fields.models import CustomField

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,59}$"

EntityName = Literal["ticket", "contact"]
KindName = Literal["text", "number", "date", "select", "multi_select", "checkbox"]
Key = Annotated[str, msgspec.Meta(min_length=1, max_length=60, pattern=KEY_PATTERN)]
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
Option = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Options = Annotated[list[Option], msgspec.Meta(max_length=200)]
# Labels in other languages: {"cs": "…", "hu": "…"} (other languages are refused with a 422).
Translations = Annotated[dict[str, Annotated[str, msgspec.Meta(max_length=120)]], msgspec.Meta(max_length=2)]
Position = Annotated[int, msgspec.Meta(ge=0, le=10000)]
# Values of the fields of one entity, by key: checked by kind in fields.actions.set_values.
FieldValuesIn = Annotated[
    dict[Annotated[str, msgspec.Meta(max_length=60)], Any], msgspec.Meta(max_length=200)
]


class CustomFieldIn(Input):
    """`key` is how the API and filters name the field (lower-case letters, digits, underscores),
    unique per entity; `options` only for select and multi_select."""

    entity: EntityName
    key: Key
    label: Label
    kind: KindName
    options: Options = []
    required: bool = False
    translations: Translations = {}
    position: Position = 0


class CustomFieldPatch(Input):
    """Only the fields given change. `entity`, `key` and `kind` are fixed once the field exists (stored
    values and filters depend on them). Removing an option that values still use is refused (409)."""

    label: Label | UnsetType = UNSET
    options: Options | UnsetType = UNSET
    required: bool | UnsetType = UNSET
    translations: Translations | UnsetType = UNSET
    position: Position | UnsetType = UNSET


class CustomFieldOut(msgspec.Struct, kw_only=True):
    id: str
    entity: str
    key: str
    label: str
    translations: dict[str, str]
    kind: str
    options: list[str]
    required: bool
    position: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, field: CustomField) -> CustomFieldOut:
        return cls(
            id=field.public_id,
            entity=field.entity,
            key=field.key,
            label=field.label,
            translations=dict(field.translations or {}),
            kind=field.kind,
            options=list(field.options or []),
            required=field.required,
            position=field.position,
            created_at=field.created_at,
            updated_at=field.updated_at,
        )


class CustomFieldList(msgspec.Struct, kw_only=True):
    """Every definition (they are few: at most `MAX_FIELDS` per entity), by entity and position."""

    items: list[CustomFieldOut]
