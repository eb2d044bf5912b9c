"""What the API accepts and returns for contacts and companies. Ids are public ids (`ct_…`, `co_…`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from linka.domains.accounts.schemas import Email, Input
from linka.domains.contacts.queries import CompanyView, ContactView
from linka.domains.fields.schemas import FieldValuesIn

PHONE_PATTERN = r"^\+?[0-9][0-9 ()./-]{1,30}[0-9]$"
DOMAIN_PATTERN = (
    r"^@?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)

Name = Annotated[str, msgspec.Meta(max_length=200)]
CompanyName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Notes = Annotated[str, msgspec.Meta(max_length=20000)]
Phone = Annotated[str, msgspec.Meta(min_length=3, max_length=32, pattern=PHONE_PATTERN)]
Domain = Annotated[str, msgspec.Meta(min_length=3, max_length=253, pattern=DOMAIN_PATTERN)]
PublicRef = Annotated[str, msgspec.Meta(min_length=1, max_length=24)]
Language = Literal["en", "cs", "hu"]
Emails = Annotated[list[Email], msgspec.Meta(max_length=20)]
Phones = Annotated[list[Phone], msgspec.Meta(max_length=20)]
Domains = Annotated[list[Domain], msgspec.Meta(max_length=50)]


class ContactIn(Input):
    name: Name = ""
    emails: Emails = []
    phones: Phones = []
    language: Language | None = None
    company: PublicRef | None = None
    notes: Notes = ""
    # Custom field values by key (GET /custom-fields?entity=contact); required ones must be given.
    fields: FieldValuesIn = {}


class ContactPatch(Input):
    """Only the fields given change; `emails` and `phones` replace the whole list; `fields` changes
    the custom fields it names (null clears one)."""

    name: Name | UnsetType = UNSET
    emails: Emails | UnsetType = UNSET
    phones: Phones | UnsetType = UNSET
    language: Language | UnsetType | None = UNSET
    company: PublicRef | UnsetType | None = UNSET
    notes: Notes | UnsetType = UNSET
    fields: FieldValuesIn | UnsetType = UNSET


class MergeIn(Input):
    """Merge the contact of the path into `into` (a contact id); the former is deleted."""

    into: PublicRef


class CompanyIn(Input):
    name: CompanyName
    domains: Domains = []
    notes: Notes = ""


class CompanyPatch(Input):
    name: CompanyName | UnsetType = UNSET
    domains: Domains | UnsetType = UNSET
    notes: Notes | UnsetType = UNSET


class CompanyRef(msgspec.Struct, kw_only=True):
    id: str
    name: str


class ContactOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    emails: list[str]
    phones: list[str]
    language: str | None
    company: CompanyRef | None
    notes: str
    fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_view(cls, view: ContactView) -> ContactOut:
        contact = view.contact
        return cls(
            id=contact.public_id,
            name=contact.name,
            emails=view.emails,
            phones=view.phones,
            language=contact.language,
            company=CompanyRef(id=view.company[0], name=view.company[1]) if view.company else None,
            notes=contact.notes,
            fields=dict(view.fields),
            created_at=contact.created_at,
            updated_at=contact.updated_at,
        )


class ContactPage(msgspec.Struct, kw_only=True):
    items: list[ContactOut]
    next_cursor: str | None


class CompanyOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    domains: list[str]
    notes: str
    contact_count: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_view(cls, view: CompanyView) -> CompanyOut:
        company = view.company
        return cls(
            id=company.public_id,
            name=company.name,
            domains=view.domains,
            notes=company.notes,
            contact_count=view.contact_count,
            created_at=company.created_at,
            updated_at=company.updated_at,
        )


class CompanyPage(msgspec.Struct, kw_only=True):
    items: list[CompanyOut]
    next_cursor: str | None
