"""Reads of contacts and companies with the actor's permissions applied.

Who sees a contact: whoever sees all contacts (admins, owners, the system, and agents whose role grants
manage_contacts), and an agent who may see at least one of the contact's tickets or who created it.
Who sees a company: whoever sees all contacts, and an agent who sees at least one of its contacts.
Lists, details, searches and counts all compose the same conditions, so they never disagree; an
invisible contact or company is "not found", never "forbidden", so its existence does not leak.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from linka.core.db import dialect_of, one_of_parameter
from linka.core.errors import Invalid, NotFound
from linka.core.pagination import Page, check_limit, decode_cursor, encode_cursor
from linka.core.permissions import Actor, Permission
from linka.domains.contacts.models import Company, CompanyDomain, Contact, ContactEmail, ContactPhone
from linka.domains.fields import queries as fields_queries
from linka.domains.tickets import queries as tickets_queries

_PUBLIC_ID = re.compile(r"[a-z]{2}_[0-9a-z]{12}")
_MAX_KEY = 2**63 - 1
SEARCH_MAX = 200


def fold(text: str) -> str:
    """Lower case without diacritics: what search compares ("Šárka" → "sarka")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def search_text(name: str, emails: Iterable[str]) -> str:
    return "\n".join([fold(name), *emails])


def sees_all_contacts(actor: Actor) -> bool:
    return actor.has(Permission.MANAGE_CONTACTS)


def visible_contact_condition(actor: Actor) -> ColumnElement[bool]:
    if sees_all_contacts(actor):
        return true()
    conditions = [tickets_queries.visible_tickets_of_contact_exist(actor, Contact.id)]
    if actor.agent_id is not None:
        conditions.append(Contact.created_by_agent_id == actor.agent_id)
    return or_(*conditions)


def visible_company_condition(actor: Actor) -> ColumnElement[bool]:
    if sees_all_contacts(actor):
        return true()
    return (
        select(Contact.id).where(Contact.company_id == Company.id, visible_contact_condition(actor)).exists()
    )


# ---- single contacts and companies -------------------------------------------------------------


async def contact_is_visible(session: AsyncSession, actor: Actor, contact_id: int) -> bool:
    query = select(Contact.id).where(Contact.id == contact_id, visible_contact_condition(actor))
    return (await session.execute(query)).first() is not None


async def visible_contact(session: AsyncSession, actor: Actor, contact_id: int) -> Contact:
    query = select(Contact).where(Contact.id == contact_id, visible_contact_condition(actor))
    contact = (await session.execute(query)).scalar_one_or_none()
    if contact is None:
        raise NotFound("contact")
    return contact


async def contact_id_of(
    session: AsyncSession, actor: Actor, public_id: str, *, field: str | None = None
) -> int:
    """The key of a contact the actor may see, by its public id. Unknown or invisible: NotFound, or
    Invalid(field) when the id came in a request body."""
    found = None
    if _PUBLIC_ID.fullmatch(public_id):
        query = select(Contact.id).where(Contact.public_id == public_id, visible_contact_condition(actor))
        found = (await session.execute(query)).scalar_one_or_none()
    if found is None:
        if field is not None:
            raise Invalid(field, "no such contact")
        raise NotFound("contact")
    return int(found)


async def company_is_visible(session: AsyncSession, actor: Actor, company_id: int) -> bool:
    query = select(Company.id).where(Company.id == company_id, visible_company_condition(actor))
    return (await session.execute(query)).first() is not None


async def visible_company(session: AsyncSession, actor: Actor, company_id: int) -> Company:
    query = select(Company).where(Company.id == company_id, visible_company_condition(actor))
    company = (await session.execute(query)).scalar_one_or_none()
    if company is None:
        raise NotFound("company")
    return company


async def company_id_of(
    session: AsyncSession, actor: Actor, public_id: str, *, field: str | None = None
) -> int:
    found = None
    if _PUBLIC_ID.fullmatch(public_id):
        query = select(Company.id).where(Company.public_id == public_id, visible_company_condition(actor))
        found = (await session.execute(query)).scalar_one_or_none()
    if found is None:
        if field is not None:
            raise Invalid(field, "no such company")
        raise NotFound("company")
    return int(found)


async def company_for_email_domains(session: AsyncSession, emails: Sequence[str]) -> int | None:
    """The company whose mail domain matches the first email that has one (no visibility: the
    system decides where a new contact belongs)."""
    domains = [email.rpartition("@")[2] for email in emails]
    if not domains:
        return None
    rows = await session.execute(
        select(CompanyDomain.domain, CompanyDomain.company_id).where(CompanyDomain.domain.in_(domains))
    )
    by_domain = dict(rows.all())
    for domain in domains:
        if domain in by_domain:
            return int(by_domain[domain])
    return None


async def emails_of(session: AsyncSession, contact_id: int) -> list[str]:
    return (await contact_emails(session, [contact_id])).get(contact_id, [])


async def phones_of(session: AsyncSession, contact_id: int) -> list[str]:
    return (await contact_phones(session, [contact_id])).get(contact_id, [])


async def domains_of(session: AsyncSession, company_id: int) -> list[str]:
    return (await company_domains(session, [company_id])).get(company_id, [])


# ---- loading what a page shows, one query per kind ---------------------------------------------


@dataclass
class ContactView:
    contact: Contact
    emails: list[str]
    phones: list[str]
    company: tuple[str, str] | None  # (public id, name)
    # Every contact custom field by key (unset: None; see fields.values for each kind's shape).
    fields: dict[str, object]


@dataclass
class CompanyView:
    company: Company
    domains: list[str]
    contact_count: int  # contacts the actor may see


# A contact's or company's list values: (owner, value, order within the owner), one statement each,
# built once per engine (building a statement costs more than running it: architecture.md, Hot reads).
_CHILD_VALUES: dict[str, tuple[InstrumentedAttribute[int], InstrumentedAttribute[str], tuple[Any, ...]]] = {
    "emails": (
        ContactEmail.contact_id,
        ContactEmail.email,
        (ContactEmail.is_primary.desc(), ContactEmail.id),
    ),
    "phones": (
        ContactPhone.contact_id,
        ContactPhone.phone,
        (ContactPhone.is_primary.desc(), ContactPhone.id),
    ),
    "domains": (CompanyDomain.company_id, CompanyDomain.domain, (CompanyDomain.domain,)),
}


async def contact_emails(session: AsyncSession, contact_ids: Sequence[int]) -> dict[int, list[str]]:
    """Emails per contact, the primary first."""
    return await _values_by_owner(session, "emails", contact_ids)


async def contact_phones(session: AsyncSession, contact_ids: Sequence[int]) -> dict[int, list[str]]:
    """Phones per contact, the primary first."""
    return await _values_by_owner(session, "phones", contact_ids)


async def company_domains(session: AsyncSession, company_ids: Sequence[int]) -> dict[int, list[str]]:
    """Domains per company, alphabetically."""
    return await _values_by_owner(session, "domains", company_ids)


@functools.cache
def _values_query(dialect: str, which: str) -> Select[int, str]:
    owner, value, order = _CHILD_VALUES[which]
    return select(owner, value).where(one_of_parameter(dialect, owner, "owner_ids")).order_by(owner, *order)


async def _values_by_owner(
    session: AsyncSession, which: str, owner_ids: Sequence[int]
) -> dict[int, list[str]]:
    """One query for a child table's values of many owners (a page of contacts), no N+1."""
    found: dict[int, list[str]] = defaultdict(list)
    if owner_ids:
        query = _values_query(dialect_of(session), which)
        rows = await session.execute(query, {"owner_ids": list(owner_ids)})
        for owner_id, item in rows.all():
            found[owner_id].append(item)
    return found


async def contact_views(session: AsyncSession, contacts: Sequence[Contact]) -> list[ContactView]:
    """Emails, phones, companies and custom fields of many contacts in at most four queries."""
    ids = [contact.id for contact in contacts]
    emails = await contact_emails(session, ids)
    phones = await contact_phones(session, ids)
    company_ids = {contact.company_id for contact in contacts if contact.company_id is not None}
    companies: dict[int, tuple[str, str]] = {}
    if company_ids:
        rows = await session.execute(
            select(Company.id, Company.public_id, Company.name).where(Company.id.in_(company_ids))
        )
        companies = {row.id: (row.public_id, row.name) for row in rows.all()}
    fields = await fields_queries.values_of(session, "contact", ids)
    return [
        ContactView(
            contact=contact,
            emails=emails.get(contact.id, []),
            phones=phones.get(contact.id, []),
            company=companies.get(contact.company_id) if contact.company_id is not None else None,
            fields=fields.get(contact.id, {}),
        )
        for contact in contacts
    ]


async def contact_view(session: AsyncSession, contact: Contact) -> ContactView:
    return (await contact_views(session, [contact]))[0]


async def company_views(
    session: AsyncSession, actor: Actor, companies: Sequence[Company]
) -> list[CompanyView]:
    """Domains and visible-contact counts of many companies in two queries."""
    ids = [company.id for company in companies]
    domains = await company_domains(session, ids)
    counts: dict[int, int] = {}
    if ids:
        rows = await session.execute(
            select(Contact.company_id, func.count())
            .where(Contact.company_id.in_(ids), visible_contact_condition(actor))
            .group_by(Contact.company_id)
        )
        counts = {int(company_id or 0): int(count) for company_id, count in rows.all()}
    return [
        CompanyView(
            company=company, domains=domains.get(company.id, []), contact_count=counts.get(company.id, 0)
        )
        for company in companies
    ]


# ---- lists, searches and counts ----------------------------------------------------------------


def check_text(field: str, value: str, max_length: int) -> str:
    """Refuse what no database stores the same way: NUL characters and broken Unicode."""
    if len(value) > max_length:
        raise Invalid(field, "at most %(max)s characters", values={"max": max_length})
    if "\x00" in value:
        raise Invalid(field, "must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise Invalid(field, "not valid Unicode text") from exc
    return value


def _clean_param(field: str, value: str | None, max_length: int) -> str | None:
    if value is None:
        return None
    return check_text(field, value.strip(), max_length) or None


def _int_key(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_KEY:
        raise Invalid("cursor", "not a cursor this API handed out")
    return value


def _contact_filters(
    actor: Actor,
    *,
    q: str | None = None,
    company_id: int | None = None,
    company: str | None = None,
    email: str | None = None,
) -> list[ColumnElement[bool]]:
    conditions = [visible_contact_condition(actor)]
    q = _clean_param("q", q, SEARCH_MAX)
    if q:
        conditions.append(Contact.search_text.contains(fold(q), autoescape=True))
    if company_id is not None:
        conditions.append(Contact.company_id == company_id)
    company = _clean_param("company", company, 24)
    if company:
        conditions.append(
            Contact.company_id.in_(select(Company.id).where(Company.public_id == company).scalar_subquery())
        )
    email = _clean_param("email", email, 254)
    if email:
        conditions.append(
            select(ContactEmail.id)
            .where(ContactEmail.contact_id == Contact.id, ContactEmail.email == email.lower())
            .exists()
        )
    return conditions


async def list_contacts(
    session: AsyncSession,
    actor: Actor,
    *,
    q: str | None = None,
    company_id: int | None = None,
    company: str | None = None,
    email: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[ContactView]:
    """Contacts the actor may see, newest first; `q` searches names and emails (folded substring),
    `company` is a company's public id, `email` an exact address."""
    size = check_limit(limit)
    query: Select[Contact] = select(Contact).where(
        *_contact_filters(actor, q=q, company_id=company_id, company=company, email=email)
    )
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(Contact.id < _int_key(after[0]))
    contacts = list((await session.execute(query.order_by(Contact.id.desc()).limit(size + 1))).scalars())
    more = len(contacts) > size
    contacts = contacts[:size]
    next_cursor = encode_cursor([contacts[-1].id]) if more else None
    return Page(items=await contact_views(session, contacts), next_cursor=next_cursor)


async def count_contacts(
    session: AsyncSession,
    actor: Actor,
    *,
    q: str | None = None,
    company_id: int | None = None,
    company: str | None = None,
    email: str | None = None,
) -> int:
    query = (
        select(func.count())
        .select_from(Contact)
        .where(*_contact_filters(actor, q=q, company_id=company_id, company=company, email=email))
    )
    return int((await session.execute(query)).scalar_one())


def _company_filters(actor: Actor, *, q: str | None = None) -> list[ColumnElement[bool]]:
    conditions = [visible_company_condition(actor)]
    q = _clean_param("q", q, SEARCH_MAX)
    if q:
        # Company names have no folded column: lower() folds ASCII on both engines, and the words as
        # typed still find a name with capitals and accents; a mail domain is found by its part.
        needle = q.lower()
        conditions.append(
            or_(
                func.lower(Company.name).contains(needle, autoescape=True),
                Company.name.contains(q, autoescape=True),
                select(CompanyDomain.id)
                .where(
                    CompanyDomain.company_id == Company.id,
                    CompanyDomain.domain.contains(needle, autoescape=True),
                )
                .exists(),
            )
        )
    return conditions


async def list_companies(
    session: AsyncSession,
    actor: Actor,
    *,
    q: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[CompanyView]:
    """Companies the actor may see, by name; `q` finds part of a name or of a mail domain."""
    size = check_limit(limit)
    query: Select[Company] = select(Company).where(*_company_filters(actor, q=q))
    after = decode_cursor(cursor, arity=2)
    if after is not None:
        if not isinstance(after[0], str):
            raise Invalid("cursor", "not a cursor this API handed out")
        name, key = check_text("cursor", after[0], 200), _int_key(after[1])
        query = query.where(or_(Company.name > name, (Company.name == name) & (Company.id > key)))
    companies = list(
        (await session.execute(query.order_by(Company.name, Company.id).limit(size + 1))).scalars()
    )
    more = len(companies) > size
    companies = companies[:size]
    next_cursor = encode_cursor([companies[-1].name, companies[-1].id]) if more else None
    return Page(items=await company_views(session, actor, companies), next_cursor=next_cursor)


async def count_companies(session: AsyncSession, actor: Actor, *, q: str | None = None) -> int:
    query = select(func.count()).select_from(Company).where(*_company_filters(actor, q=q))
    return int((await session.execute(query)).scalar_one())


async def contact_by_email(session: AsyncSession, email: str) -> Contact | None:
    """The contact owning an (already normalised) email address, visible or not: for channels."""
    query = (
        select(Contact)
        .join(ContactEmail, ContactEmail.contact_id == Contact.id)
        .where(ContactEmail.email == email)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def contact_summaries(
    session: AsyncSession, contact_ids: Sequence[int]
) -> dict[int, tuple[str, str, str | None]]:
    """(public id, name, primary email) per contact, in two queries: for lists of other things."""
    ids = sorted(set(contact_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(Contact.id, Contact.public_id, Contact.name).where(Contact.id.in_(ids))
    )
    emails = await contact_emails(session, ids)
    return {
        int(contact_id): (public_id, name, next(iter(emails.get(contact_id, [])), None))
        for contact_id, public_id, name in rows.all()
    }


def contact_ids_of_company(company_id: int) -> Select[Any]:
    """A subquery of the contacts of a company, for filters of other domains (tickets by company)."""
    return select(Contact.id).where(Contact.company_id == company_id)
