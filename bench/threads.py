"""Tickets with their threads as plain rows for bulk inserts: what the actions would have written after
two years of a busy helpdesk (statuses, assignees, metrics, tags, fields, CCs, message groups and
messages), made in seconds instead of the hours a million actions would take.

Spread: most tickets are closed; the active ones are recent; a few are spam, deleted, merged or
follow-ups. Threads hold about four messages: the customer's first message (an email with an HTML
twin now and then, a web form, a chat transcript or a call note), agent replies, customer answers
quoting the reply, internal notes and the system line of a resolve."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bench import texts
from bench.workspace import Contact, Workspace

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
STATUSES = (
    ("closed", 83.0),
    ("resolved", 3.0),
    ("answered", 2.2),
    ("open", 1.8),
    ("new", 1.6),
    ("postponed", 0.8),
    ("chatting", 0.05),
    ("calling", 0.05),
    ("spam", 4.0),
    ("deleted", 3.0),
)
# Days back a ticket in this status was created: most active tickets are days old.
RECENT_DAYS = {"new": 4, "open": 10, "chatting": 0.02, "calling": 0.02, "answered": 12, "postponed": 20}
CHANNELS = (("email", 55), ("form", 10), ("chat", 14), ("call", 8), ("api", 5), ("web", 8))
PRIORITIES = (0, 1, 2, 3)
PRIORITY_WEIGHTS = (10, 68, 17, 5)
SLA_HOURS = {0: 72, 1: 24, 2: 8, 3: 2}
ASSIGNED_SHARE = {"new": 0.1, "open": 0.75, "spam": 0.1, "deleted": 0.6, "chatting": 1.0, "calling": 1.0}
TOPIC_TAGS = {
    "support": ("heslo", "mobilní aplikace", "tiskárna", "onboarding"),
    "technical": ("api", "bug", "integrace", "export"),
    "billing": ("faktura", "számla", "refund"),
    "sales": ("nabídka", "sleva", "b2b"),
    "returns": ("reklamace", "doprava", "szállítás", "záruka", "garancia"),
}
HISTORY_DAYS = 730


@dataclass
class Rows:
    tickets: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    cc: list[dict[str, Any]] = field(default_factory=list)
    values: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Plan:
    """One ticket's fixed choices, drawn for all tickets first so ids follow creation time."""

    created_at: datetime
    status: str


class Threads:
    def __init__(
        self, rng: random.Random, space: Workspace, anchor: datetime, *, first_ids: tuple[int, int, int]
    ) -> None:
        self.rng = rng
        self.space = space
        self.anchor = anchor
        self.ticket_ids = itertools.count(first_ids[0])
        self.group_ids = itertools.count(first_ids[1])
        self.message_ids = itertools.count(first_ids[2])
        self.codes: set[str] = set()
        self.last_ticket_of: dict[int, int] = {}
        # A few contacts write often, most once or twice; who they are is left to chance.
        weights = [1 / (rank + 1) ** 0.6 for rank in range(len(space.contacts))]
        rng.shuffle(weights)
        self.contact_weights = list(itertools.accumulate(weights))
        self.tag_weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(texts.TAGS))))
        self.topics = list(space.department_of_topic)

    # ---- the plan: when and in which status -----------------------------------------------------

    def plans(self, count: int) -> list[Plan]:
        rng = self.rng
        names = [name for name, _ in STATUSES]
        weights = [weight for _, weight in STATUSES]
        plans = []
        for status in rng.choices(names, weights=weights, k=count):
            if status in RECENT_DAYS:
                age = timedelta(days=rng.expovariate(1 / RECENT_DAYS[status]))
            elif status == "resolved":
                age = timedelta(days=rng.uniform(0.2, 7))
            else:
                # Volume grows over the two years: half uniform, half weighted towards now.
                spread = rng.random() if rng.random() < 0.5 else 1 - rng.random() ** 0.5
                age = timedelta(days=7 + spread * (HISTORY_DAYS - 7))
            moment = self.anchor - age
            # Office hours mostly.
            moment = moment.replace(hour=rng.choice((7, 8, 9, 9, 10, 10, 11, 13, 14, 15, 16, 19, 22)))
            plans.append(Plan(min(moment, self.anchor - timedelta(minutes=5)), status))
        plans.sort(key=lambda plan: plan.created_at)
        return plans

    # ---- one ticket -------------------------------------------------------------------------------

    def add(self, plan: Plan, rows: Rows) -> None:
        rng, space = self.rng, self.space
        ticket_id = next(self.ticket_ids)
        topic = rng.choices(self.topics, weights=space.topic_weights)[0]
        department_id = space.department_of_topic[topic]
        contact = space.contacts[rng.choices(range(len(space.contacts)), cum_weights=self.contact_weights)[0]]
        status = plan.status
        channel = rng.choices([c for c, _ in CHANNELS], weights=[w for _, w in CHANNELS])[0]
        if status in ("chatting", "calling"):
            channel = "chat" if status == "chatting" else "call"
        priority = rng.choices(PRIORITIES, weights=PRIORITY_WEIGHTS)[0]
        assignee = None
        if rng.random() < ASSIGNED_SHARE.get(status, 0.95):
            assignee = rng.choice(space.solvers[department_id])
        language = contact.language
        words = texts.LANGUAGE_TEXTS[language]
        slots = self._slots(language)
        subject = rng.choice(words.subjects[topic]).format(**slots)
        ticket: dict[str, Any] = {
            "id": ticket_id,
            "code": self._code(),
            "subject": subject,
            "contact_id": contact.id,
            "department_id": department_id,
            "assignee_id": assignee,
            "status": status,
            "custom_status_id": None,
            "priority": priority,
            "channel": channel,
            "language": language,
            "created_by_agent_id": assignee if channel == "web" else None,
            "created_at": plan.created_at,
            "postponed_until": None,
            "sla_due_at": None,
            "status_before_trash": None,
            "merged_into_id": None,
            "follow_up_of_id": None,
            "first_assigned_at": None,
            "first_agent_reply_at": None,
            "last_agent_reply_at": None,
            "last_customer_message_at": None,
            "resolved_at": None,
            "closed_at": None,
            "reopen_count": 1 if rng.random() < 0.03 else 0,
            "agent_reply_count": 0,
            "customer_message_count": 0,
            "transfer_count": 1 if rng.random() < 0.08 else 0,
        }
        earlier = self.last_ticket_of.get(contact.id)
        self.last_ticket_of[contact.id] = ticket_id
        if earlier is not None and status == "closed" and rng.random() < 0.012:
            # A duplicate merged into the contact's earlier ticket: its thread went there.
            ticket["merged_into_id"] = earlier
            self._group(
                rows, ticket, "merged", [("system", "Merged into an earlier ticket")], plan.created_at
            )
            ticket["updated_at"] = ticket["last_activity_at"] = plan.created_at
            rows.tickets.append(ticket)
            return
        if earlier is not None and rng.random() < 0.02:
            ticket["follow_up_of_id"] = earlier
        self._thread(rows, ticket, topic, contact, assignee, slots)
        self._extras(rows, ticket, topic, contact, slots)
        rows.tickets.append(ticket)

    def _extras(
        self, rows: Rows, ticket: dict[str, Any], topic: str, contact: Contact, slots: dict[str, str]
    ) -> None:
        rng, space = self.rng, self.space
        status = ticket["status"]
        if status in ("new", "open") and rng.random() < 0.6:
            start = ticket["last_customer_message_at"] or ticket["created_at"]
            ticket["sla_due_at"] = start + timedelta(hours=SLA_HOURS[ticket["priority"]])
        if status == "postponed":
            ticket["postponed_until"] = self.anchor + timedelta(days=rng.uniform(1, 14))
        if status in ("spam", "deleted"):
            ticket["status_before_trash"] = (
                "new" if status == "spam" else rng.choice(("new", "closed", "open"))
            )
        if status in space.custom_statuses and status != "closed" and rng.random() < 0.15:
            ticket["custom_status_id"] = rng.choice(space.custom_statuses[status])
        if rng.random() < 0.55:
            chosen = set()
            if rng.random() < 0.7:
                chosen.add(rng.choice(TOPIC_TAGS[topic]))
            for _ in range(rng.choices((0, 1, 2), weights=(50, 40, 10))[0] + (0 if chosen else 1)):
                chosen.add(texts.TAGS[rng.choices(range(len(texts.TAGS)), cum_weights=self.tag_weights)[0]])
            rows.tags.extend(
                {"ticket_id": ticket["id"], "tag_id": space.tags[name]} for name in sorted(chosen)
            )
        if rng.random() < 0.04:
            other = rng.choice(space.contacts)
            if other.id != contact.id:
                rows.cc.append({"ticket_id": ticket["id"], "contact_id": other.id})
        if topic in ("returns", "sales") and rng.random() < 0.6:
            rows.values.append(self._value(ticket["id"], space.order_field_id, slots["order"]))
        if rng.random() < 0.4:
            rows.values.append(self._value(ticket["id"], space.product_field_id, slots["product"]))

    @staticmethod
    def _value(ticket_id: int, field_id: int, text: str) -> dict[str, Any]:
        return {
            "field_id": field_id,
            "entity": "ticket",
            "entity_id": ticket_id,
            "text": text,
            "number": None,
        }

    # ---- the thread -----------------------------------------------------------------------------

    def _thread(
        self,
        rows: Rows,
        ticket: dict[str, Any],
        topic: str,
        contact: Contact,
        assignee: int | None,
        slots: dict[str, str],
    ) -> None:
        rng = self.rng
        status = ticket["status"]
        language = ticket["language"]
        words = texts.LANGUAGE_TEXTS[language]
        # Each step: (who, when). Agents reply within hours, customers within a day.
        rounds = 1
        while rng.random() < 0.3 and rounds < 6:
            rounds += 1
        if status in ("new", "spam", "chatting", "calling"):
            rounds = 0
        elif status == "deleted":
            rounds = rng.choice((0, 1))
        last_by_customer = status in ("open", "new", "spam")
        times = self._times(ticket["created_at"], rounds, last_by_customer)
        agent = assignee or rng.choice(self.space.solvers[ticket["department_id"]])
        agent_name = self.space.agent_names[agent]
        moment = iter(times)
        first = next(moment)
        channel = ticket["channel"]
        last_reply = ""
        if channel == "chat":
            lines = []
            for turn in range(rng.randint(3, 8)):
                if turn % 2:
                    lines.append(("text", rng.choice(words.chat_agent)))
                else:
                    lines.append(("text", self._sentence(language, topic, slots)))
            self._group(rows, ticket, "chat", lines, first, contact=contact.id, origin="chat")
            self._customer(ticket, first)
        elif channel == "call":
            self._group(
                rows, ticket, "call", [("text", rng.choice(words.calls).format(**slots))], first, agent=agent
            )
            self._customer(ticket, first)
        elif channel == "web":
            last_reply = self._reply(words, topic, slots, agent_name)
            self._group(
                rows, ticket, "outgoing_email", [("text", last_reply)], first, agent=agent, origin="web"
            )
            self._agent(ticket, first)
        else:
            body = self._customer_text(language, topic, contact, slots)
            parts: list[tuple[str, ...]]
            if channel == "form":
                parts = [
                    ("form_field", contact.name, words.form_fields[0]),
                    ("form_field", slots["order"], words.form_fields[1]),
                    ("form_field", body, words.form_fields[2]),
                ]
            else:
                parts = [("text", body)]
                if rng.random() < 0.2:
                    parts.append(("html", "<p>" + body.replace("\n", "</p><p>") + "</p>"))
            self._group(rows, ticket, "incoming_email", parts, first, contact=contact.id, origin="mail")
            self._customer(ticket, first)
        agent_turn = channel != "web"
        for when in moment:
            if agent_turn:
                last_reply = self._reply(words, topic, slots, agent_name)
                self._group(rows, ticket, "outgoing_email", [("text", last_reply)], when, agent=agent)
                self._agent(ticket, when)
            else:
                parts = [("text", self._customer_text(language, topic, contact, slots, short=True))]
                if last_reply and rng.random() < 0.4:
                    quoted = "\n".join("> " + line for line in last_reply.splitlines())
                    parts.append(
                        ("quoted", f"{agent_name}, {when - timedelta(hours=5):%Y-%m-%d %H:%M}:\n{quoted}")
                    )
                self._group(rows, ticket, "incoming_email", parts, when, contact=contact.id, origin="mail")
                self._customer(ticket, when)
            agent_turn = not agent_turn
        end = times[-1]
        if rng.random() < 0.15:
            end += timedelta(minutes=rng.randint(5, 120))
            note = rng.choice(words.notes).format(**slots)
            self._group(rows, ticket, "internal_note", [("text", note)], end, agent=agent, internal=True)
        if assignee is not None:
            ticket["first_assigned_at"] = ticket["created_at"] + (end - ticket["created_at"]) / 4
        ticket["updated_at"] = ticket["last_activity_at"] = min(end, self.anchor)
        if status in ("resolved", "closed"):
            resolved = end + timedelta(minutes=rng.randint(1, 600))
            if rng.random() < 0.7:
                self._group(
                    rows, ticket, "resolve", [("system", f"Resolved by {agent_name}")], resolved, agent=agent
                )
                ticket["last_activity_at"] = resolved
            ticket["resolved_at"] = resolved
            ticket["updated_at"] = resolved
            if status == "closed":
                ticket["closed_at"] = ticket["updated_at"] = min(resolved + timedelta(days=7), self.anchor)
        elif status == "postponed":
            self._group(
                rows, ticket, "postpone", [("system", f"Postponed by {agent_name}")], end, agent=agent
            )

    def _times(self, start: datetime, rounds: int, last_by_customer: bool) -> list[datetime]:
        """The moments of the first message and of each later one, all before the anchor."""
        rng = self.rng
        steps = 2 * rounds - 1 + (1 if last_by_customer else 0) if rounds else 0
        offsets = [0.0]
        for step in range(steps):
            mean_hours = 4 if step % 2 == 0 else 20
            offsets.append(offsets[-1] + rng.expovariate(1 / mean_hours) + 0.05)
        room = (self.anchor - start).total_seconds() / 3600 - 0.1
        if offsets[-1] > room > 0:
            offsets = [offset * room / offsets[-1] for offset in offsets]
        return [start + timedelta(hours=offset) for offset in offsets]

    def _customer(self, ticket: dict[str, Any], when: datetime) -> None:
        ticket["customer_message_count"] += 1
        ticket["last_customer_message_at"] = when

    @staticmethod
    def _agent(ticket: dict[str, Any], when: datetime) -> None:
        ticket["agent_reply_count"] += 1
        ticket["first_agent_reply_at"] = ticket["first_agent_reply_at"] or when
        ticket["last_agent_reply_at"] = when

    def _group(
        self,
        rows: Rows,
        ticket: dict[str, Any],
        kind: str,
        parts: list[tuple[str, ...]],
        when: datetime,
        *,
        agent: int | None = None,
        contact: int | None = None,
        origin: str = "web",
        internal: bool = False,
    ) -> None:
        group_id = next(self.group_ids)
        recipients: dict[str, list[str]] = {}
        message_id = None
        if kind in ("incoming_email", "outgoing_email"):
            message_id = f"<{self.rng.getrandbits(64):016x}@mail.example>"
        if kind == "outgoing_email":
            recipients = {"to": [self._email_of(ticket)], "cc": []}
        rows.groups.append(
            {
                "id": group_id,
                "public_id": "mg_" + self._token(12).lower(),
                "ticket_id": ticket["id"],
                "kind": kind,
                "is_internal": internal or kind in ("resolve", "postpone", "merged"),
                "author_agent_id": agent if contact is None else None,
                "author_contact_id": contact,
                "origin": origin if contact is not None or kind == "outgoing_email" else "web",
                "subject": ticket["subject"] if kind.endswith("email") else "",
                "recipients": recipients,
                "email_message_id": message_id,
                "moved_from_ticket_id": None,
                "created_at": when,
            }
        )
        for position, part in enumerate(parts):
            rows.messages.append(
                {
                    "id": next(self.message_ids),
                    "group_id": group_id,
                    "ticket_id": ticket["id"],
                    "kind": part[0],
                    "position": position,
                    "body": part[1],
                    "field_name": part[2] if len(part) > 2 else None,
                    "attachment_id": None,
                }
            )

    def _email_of(self, ticket: dict[str, Any]) -> str:
        return f"contact{ticket['contact_id']}@mail.example"

    # ---- words --------------------------------------------------------------------------------

    def _slots(self, language: str) -> dict[str, str]:
        rng = self.rng
        year = rng.choice((2025, 2026))
        words = texts.LANGUAGE_TEXTS[language]
        return {
            "inv": f"FV-{year}-{rng.randrange(1, 99999):05d}",
            "order": f"{year}{rng.randrange(100000, 999999)}",
            "product": rng.choice(texts.PRODUCTS),
            "qty": str(rng.choice((5, 10, 20, 50, 100, 250, 1000))),
            "amount": f"{rng.randrange(200, 90000):,}".replace(",", " "),
            "date": f"{rng.randint(1, 28)}. {rng.randint(1, 12)}. {year}",
            "code": rng.choice(texts.ERROR_CODES),
            "version": f"{rng.randint(2, 5)}.{rng.randint(0, 12)}.{rng.randint(0, 9)}",
            "city": rng.choice(texts.CITIES),
            "phone": rng.choice(texts.PHONES),
            "rma": f"RMA-{rng.randrange(10000, 99999)}",
            "month": rng.choice(words.months),
        }

    def _sentence(self, language: str, topic: str, slots: dict[str, str]) -> str:
        words = texts.LANGUAGE_TEXTS[language]
        if language == "hu" and self.rng.random() < texts.RARE_RATE:
            return texts.RARE_SENTENCE_HU
        return self.rng.choice(words.customer[topic]).format(**slots)

    def _customer_text(
        self, language: str, topic: str, contact: Contact, slots: dict[str, str], *, short: bool = False
    ) -> str:
        rng = self.rng
        words = texts.LANGUAGE_TEXTS[language]
        body = [self._sentence(language, topic, slots) for _ in range(1 if short else rng.randint(1, 3))]
        if rng.random() < 0.4:
            body.append(rng.choice(words.general).format(**slots))
        closing = rng.choice(words.closings)
        return "\n\n".join([rng.choice(words.greetings), " ".join(body), f"{closing}\n{contact.name}"])

    def _reply(self, words: texts.Language, topic: str, slots: dict[str, str], agent_name: str) -> str:
        rng = self.rng
        body = [line.format(**slots) for line in rng.sample(words.replies[topic], rng.randint(1, 2))]
        return "\n\n".join(
            [rng.choice(words.reply_openers), " ".join(body), words.signature.format(agent=agent_name)]
        )

    def _token(self, length: int) -> str:
        return "".join(self.rng.choice(CODE_ALPHABET) for _ in range(length))

    def _code(self) -> str:
        while True:
            raw = self._token(9)
            code = f"{raw[0:3]}-{raw[3:6]}-{raw[6:9]}"
            if code not in self.codes:
                self.codes.add(code)
                return code
