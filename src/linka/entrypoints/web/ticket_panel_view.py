"""What the ticket page's side panel shows: properties with the choices the actor has, custom fields,
the contact with their other tickets. Loaded in a fixed number of queries, whatever the data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.errors import NotFound
from linka.core.i18n import Translator
from linka.core.permissions import Actor, DepartmentRole, Permission, department_role_at_least
from linka.domains.accounts import queries as accounts_queries
from linka.domains.contacts import queries as contacts_queries
from linka.domains.fields import queries as fields_queries
from linka.domains.fields.models import CustomField
from linka.domains.tickets import custom_status_queries, list_queries, tag_queries, view_queries
from linka.domains.tickets.list_queries import TicketFilters
from linka.domains.tickets.models import Tag, Ticket
from linka.domains.tickets.schemas import TagRef, TicketOut
from linka.domains.tickets.statuses import Status, may_move
from linka.entrypoints.web.labels import PRIORITY_LABELS, STATUS_LABELS

# Statuses set by hand from the panel (postponing takes a time; chats and calls set their own).
NOT_BY_HAND = frozenset({Status.INIT, Status.CHATTING, Status.CALLING, Status.POSTPONED})
PRIORITIES = list(PRIORITY_LABELS.items())
OTHER_TICKETS = 10
TAG_CHOICES = 100


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    selected: bool = False


@dataclass(frozen=True)
class FieldInput:
    """A custom field as a form input: its definition, label in the agent's language, and value."""

    definition: CustomField
    label: str
    value: Any

    @property
    def key(self) -> str:
        return self.definition.key

    @property
    def kind(self) -> str:
        return self.definition.kind

    @property
    def text(self) -> str:
        return "" if self.value is None or isinstance(self.value, list | bool) else str(self.value)


@dataclass
class ContactPanel:
    public_id: str
    name: str
    emails: list[str]
    phones: list[str]
    company: str | None
    other_tickets: list[Ticket]


@dataclass
class PanelView:
    ticket: Ticket
    out: TicketOut
    status_label: str
    statuses: list[Choice]
    departments: list[Choice]
    assignees: list[Choice]
    assignee_name: str | None
    tags: list[TagRef]
    tag_choices: list[Tag]
    may_create_tags: bool
    fields: list[FieldInput]
    contact: ContactPanel | None
    postpone_value: str
    supervises: bool
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""
    merge_confirm: dict[str, str] | None = None
    status_labels: dict[str, str] = field(default_factory=lambda: STATUS_LABELS)

    @property
    def version(self) -> int:
        """The ticket's last change in microseconds: the page keeps the newest panel it was sent
        (static/js/app.js, keepNewestVersion), so a refresh rendered before a change cannot undo it."""
        return round(self.ticket.updated_at.timestamp() * 1_000_000)

    @property
    def priorities(self) -> list[Choice]:
        return [Choice(value, label, value == self.out.priority) for value, label in PRIORITIES]


def local_input_value(moment: datetime | None, translator: Translator) -> str:
    """A moment as a datetime-local input shows it, in the agent's time zone."""
    if moment is None:
        return ""
    return moment.astimezone(translator.zone).strftime("%Y-%m-%dT%H:%M")


def _status_choices(ticket: Ticket, out: TicketOut, language: str, statuses: list[Any]) -> list[Choice]:
    """The current status, then those the transition table lets this ticket move to by hand."""
    current = Status(ticket.status)
    choices: list[Choice] = []
    for view in statuses:
        category = Status(view.category)
        is_current = (
            view.id == out.custom_status if out.custom_status else view.builtin and category is current
        )
        if is_current:
            choices.insert(0, Choice(view.id, view.label(language), True))
        elif category not in NOT_BY_HAND and category is not current and may_move(current, category):
            choices.append(Choice(view.id, view.label(language)))
    return choices


async def panel_view(
    session: AsyncSession, actor: Actor, ticket: Ticket, translator: Translator
) -> PanelView:
    """The side panel of a ticket the caller has checked the actor may see."""
    out = await view_queries.ticket_out(session, ticket)
    language = translator.language
    statuses = await custom_status_queries.list_statuses(session, actor)
    status_choices = _status_choices(ticket, out, language, statuses)
    current_label = (
        status_choices[0].label if status_choices and status_choices[0].selected else ticket.status
    )
    departments = (await accounts_queries.list_departments(session, actor, limit=100)).items
    agents = await accounts_queries.agents_working_tickets_in(session, ticket.department_id)
    assignee_name = None
    if ticket.assignee_id is not None:
        assignee_name = (await accounts_queries.agent_summaries(session, [ticket.assignee_id])).get(
            ticket.assignee_id, ("", "?")
        )[1]
    on_ticket = {tag.id for tag in out.tags}
    all_tags = (await tag_queries.list_tags(session, actor, limit=TAG_CHOICES)).items
    definitions = await fields_queries.definitions(session, "ticket")
    fields = [
        FieldInput(
            definition=definition,
            label=(definition.translations or {}).get(language) or definition.label,
            value=out.fields.get(definition.key),
        )
        for definition in definitions
    ]
    return PanelView(
        ticket=ticket,
        out=out,
        status_label=current_label,
        statuses=status_choices,
        departments=[Choice(d.id, d.name, d.id == out.department) for d in departments],
        assignees=[Choice(public_id, name, public_id == out.assignee) for public_id, name in agents],
        assignee_name=assignee_name,
        tags=out.tags,
        tag_choices=[tag for tag in all_tags if tag.public_id not in on_ticket],
        may_create_tags=actor.has(Permission.MANAGE_SETTINGS),
        fields=fields,
        contact=await _contact_panel(session, actor, ticket),
        postpone_value=local_input_value(ticket.postponed_until, translator),
        supervises=department_role_at_least(actor, ticket.department_id, DepartmentRole.SUPERVISOR),
    )


async def _contact_panel(session: AsyncSession, actor: Actor, ticket: Ticket) -> ContactPanel | None:
    try:
        contact = await contacts_queries.visible_contact(session, actor, ticket.contact_id)
    except NotFound:
        return None
    view = await contacts_queries.contact_view(session, contact)
    page = await list_queries.list_tickets(
        session, actor, TicketFilters(contact_id=contact.id), sort="activity", limit=OTHER_TICKETS + 1
    )
    others = [other for other in page.items if other.id != ticket.id][:OTHER_TICKETS]
    return ContactPanel(
        public_id=contact.public_id,
        name=contact.name,
        emails=view.emails,
        phones=view.phones,
        company=view.company[1] if view.company is not None else None,
        other_tickets=others,
    )
