"""Events of the custom fields domain (definitions; a change of values is the entity's own event)."""

from __future__ import annotations

from dataclasses import dataclass

from linka.core.events import Event


@dataclass(frozen=True, kw_only=True)
class CustomFieldChanged(Event):
    """A definition was created or changed."""

    name = "custom_field.changed"
    field_id: int
    entity: str


@dataclass(frozen=True, kw_only=True)
class CustomFieldDeleted(Event):
    """A definition went, and every value of it with it."""

    name = "custom_field.deleted"
    field_id: int
    entity: str
    key: str
