"""Filling an answer's variables (`{contact.first_name}`) with a ticket's facts.

`render_answer` is pure: values are HTML-escaped into the body and kept plain in the subject. A variable
not in the mapping is left as written, so a typo shows in the reply instead of vanishing; a known one
without a value becomes empty. `answer_variables` loads the mapping for a ticket the actor may see.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.permissions import Actor
from linka.domains.accounts import queries as accounts_queries
from linka.domains.contacts import queries as contacts_queries
from linka.domains.fields import queries as fields_queries
from linka.domains.tickets import queries as tickets_queries

# The variables every ticket has, in the order the docs and the editor list them.
VARIABLES: tuple[str, ...] = (
    "contact.name",
    "contact.first_name",
    "contact.email",
    "company.name",
    "ticket.code",
    "ticket.subject",
    "ticket.url",
    "agent.name",
    "agent.first_name",
    "department.name",
)
TICKET_FIELD = "ticket.field."
CONTACT_FIELD = "contact.field."
_VARIABLE = re.compile(r"\{([a-z][a-z_]*(?:\.[a-z0-9_]+){1,3})\}")
# How a ticked or unticked checkbox field reads in the ticket's language.
_YES_NO = {"en": ("yes", "no"), "cs": ("ano", "ne"), "hu": ("igen", "nem")}


class Renderable(Protocol):
    subject: str | None
    body_html: str


def fill(text: str, variables: Mapping[str, str], *, escape: bool) -> str:
    """`text` with each known `{variable}` replaced (HTML-escaped when `escape`); unknown ones stay."""

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in variables:
            return match.group(0)
        value = variables[key]
        return html.escape(value, quote=True) if escape else value

    return _VARIABLE.sub(replace, text)


def render_answer(answer: Renderable, variables: Mapping[str, str]) -> tuple[str | None, str]:
    """(subject, body_html) with the variables filled in; the subject is None when the answer has
    none (the reply keeps its own)."""
    subject = fill(answer.subject, variables, escape=False) if answer.subject else None
    # A subject is one line: a value with a line break must not split it.
    if subject is not None:
        subject = " ".join(subject.split())
    return subject, fill(answer.body_html, variables, escape=True)


def first_name(name: str) -> str:
    words = name.split()
    return words[0] if words else ""


def field_text(value: object, language: str) -> str:
    """A custom field value as a person reads it: options joined, a checkbox as yes/no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        yes, no = _YES_NO.get(language, _YES_NO["en"])
        return yes if value else no
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


async def answer_variables(
    session: AsyncSession, actor: Actor, ticket_code: str, base_url: str
) -> dict[str, str]:
    """Every variable of a ticket the actor may see (NotFound otherwise): the standard ones, and
    `ticket.field.<key>` / `contact.field.<key>` for each defined custom field. `ticket.url` is the
    ticket's page in the agent app under `base_url`."""
    ticket = await tickets_queries.visible_ticket(session, actor, ticket_code)
    contact = await contacts_queries.visible_contact(session, actor, ticket.contact_id)
    view = await contacts_queries.contact_view(session, contact)
    departments = await accounts_queries.department_names(session, [ticket.department_id])
    ticket_fields = (await fields_queries.values_of(session, "ticket", [ticket.id])).get(ticket.id, {})
    agent_name = actor.name if actor.agent_id is not None else ""
    variables = {
        "contact.name": contact.name,
        "contact.first_name": first_name(contact.name),
        "contact.email": view.emails[0] if view.emails else "",
        "company.name": view.company[1] if view.company is not None else "",
        "ticket.code": ticket.code,
        "ticket.subject": ticket.subject,
        "ticket.url": f"{base_url.rstrip('/')}/tickets/{ticket.code}",
        "agent.name": agent_name,
        "agent.first_name": first_name(agent_name),
        "department.name": departments.get(ticket.department_id, ""),
    }
    for key, value in ticket_fields.items():
        variables[TICKET_FIELD + key] = field_text(value, ticket.language)
    for key, value in view.fields.items():
        variables[CONTACT_FIELD + key] = field_text(value, ticket.language)
    return variables
