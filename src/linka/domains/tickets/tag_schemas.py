"""What the API accepts and returns for tags and a ticket's custom field values. Tags are `tg_…`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, UnsetType

from linka.domains.accounts.schemas import Input
from linka.domains.fields.schemas import FieldValuesIn
from linka.domains.tickets.models import Tag

COLOUR_PATTERN = r"^#[0-9A-Fa-f]{6}$"
DEFAULT_COLOUR = "#6b7280"

TagName = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
Colour = Annotated[str, msgspec.Meta(pattern=COLOUR_PATTERN, description="`#rrggbb`")]


class TagIn(Input):
    """A private tag (the default) is for agents only: never shown to customers in the portal or mail."""

    name: TagName
    colour: Colour = DEFAULT_COLOUR
    is_public: bool = False


class TagPatch(Input):
    name: TagName | UnsetType = UNSET
    colour: Colour | UnsetType = UNSET
    is_public: bool | UnsetType = UNSET


class TagOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    colour: str
    is_public: bool
    # The same fact spelled for people reading the JSON: "public" or "private".
    visibility: str
    created_at: datetime

    @classmethod
    def from_model(cls, tag: Tag) -> TagOut:
        return cls(
            id=tag.public_id,
            name=tag.name,
            colour=tag.colour,
            is_public=tag.is_public,
            visibility="public" if tag.is_public else "private",
            created_at=tag.created_at,
        )


class TagPage(msgspec.Struct, kw_only=True):
    items: list[TagOut]
    next_cursor: str | None


class TicketTagsOut(msgspec.Struct, kw_only=True):
    """A ticket's tags after a change, by name."""

    ticket: str
    tags: list[TagOut]


class TicketFieldsIn(Input):
    """Values by field key; fields not named keep their values, `null` clears one."""

    fields: FieldValuesIn


class TicketFieldsOut(msgspec.Struct, kw_only=True):
    """Every ticket field after the change (unset: null; a checkbox false; a multi-select [])."""

    ticket: str
    fields: dict[str, Any]
