"""How a generated ticket becomes rows: its state while its life is made (the columns the actions'
events move), and the chunk's rows, where each message group is written with its messages as
thread_actions._add_group writes them, and finally the ticket's row and its search document, composed by
the domain's own `ticket_terms` from the thread as written (the HTML-twin rule of `_thread_texts`
included).

Ticket ids are dense; each chunk of CHUNK tickets owns a range of GROUP_BUDGET message-group ids
(MESSAGE_BUDGET message ids, VALUE_BUDGET field value ids) per ticket, so chunks made by different
processes never collide, and those ids leave gaps between chunks."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench import texts
from bench.codes import public_id
from bench.draw import between, one_of, weighted
from bench.people import Contacts
from bench.rhythm import DAY, HOUR
from bench.rows import TICKET_TABLES, Values, empty_rows
from bench.workspace import Workspace
from linka.domains.fields.values import Kind, parse
from linka.domains.tickets.search import MAX_MESSAGE_CHARS, html_text, ticket_terms

CHUNK = 2_000
GROUP_BUDGET = 8
MESSAGE_BUDGET = 16
VALUE_BUDGET = 4
SLA_HOURS = (72, 24, 8, 2)  # by priority: the SLA feature is not built yet
TOPIC_TAGS = {
    "support": ("heslo", "mobilní aplikace", "tiskárna", "onboarding"),
    "technical": ("api", "bug", "integrace", "export"),
    "billing": ("faktura", "számla", "refund"),
    "sales": ("nabídka", "sleva", "b2b"),
    "returns": ("reklamace", "doprava", "szállítás", "záruka", "garancia"),
}
WAITING = ("new", "open")
INTERNAL_KINDS = frozenset({"internal_note", "transfer", "resolve", "postpone", "merged", "split", "system"})


@dataclass(frozen=True)
class FirstIds:
    group: int
    message: int
    value: int


class TicketState:
    """One ticket as its life is made: the columns the events move, its thread's search texts."""

    __slots__ = (
        "activity",
        "assignee",
        "before_trash",
        "cc",
        "channel",
        "closed",
        "code",
        "contact",
        "created",
        "created_by",
        "custom_status",
        "customer_messages",
        "department",
        "first_assigned",
        "first_reply",
        "follow_up_of",
        "id",
        "language",
        "last_customer",
        "last_reply",
        "last_reply_text",
        "merged_in",
        "merged_into",
        "postponed_until",
        "priority",
        "reopens",
        "replies",
        "resolved",
        "sla",
        "status",
        "subject",
        "tags",
        "texts",
        "topic",
        "transfers",
        "updated",
    )  # fmt: skip

    def __init__(self, ticket_id: int, created: int) -> None:
        self.id = ticket_id
        self.created = self.updated = self.activity = created
        self.assignee: int | None = None
        self.custom_status: int | None = None
        self.created_by: int | None = None
        self.postponed_until: int | None = None
        self.sla: int | None = None
        self.before_trash: str | None = None
        self.merged_into: int | None = None
        self.follow_up_of: int | None = None
        self.first_assigned: int | None = None
        self.first_reply: int | None = None
        self.last_reply: int | None = None
        self.last_customer: int | None = None
        self.resolved: int | None = None
        self.closed: int | None = None
        self.reopens = self.replies = self.customer_messages = self.transfers = 0
        self.status = "new"
        # The thread's search texts: (time, group id, texts) per group, in thread order.
        self.texts: list[tuple[int, int, list[str]]] = []
        self.merged_in = False
        self.tags: list[str] = []
        self.cc: list[int] = []
        self.last_reply_text = ""

    def moved(self, when: int) -> None:
        """What every write to the ticket does: updated_at and last_activity_at move (a merge writes
        into a ticket whose later life is already made: they never go back)."""
        self.updated = max(self.updated, when)
        self.activity = max(self.activity, when)

    def change_status(self, status: str, when: int) -> None:
        """status_changes.change_status: the timestamps and counters a status change moves."""
        if status == self.status:
            return  # unchanged: nothing moves
        if status == "resolved":
            self.resolved = when
        if self.status in ("resolved", "closed") and status in ("open", "answered", "new"):
            self.reopens += 1
        if status == "closed":
            self.closed = when
        if status in ("spam", "deleted") and self.status not in ("spam", "deleted"):
            self.before_trash = self.status
        if status != "postponed":
            self.postponed_until = None
        self.status = status
        self.moved(when)


class ChunkRows:
    """One chunk's rows and id counters, and the writing of a ticket's thread and row into them."""

    def __init__(self, index: int, first: FirstIds, values: Values, key: int, contacts: Contacts) -> None:
        self.rows = empty_rows(TICKET_TABLES)
        self.values, self.key, self.contacts = values, key, contacts
        self.group_id = first.group + index * CHUNK * GROUP_BUDGET
        self.group_end = self.group_id + CHUNK * GROUP_BUDGET
        self.message_id = first.message + index * CHUNK * MESSAGE_BUDGET
        self.message_end = self.message_id + CHUNK * MESSAGE_BUDGET
        self.value_id = first.value + index * CHUNK * VALUE_BUDGET
        self.tickets: list[TicketState] = []
        self.last_of: dict[int, TicketState] = {}  # contact → their latest ticket in this chunk
        self.json_cache: dict[tuple[Any, ...], str] = {}

    def check_budgets(self) -> None:
        if self.group_id > self.group_end or self.message_id > self.message_end:
            raise RuntimeError("a chunk outgrew its id range: raise GROUP_BUDGET / MESSAGE_BUDGET")

    def line(
        self,
        ticket: TicketState,
        kind: str,
        agent: int | None,
        when: int,
        text: str,
        line: dict[str, str] | None,
    ) -> None:
        """thread_actions.add_system_line: an internal line about what an action did."""
        self.group(ticket, kind, when, [("system", text, None)], agent=agent, line=line)

    def group(
        self,
        ticket: TicketState,
        kind: str,
        when: int,
        parts: list[Any],
        *,
        agent: int | None = None,
        contact: int | None = None,
        origin: str = "web",
        subject: str = "",
        recipients: str | None = None,
        message_id: str | None = None,
        line: dict[str, str] | None = None,
        into: TicketState | None = None,
    ) -> None:
        """One message group with its messages (thread_actions._add_group), written on `ticket` and moved
        `into` another when merged. Parts are (kind, body, field name), chat lines also (author agent,
        sent at, meta)."""
        values = self.values
        owner = into or ticket
        group_id = self.group_id
        self.group_id += 1
        self.rows["message_groups"].append(
            (
                group_id,
                public_id("mg", group_id, self.key),
                owner.id,
                kind,
                values.flag(kind in INTERNAL_KINDS),
                agent if contact is None else None,
                None if contact is None else self.contacts.first_id + contact,
                origin,
                subject,
                recipients or "{}",
                message_id,
                ticket.id if into is not None else None,
                None if line is None else self._json(line),
                values.time(when),
            )
        )
        has_text = any(part[0] == "text" for part in parts)
        searched: list[str] = []
        messages = self.rows["messages"]
        message_id_ = self.message_id
        for position, part in enumerate(parts, start=1 if kind == "chat" else 0):
            part_kind, body, field_name = part[0], part[1], part[2]
            if len(part) > 3:
                author, sent, meta = part[3], values.time(part[4]), part[5]
            else:
                author = sent = meta = None
            messages.append(
                (message_id_, group_id, owner.id, part_kind, position, body, field_name, author, sent, meta)
            )
            message_id_ += 1
            # What _thread_texts reads of it: the label, then the body (an HTML body only when the
            # group has no plain text saying the same).
            if field_name:
                searched.append(field_name)
            text = body[:MAX_MESSAGE_CHARS]
            if part_kind == "html":
                text = "" if has_text else html_text(text)
            if text:
                searched.append(text)
        self.message_id = message_id_
        owner.texts.append((when, group_id, searched))
        ticket.moved(when)

    def _json(self, value: dict[str, str]) -> str:
        """JSON of a system line: the same few come back again and again."""
        key = tuple(value.items())
        found = self.json_cache.get(key)
        if found is None:
            found = self.json_cache[key] = self.values.json(value)
            if len(self.json_cache) > 100_000:
                self.json_cache.clear()
        return found

    def finish(self, ticket: TicketState) -> None:
        """The ticket's row and its search document, once every group (merged ones too) is known."""
        t, time, maybe = ticket, self.values.time, self.values.maybe_time
        if t.merged_in:
            t.texts.sort(key=lambda entry: (entry[0], entry[1]))  # thread order: time, then id
        messages = [text for _, _, texts_ in t.texts for text in texts_]
        contacts = self.contacts
        terms = ticket_terms(
            t.code, t.subject, contacts.names[t.contact], contacts.emails[t.contact], t.tags, messages
        )
        self.rows["ticket_search"].append((t.id, terms))
        self.rows["tickets"].append(
            (
                t.id,
                t.code,
                t.subject,
                contacts.first_id + t.contact,
                t.department,
                t.assignee,
                t.status,
                t.custom_status,
                t.priority,
                t.channel,
                t.language,
                t.created_by,
                time(t.created),
                time(t.updated),
                time(t.activity),
                maybe(t.postponed_until),
                maybe(t.sla),
                t.before_trash,
                t.merged_into,
                t.follow_up_of,
                maybe(t.first_assigned),
                maybe(t.first_reply),
                maybe(t.last_reply),
                maybe(t.last_customer),
                maybe(t.resolved),
                maybe(t.closed),
                t.reopens,
                t.replies,
                t.customer_messages,
                t.transfers,
            )
        )

    def extras(
        self,
        rng: random.Random,
        ticket: TicketState,
        particulars: dict[str, str],
        space: Workspace,
        tag_weights: list[float],
    ) -> None:
        """SLA due time, custom status, tags, CCs and field values."""
        status = ticket.status
        if status in WAITING and rng.random() < 0.6:
            # The SLA feature is not built yet: some waiting tickets get a due time, for the importance sort.
            ticket.sla = (ticket.last_customer or ticket.created) + SLA_HOURS[ticket.priority] * HOUR
        if status in space.custom_statuses and rng.random() < 0.15:
            ticket.custom_status = one_of(rng, space.custom_statuses[status])
        if rng.random() < 0.55:
            chosen = set()
            if rng.random() < 0.7:
                chosen.add(one_of(rng, TOPIC_TAGS[ticket.topic]))
            for _ in range(weighted(rng, (0, 1, 2), (50, 90, 100)) + (0 if chosen else 1)):
                chosen.add(weighted(rng, texts.TAGS, tag_weights))
            ticket.tags = sorted(chosen, key=space.tag_order.__getitem__)
            self.rows["ticket_tags"].extend((ticket.id, space.tags[name]) for name in ticket.tags)
        first_contact = self.contacts.first_id
        self.rows["ticket_cc"].extend((ticket.id, first_contact + other) for other in ticket.cc)
        wanted: list[tuple[str, Kind, object]] = []
        if ticket.topic in ("returns", "sales") and rng.random() < 0.6:
            wanted.append(("order_number", Kind.TEXT, particulars["order"]))
        if rng.random() < 0.4:
            wanted.append(("product", Kind.SELECT, particulars["product"]))
        if ticket.topic in ("billing", "sales") and rng.random() < 0.3:
            wanted.append(("order_value", Kind.NUMBER, round(rng.uniform(200, 90_000), 2)))
        if ticket.topic == "returns" and rng.random() < 0.5:
            bought = datetime.fromtimestamp(ticket.created - between(rng, 2 * DAY, 400 * DAY), UTC)
            wanted.append(("purchase_date", Kind.DATE, bought.date().isoformat()))
        for key, kind, value in wanted:
            options = list(texts.PRODUCTS) if kind is Kind.SELECT else []
            for stored in parse(kind, options, key, value):  # what fields.actions.set_values stores
                self.rows["field_values"].append(
                    (self.value_id, space.fields[key], "ticket", ticket.id, stored.text, stored.number)
                )
                self.value_id += 1
