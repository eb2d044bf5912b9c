"""What the API accepts and returns for ticket statuses: built-in ones and custom ones (`ts_…`)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from linka.domains.accounts.schemas import Input
from linka.domains.tickets.custom_status_queries import StatusView

StatusName = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
Category = Literal["new", "answered", "open", "postponed", "resolved", "closed", "spam", "deleted"]
# Names in other languages: {"cs": "…", "hu": "…"} (other languages are refused with a 422).
Translations = Annotated[dict[str, Annotated[str, msgspec.Meta(max_length=60)]], msgspec.Meta(max_length=2)]
Position = Annotated[int, msgspec.Meta(ge=0, le=10000)]


class CustomStatusIn(Input):
    """`name` is shown to agents (in `translations` for Czech and Hungarian ones); a ticket with this
    status behaves as `category`."""

    name: StatusName
    category: Category
    translations: Translations = {}
    position: Position = 0


class CustomStatusPatch(Input):
    """Only the fields given change; `category` only while no ticket has the status (409)."""

    name: StatusName | UnsetType = UNSET
    category: Category | UnsetType = UNSET
    translations: Translations | UnsetType = UNSET
    position: Position | UnsetType = UNSET


class StatusOut(msgspec.Struct, kw_only=True):
    """`id` is the status itself for built-ins (`open`), `ts_…` for custom ones; `label` is the name in
    the caller's language."""

    id: str
    builtin: bool
    category: str
    name: str
    translations: dict[str, str]
    label: str
    position: int

    @classmethod
    def from_view(cls, view: StatusView, language: str) -> StatusOut:
        return cls(
            id=view.id,
            builtin=view.builtin,
            category=view.category,
            name=view.name,
            translations=dict(view.translations),
            label=view.label(language),
            position=view.position,
        )


class StatusList(msgspec.Struct, kw_only=True):
    items: list[StatusOut]
