"""Writes of the contacts domain: contacts (emails, phones), companies (mail domains), merging.

Agents create contacts and edit the contacts they may see; deleting a contact and every change to
companies needs the permission manage_contacts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from msgspec import UNSET, UnsetType
from sqlalchemy import delete, select, update

from linka.core.errors import Conflict, Forbidden, Invalid
from linka.core.ids import public_id
from linka.core.permissions import Permission, require, require_write
from linka.core.uow import UnitOfWork
from linka.domains.contacts import queries
from linka.domains.contacts.events import (
    CompanyChanged,
    CompanyCreated,
    CompanyDeleted,
    ContactChanged,
    ContactCreated,
    ContactDeleted,
    ContactsMerged,
)
from linka.domains.contacts.models import Company, CompanyDomain, Contact, ContactEmail, ContactPhone
from linka.domains.fields import actions as fields_actions
from linka.domains.tickets import actions as tickets_actions
from linka.domains.tickets import queries as tickets_queries

LANGUAGES = ("en", "cs", "hu")
NAME_MAX = 200
NOTES_MAX = 20000
MAX_EMAILS = 20
MAX_PHONES = 20
MAX_DOMAINS = 50
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE_RE = re.compile(r"\+?[0-9][0-9 ()./-]{1,30}[0-9]")
DOMAIN_RE = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+")


# ---- validation --------------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _text(field: str, value: str, max_length: int) -> str:
    return queries.check_text(field, value.strip(), max_length)


def _name(value: str) -> str:
    return _text("name", " ".join(value.split()), NAME_MAX)


def _emails(values: list[str]) -> list[str]:
    found: list[str] = []
    for raw in values:
        email = queries.check_text("emails", normalise_email(raw), 254)
        if not EMAIL_RE.fullmatch(email):
            raise Invalid("emails", "%(raw)s is not an email address", values={"raw": repr(raw)})
        if email not in found:
            found.append(email)
    if len(found) > MAX_EMAILS:
        raise Invalid("emails", "at most %(max)s", values={"max": MAX_EMAILS})
    return found


def _phones(values: list[str]) -> list[str]:
    found: list[str] = []
    for raw in values:
        phone = " ".join(queries.check_text("phones", raw, 64).split())
        if not PHONE_RE.fullmatch(phone):
            raise Invalid("phones", "%(raw)s is not a phone number", values={"raw": repr(raw)})
        if phone not in found:
            found.append(phone)
    if len(found) > MAX_PHONES:
        raise Invalid("phones", "at most %(max)s", values={"max": MAX_PHONES})
    return found


def _domains(values: list[str]) -> list[str]:
    found: list[str] = []
    for raw in values:
        domain = queries.check_text("domains", raw.strip().lower().removeprefix("@"), 253)
        if not DOMAIN_RE.fullmatch(domain):
            raise Invalid("domains", "%(raw)s is not a mail domain", values={"raw": repr(raw)})
        if domain not in found:
            found.append(domain)
    if len(found) > MAX_DOMAINS:
        raise Invalid("domains", "at most %(max)s", values={"max": MAX_DOMAINS})
    return found


def _language(value: str | None) -> str | None:
    if value is not None and value not in LANGUAGES:
        raise Invalid(
            "language", "must be one of %(choices)s, or null", values={"choices": ", ".join(LANGUAGES)}
        )
    return value


def contact_snapshot(contact: Contact, emails: list[str], phones: list[str]) -> dict[str, Any]:
    return {
        "name": contact.name,
        "emails": emails,
        "phones": phones,
        "language": contact.language,
        "company_id": contact.company_id,
        "notes": contact.notes,
    }


async def _check_emails_free(uow: UnitOfWork, emails: list[str], *, contact_id: int | None = None) -> None:
    if not emails:
        return
    query = select(ContactEmail.email).where(ContactEmail.email.in_(emails))
    if contact_id is not None:
        query = query.where(ContactEmail.contact_id != contact_id)
    taken = sorted((await uow.session.execute(query)).scalars())
    if taken:
        raise Conflict(
            "emails",
            "already the email of another contact: %(choices)s",
            values={"choices": ", ".join(taken)},
        )


async def _check_domains_free(uow: UnitOfWork, domains: list[str], *, company_id: int | None = None) -> None:
    if not domains:
        return
    query = select(CompanyDomain.domain).where(CompanyDomain.domain.in_(domains))
    if company_id is not None:
        query = query.where(CompanyDomain.company_id != company_id)
    taken = sorted((await uow.session.execute(query)).scalars())
    if taken:
        raise Conflict(
            "domains",
            "already a domain of another company: %(choices)s",
            values={"choices": ", ".join(taken)},
        )


async def _company_id(uow: UnitOfWork, company_id: int) -> int:
    if not await queries.company_is_visible(uow.session, uow.actor, company_id):
        raise Invalid("company_id", "no such company")
    return company_id


async def _replace_emails(uow: UnitOfWork, contact: Contact, old: list[str], new: list[str]) -> None:
    gone = [email for email in old if email not in new]
    if gone:
        await uow.session.execute(
            delete(ContactEmail).where(ContactEmail.contact_id == contact.id, ContactEmail.email.in_(gone))
        )
    await uow.session.execute(
        update(ContactEmail).where(ContactEmail.contact_id == contact.id).values(is_primary=False)
    )
    for position, email in enumerate(new):
        if email not in old:
            uow.session.add(ContactEmail(contact_id=contact.id, email=email, is_primary=position == 0))
    if new and new[0] in old:
        await uow.session.execute(
            update(ContactEmail)
            .where(ContactEmail.contact_id == contact.id, ContactEmail.email == new[0])
            .values(is_primary=True)
        )


async def _replace_phones(uow: UnitOfWork, contact: Contact, new: list[str]) -> None:
    await uow.session.execute(delete(ContactPhone).where(ContactPhone.contact_id == contact.id))
    for position, phone in enumerate(new):
        uow.session.add(ContactPhone(contact_id=contact.id, phone=phone, is_primary=position == 0))


# ---- contacts ----------------------------------------------------------------------------------


async def create_contact(
    uow: UnitOfWork,
    *,
    name: str,
    emails: list[str] | None = None,
    phones: list[str] | None = None,
    language: str | None = None,
    company_id: int | None = None,
    notes: str = "",
    fields: Mapping[str, object] | None = None,
) -> Contact:
    """A new contact. Without `company_id`, a contact whose email domain is a company's joins it.
    `fields` (custom field values by key) are checked by kind, and required ones must be among them;
    channels that create contacts from what they know (an email address) pass none."""
    require_write(uow.actor)
    name = _name(name)
    clean_emails = _emails(emails or [])
    clean_phones = _phones(phones or [])
    language = _language(language)
    notes = _text("notes", notes, NOTES_MAX)
    if not (name or clean_emails or clean_phones):
        raise Invalid("name", "give a name, an email or a phone")
    await _check_emails_free(uow, clean_emails)
    if company_id is not None:
        company_id = await _company_id(uow, company_id)
    else:
        company_id = await queries.company_for_email_domains(uow.session, clean_emails)
    contact = Contact(
        public_id=public_id("ct"),
        name=name,
        language=language,
        company_id=company_id,
        notes=notes,
        search_text=queries.search_text(name, clean_emails),
        created_by_agent_id=uow.actor.agent_id,
        created_at=uow.now,
        updated_at=uow.now,
    )
    uow.session.add(contact)
    await uow.session.flush()
    for position, email in enumerate(clean_emails):
        uow.session.add(ContactEmail(contact_id=contact.id, email=email, is_primary=position == 0))
    for position, phone in enumerate(clean_phones):
        uow.session.add(ContactPhone(contact_id=contact.id, phone=phone, is_primary=position == 0))
    await uow.flush_or_conflict("emails", "already the email of another contact")
    uow.history("contact", contact.id, "created", after=contact_snapshot(contact, clean_emails, clean_phones))
    if fields is not None:
        await fields_actions.set_values(
            uow, entity="contact", entity_id=contact.id, values=fields, creating=True
        )
    uow.record(ContactCreated(contact_id=contact.id))
    return contact


async def update_contact(
    uow: UnitOfWork,
    *,
    contact_id: int,
    name: str | UnsetType = UNSET,
    emails: list[str] | UnsetType = UNSET,
    phones: list[str] | UnsetType = UNSET,
    language: str | UnsetType | None = UNSET,
    company_id: int | UnsetType | None = UNSET,
    notes: str | UnsetType = UNSET,
    fields: Mapping[str, object] | UnsetType = UNSET,
) -> Contact:
    """Change a contact the actor may see. Only given fields change; `emails` and `phones` replace the
    lists (the first is the primary one); `fields` sets the custom fields it names (None clears)."""
    require_write(uow.actor)
    contact = await queries.visible_contact(uow.session, uow.actor, contact_id)
    old_emails = await queries.emails_of(uow.session, contact.id)
    old_phones = await queries.phones_of(uow.session, contact.id)
    before = contact_snapshot(contact, old_emails, old_phones)
    new_emails, new_phones = old_emails, old_phones
    if not isinstance(name, UnsetType):
        contact.name = _name(name)
    if not isinstance(emails, UnsetType):
        new_emails = _emails(emails)
        await _check_emails_free(uow, new_emails, contact_id=contact.id)
    if not isinstance(phones, UnsetType):
        new_phones = _phones(phones)
    if not isinstance(language, UnsetType):
        contact.language = _language(language)
    if not isinstance(company_id, UnsetType):
        contact.company_id = None if company_id is None else await _company_id(uow, company_id)
    if not isinstance(notes, UnsetType):
        contact.notes = _text("notes", notes, NOTES_MAX)
    if not (contact.name or new_emails or new_phones):
        raise Invalid("name", "give a name, an email or a phone")
    if new_emails != old_emails:
        await _replace_emails(uow, contact, old_emails, new_emails)
    if new_phones != old_phones:
        await _replace_phones(uow, contact, new_phones)
    after = contact_snapshot(contact, new_emails, new_phones)
    changed = uow.history_of_changes("contact", contact.id, before=before, after=after)
    if not isinstance(fields, UnsetType) and await fields_actions.set_values(
        uow, entity="contact", entity_id=contact.id, values=fields
    ):
        changed = (*changed, "fields")
    if changed:
        contact.search_text = queries.search_text(contact.name, new_emails)
        contact.updated_at = uow.now
        await uow.flush_or_conflict("emails", "already the email of another contact")
        uow.record(ContactChanged(contact_id=contact.id, fields=changed))
    return contact


async def delete_contact(uow: UnitOfWork, *, contact_id: int) -> None:
    """Delete a contact without tickets (one with tickets is merged into another instead)."""
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_CONTACTS)
    contact = await queries.visible_contact(uow.session, uow.actor, contact_id)
    tickets = await tickets_queries.count_tickets_of_contact(uow.session, contact.id)
    if tickets:
        raise Conflict(
            "contact",
            "the contact has %(tickets)s ticket(s); merge it into another contact instead",
            values={"tickets": tickets},
        )
    emails = await queries.emails_of(uow.session, contact.id)
    phones = await queries.phones_of(uow.session, contact.id)
    uow.history(
        "contact",
        contact.id,
        "deleted",
        before={"public_id": contact.public_id, **contact_snapshot(contact, emails, phones)},
    )
    await fields_actions.delete_values(uow, entity="contact", entity_ids=[contact.id])
    await uow.session.delete(contact)
    await uow.session.flush()
    uow.record(ContactDeleted(contact_id=contact_id))


async def merge_contacts(uow: UnitOfWork, *, source_id: int, target_id: int) -> Contact:
    """Merge `source` into `target`: its emails, phones, tickets and notes move to the target (which
    keeps its own name, language and company, taking the source's where it has none); the source is
    deleted. An agent without manage_contacts must see both and every ticket of the source."""
    require_write(uow.actor)
    if source_id == target_id:
        raise Invalid("into", "a contact cannot be merged into itself")
    source = await queries.visible_contact(uow.session, uow.actor, source_id)
    target = await queries.visible_contact(uow.session, uow.actor, target_id)
    if not queries.sees_all_contacts(uow.actor) and await tickets_queries.invisible_tickets_of_contact(
        uow.session, uow.actor, source.id
    ):
        raise Forbidden("the contact has tickets you may not see; ask someone who manages contacts")
    source_emails = await queries.emails_of(uow.session, source.id)
    source_phones = await queries.phones_of(uow.session, source.id)
    target_emails = await queries.emails_of(uow.session, target.id)
    target_phones = await queries.phones_of(uow.session, target.id)
    source_before = contact_snapshot(source, source_emails, source_phones)
    target_before = contact_snapshot(target, target_emails, target_phones)

    await uow.session.execute(
        update(ContactEmail)
        .where(ContactEmail.contact_id == source.id)
        .values(contact_id=target.id, is_primary=False)
        .execution_options(synchronize_session=False)
    )
    emails = target_emails + source_emails
    if not target_emails and emails:
        await uow.session.execute(
            update(ContactEmail)
            .where(ContactEmail.contact_id == target.id, ContactEmail.email == emails[0])
            .values(is_primary=True)
        )
    phones = target_phones + [phone for phone in source_phones if phone not in target_phones]
    await _replace_phones(uow, target, phones)
    ticket_ids = await tickets_actions.move_contact_tickets(
        uow, from_contact_id=source.id, to_contact_id=target.id
    )
    target.notes = "\n\n".join(note for note in (target.notes.strip(), source.notes.strip()) if note)
    target.name = target.name or source.name
    target.language = target.language or source.language
    target.company_id = target.company_id or source.company_id
    target.search_text = queries.search_text(target.name, emails)
    target.updated_at = uow.now
    # Custom fields as the rest: the target keeps its values and takes the source's where it has none.
    fields_taken = await fields_actions.merge_values(
        uow, entity="contact", from_id=source.id, to_id=target.id
    )

    uow.history(
        "contact",
        source.id,
        "merged_into",
        before=source_before,
        after={"into": target.public_id, "tickets": ticket_ids},
    )
    uow.history(
        "contact",
        target.id,
        "merged",
        before=target_before,
        after={"from": source.public_id, "tickets": ticket_ids, **contact_snapshot(target, emails, phones)},
    )
    await uow.session.delete(source)
    await uow.session.flush()
    uow.record(ContactsMerged(source_id=source_id, target_id=target_id))
    uow.record(
        ContactChanged(
            contact_id=target.id, fields=("emails", "phones", "notes", *(("fields",) if fields_taken else ()))
        )
    )
    return target


# ---- companies ---------------------------------------------------------------------------------


def company_snapshot(company: Company, domains: list[str]) -> dict[str, Any]:
    return {"name": company.name, "domains": domains, "notes": company.notes}


def _company_name(value: str) -> str:
    name = _name(value)
    if not name:
        raise Invalid("name", "must not be empty")
    return name


async def create_company(
    uow: UnitOfWork, *, name: str, domains: list[str] | None = None, notes: str = ""
) -> Company:
    """A new company; contacts created later with an email at one of its `domains` join it."""
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_CONTACTS)
    name = _company_name(name)
    clean_domains = _domains(domains or [])
    notes = _text("notes", notes, NOTES_MAX)
    await _check_domains_free(uow, clean_domains)
    company = Company(
        public_id=public_id("co"), name=name, notes=notes, created_at=uow.now, updated_at=uow.now
    )
    uow.session.add(company)
    await uow.session.flush()
    for domain in clean_domains:
        uow.session.add(CompanyDomain(company_id=company.id, domain=domain))
    await uow.flush_or_conflict("domains", "already a domain of another company")
    uow.history("company", company.id, "created", after=company_snapshot(company, clean_domains))
    uow.record(CompanyCreated(company_id=company.id))
    return company


async def update_company(
    uow: UnitOfWork,
    *,
    company_id: int,
    name: str | UnsetType = UNSET,
    domains: list[str] | UnsetType = UNSET,
    notes: str | UnsetType = UNSET,
) -> Company:
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_CONTACTS)
    company = await queries.visible_company(uow.session, uow.actor, company_id)
    old_domains = await queries.domains_of(uow.session, company.id)
    before = company_snapshot(company, old_domains)
    new_domains = old_domains
    if not isinstance(name, UnsetType):
        company.name = _company_name(name)
    if not isinstance(notes, UnsetType):
        company.notes = _text("notes", notes, NOTES_MAX)
    if not isinstance(domains, UnsetType):
        new_domains = sorted(_domains(domains))
        await _check_domains_free(uow, new_domains, company_id=company.id)
        if new_domains != old_domains:
            await uow.session.execute(delete(CompanyDomain).where(CompanyDomain.company_id == company.id))
            for domain in new_domains:
                uow.session.add(CompanyDomain(company_id=company.id, domain=domain))
    after = company_snapshot(company, new_domains)
    changed = uow.history_of_changes("company", company.id, before=before, after=after)
    if changed:
        company.updated_at = uow.now
        await uow.flush_or_conflict("domains", "already a domain of another company")
        uow.record(CompanyChanged(company_id=company.id, fields=changed))
    return company


async def delete_company(uow: UnitOfWork, *, company_id: int) -> None:
    """Delete a company; its contacts stay, without a company."""
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_CONTACTS)
    company = await queries.visible_company(uow.session, uow.actor, company_id)
    domains = await queries.domains_of(uow.session, company.id)
    members = list(
        (await uow.session.execute(select(Contact.id).where(Contact.company_id == company.id))).scalars()
    )
    if members:
        await uow.session.execute(
            update(Contact)
            .where(Contact.id.in_(members))
            .values(company_id=None, updated_at=uow.now)
            .execution_options(synchronize_session="fetch")
        )
        for contact_id in members:
            uow.history(
                "contact",
                contact_id,
                "updated",
                before={"company_id": company.id},
                after={"company_id": None},
            )
    uow.history(
        "company",
        company.id,
        "deleted",
        before={"public_id": company.public_id, **company_snapshot(company, domains), "contacts": members},
    )
    await uow.session.delete(company)
    await uow.session.flush()
    uow.record(CompanyDeleted(company_id=company_id))
    for contact_id in members:
        uow.record(ContactChanged(contact_id=contact_id, fields=("company_id",)))


async def contact_for_email(
    uow: UnitOfWork, *, email: str, name: str = "", language: str | None = None, field: str = "email"
) -> Contact:
    """The contact with this email address, or a new one. Knowing the address is what an email
    channel knows, so the contact is found whether or not the actor could see it before."""
    require_write(uow.actor)
    clean = normalise_email(email)
    if len(clean) > 254 or not EMAIL_RE.fullmatch(clean):
        raise Invalid(field, "%(email)s is not an email address", values={"email": repr(email)})
    existing = await queries.contact_by_email(uow.session, clean)
    if existing is not None:
        return existing
    return await create_contact(uow, name=name, emails=[clean], language=language)
