"""Events of the contacts domain."""

from __future__ import annotations

from dataclasses import dataclass

from linka.core.events import Event


@dataclass(frozen=True, kw_only=True)
class ContactCreated(Event):
    name = "contact.created"
    contact_id: int


@dataclass(frozen=True, kw_only=True)
class ContactChanged(Event):
    name = "contact.changed"
    contact_id: int
    fields: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ContactDeleted(Event):
    name = "contact.deleted"
    contact_id: int


@dataclass(frozen=True, kw_only=True)
class ContactsMerged(Event):
    """`source_id` was merged into `target_id` and no longer exists."""

    name = "contacts.merged"
    source_id: int
    target_id: int


@dataclass(frozen=True, kw_only=True)
class CompanyCreated(Event):
    name = "company.created"
    company_id: int


@dataclass(frozen=True, kw_only=True)
class CompanyChanged(Event):
    name = "company.changed"
    company_id: int
    fields: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class CompanyDeleted(Event):
    name = "company.deleted"
    company_id: int
