"""Companies and contacts as bulk rows, with every column `contacts.actions` would fill: public ids,
names as `_name` leaves them, emails normalised (primary first), the folded `search_text`, a company
joined by the mail domain as `create_contact` does, phones for some.

Seven contacts in ten work at a company (mail at the company's domain); the rest write from free
mail. One in ten has a second, private address. They were all imported before the history starts (created then,
by nobody), so no ticket is older than its contact. Same seed, same people.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from bench import texts
from bench.codes import public_id
from bench.draw import between, one_of
from bench.rows import PEOPLE_TABLES, Rows, Values, empty_rows
from bench.workspace import address, ascii_fold, person_name, pick_language
from linka.domains.contacts.actions import normalise_email
from linka.domains.contacts.queries import search_text

FREEMAIL = ("seznam.example", "centrum.example", "freemail.example", "citromail.example", "gmail.example")
AT_COMPANY = 0.7
SECOND_EMAIL = 0.1
WITH_PHONE = 0.4
IMPORTED_DAYS = 365  # contacts were created within this many days before the history starts


@dataclass
class Contacts:
    """What ticket generation needs of the contacts (index k is contact id first_id + k)."""

    first_id: int
    languages: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    emails: list[tuple[str, ...]] = field(default_factory=list)  # primary first
    companies: list[int | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.names)


@dataclass
class FirstIds:
    companies: int = 1
    company_domains: int = 1
    contacts: int = 1
    contact_emails: int = 1
    contact_phones: int = 1


@lru_cache(maxsize=4096)
def _folded(name: str) -> str:
    """The name's part of `queries.search_text` (names repeat: each is folded once)."""
    return search_text(name, [])


def company_count(contacts: int) -> int:
    return max(5, contacts // 10)


def build_people(
    *,
    seed: int,
    contacts: int,
    history_start: int,
    first: FirstIds,
    values: Values,
    made: Callable[[int], None] = lambda count: None,
) -> tuple[Rows, Contacts]:
    """The rows of the companies and contacts, and what ticket generation needs of the contacts;
    `made(count)` now and then."""
    rng = random.Random(f"linka-bench-people:{seed}")
    rows = empty_rows(PEOPLE_TABLES)
    key = rng.getrandbits(60)

    def imported() -> object:
        return values.time(history_start - between(rng, 0, IMPORTED_DAYS * 86400))

    companies: list[tuple[int, str, str]] = []  # id, domain, language
    for number in range(company_count(contacts)):
        company_id = first.companies + number
        language = pick_language(rng)
        words, forms = texts.COMPANY_WORDS[language]
        name = f"{one_of(rng, words)} {one_of(rng, texts.CITIES)} {number + 1} {one_of(rng, forms)}"
        domain = f"{'-'.join(ascii_fold(name).replace('.', '').split()[:3])}.example"
        created = imported()
        rows["companies"].append((company_id, public_id("co", company_id, key), name, "", created, created))
        rows["company_domains"].append((first.company_domains + number, company_id, domain))
        companies.append((company_id, domain, language))
    people = Contacts(first.contacts)
    email_id, phone_id = first.contact_emails, first.contact_phones
    for number in range(contacts):
        contact_id = first.contacts + number
        company = one_of(rng, companies) if rng.random() < AT_COMPANY else None
        language = company[2] if company and rng.random() < 0.9 else pick_language(rng)
        name = " ".join(person_name(rng, language).split())
        emails = [
            normalise_email(address(name, number + 1, company[1] if company else one_of(rng, FREEMAIL)))
        ]
        if rng.random() < SECOND_EMAIL:
            emails.append(normalise_email(address(f"{name} home", number + 1, one_of(rng, FREEMAIL))))
        created = imported()
        rows["contacts"].append(
            (
                contact_id,
                public_id("ct", contact_id, key),
                name,
                language,
                company[0] if company else None,  # the primary address's domain is the company's
                "",
                "\n".join([_folded(name), *emails]),  # queries.search_text(name, emails)
                None,
                created,
                created,
            )
        )
        for position, email in enumerate(emails):
            rows["contact_emails"].append((email_id, contact_id, email, values.flag(position == 0)))
            email_id += 1
        if rng.random() < WITH_PHONE:
            phone = (
                f"+{one_of(rng, ('420', '36', '44'))} {between(rng, 600, 799)} {between(rng, 100000, 999999)}"
            )
            rows["contact_phones"].append((phone_id, contact_id, phone, values.flag(True)))
            phone_id += 1
        people.languages.append(language)
        people.names.append(name)
        people.emails.append(tuple(emails))
        people.companies.append(company[0] if company else None)
        if number % 10_000 == 9_999:
            made(10_000)
    made(contacts % 10_000)
    return rows, people
