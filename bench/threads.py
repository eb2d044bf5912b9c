"""Tickets with their threads as bulk rows: what the actions would have written after two years of a
busy helpdesk, made in minutes instead of the days a million actions would take.

Each ticket lives its life on the clock of bench/rhythm.py: it arrives (an email, a web form, the API,
a chat, a call, or an agent writing first), agents act in office hours and customers in waking hours,
and the story stops at the anchor (the generated "now"). So the status follows from the age, as in a
real helpdesk: old tickets are closed (7 days after being resolved, as the worker closes them), recent
ones resolved, answered, open, postponed or new, and the newest chats and calls are still going. A few
go to spam or the trash, a few duplicates are merged into the customer's open ticket, and a customer
writing after a ticket closed starts a follow-up. Every metric column is moved by the event that would
move it (see status_changes.change_status, thread_actions, chat_thread, merge_actions), so counts match
the thread.

Tickets are made in chunks of CHUNK, each from its own random stream (seed and chunk number), so a
chunk is the same whichever process makes it and in whatever order (the rows: bench/thread_rows.py)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from itertools import accumulate

from bench import talk, texts
from bench.codes import ticket_code
from bench.draw import between, one_of, weighted
from bench.people import Contacts
from bench.rhythm import DAY, HOUR, Rhythm
from bench.rows import Payload, Values
from bench.thread_rows import CHUNK, WAITING, ChunkRows, FirstIds, TicketState
from bench.workspace import AGENT_DOMAIN, Workspace
from linka.core import search as normalisation

CLOSE_AFTER_DAYS = 7  # Settings.close_resolved_after_days' default
SPAM = 0.035
DELETED = 0.03
# Channels while agents are at work (chat and phone are staffed), and outside office hours.
OFFICE_CHANNELS = (("email", 50), ("form", 9), ("chat", 17), ("call", 10), ("api", 6), ("web", 8))
OFF_CHANNELS = (("email", 76), ("form", 14), ("api", 10))
PRIORITY_WEIGHTS = (10, 68, 17, 5)  # low, normal, high, urgent
PRIORITIES = (0, 1, 2, 3)
# The customer answers an agent's reply (the first one, later ones); a reply quotes the agent's.
ANSWERS = (0.22, 0.18)
QUOTES = 0.3
HTML_TWINS = 0.12  # an email's HTML body beside its plain text
NOTES = 0.06
AGENT_HOURS = (20.0, 5.0, 2.5, 0.8)  # mean wait for an agent, by priority
CUSTOMER_HOURS = 16.0
MAX_ROUNDS = 5  # customer answers per ticket at most
TRANSFERRED = 0.07
ASSIGNED_AT_ONCE = 0.1  # routing rules assign some tickets on arrival
# Words whose search variants a process keeps (core/search.py keeps 65,536): the ticket, invoice and
# RMA numbers, email addresses and codes of a million tickets are mostly new words each time.
WORD_CACHE = 1 << 20


@dataclass(frozen=True)
class Plan:
    """What every chunk shares: the run's size, seed, clock, engine and first ids."""

    seed: int
    tickets: int
    anchor: int
    days: int
    dialect: str
    first_ticket: int
    first_group: int
    first_message: int
    first_value: int

    @property
    def chunks(self) -> int:
        return -(-self.tickets // CHUNK)


@dataclass
class Cast:
    """The people of the helpdesk, as the generators need them (workers get a pickled copy)."""

    workspace: Workspace
    contacts: Contacts
    integration_agent: int  # whose API key the shop's integration uses (API tickets' creator)


class ChunkMaker:
    """Makes the rows of any chunk of the run; one per process."""

    def __init__(self, plan: Plan, cast: Cast) -> None:
        _remember_more_words()
        self.plan, self.cast = plan, cast
        self.space, self.contacts = cast.workspace, cast.contacts
        self.values = Values(plan.dialect)
        self.rhythm = Rhythm(plan.anchor, plan.days, plan.seed)
        self.key = random.Random(f"linka-bench-codes:{plan.seed}").getrandbits(60)
        # A few contacts write often, most once or twice; who they are is left to chance.
        shuffle = random.Random(f"linka-bench-contacts:{plan.seed}")
        weights = [1 / (rank + 1) ** 0.6 for rank in range(len(self.contacts))]
        shuffle.shuffle(weights)
        self.contact_weights = list(accumulate(weights))
        self.contact_range = range(len(self.contacts))
        self.department_weights = list(accumulate(d.share for d in self.space.departments))
        self.tag_weights = list(accumulate(1 / (rank + 1) for rank in range(len(texts.TAGS))))
        self.department_names = {d.id: d.name for d in self.space.departments}
        self.priority_weights = list(accumulate(PRIORITY_WEIGHTS))
        self.office_channels = (
            [c for c, _ in OFFICE_CHANNELS],
            list(accumulate(w for _, w in OFFICE_CHANNELS)),
        )
        self.off_channels = ([c for c, _ in OFF_CHANNELS], list(accumulate(w for _, w in OFF_CHANNELS)))

    def make(self, index: int) -> tuple[int, Payload]:
        """The chunk's rows, as the loader of the engine takes them, and how many tickets they hold."""
        plan = self.plan
        rng = random.Random(f"linka-bench-chunk:{plan.seed}:{index}")
        first = FirstIds(plan.first_group, plan.first_message, plan.first_value)
        chunk = ChunkRows(index, first, self.values, self.key, self.contacts)
        for number in range(index * CHUNK, min(plan.tickets, (index + 1) * CHUNK)):
            self._ticket(chunk, rng, number)
        chunk.check_budgets()
        for ticket in chunk.tickets:
            chunk.finish(ticket)
        return len(chunk.tickets), self.values.pack(chunk.rows)

    # ---- one ticket ----------------------------------------------------------------------------------

    def _ticket(self, chunk: ChunkRows, rng: random.Random, number: int) -> None:
        plan, rhythm = self.plan, self.rhythm
        created = rhythm.moment((number + rng.random()) / plan.tickets)
        live = number >= plan.tickets - 2  # the newest two: a chat and a call still going
        if live:
            created = plan.anchor - between(rng, 200, 600)
        ticket = TicketState(plan.first_ticket + number, created)
        ticket.code = ticket_code(ticket.id, self.key)
        contact = weighted(rng, self.contact_range, self.contact_weights)
        ticket.contact = contact
        department = weighted(rng, self.space.departments, self.department_weights)
        ticket.department, ticket.topic = department.id, department.topic
        ticket.language = self.contacts.languages[contact]
        ticket.priority = weighted(rng, PRIORITIES, self.priority_weights)
        if live:
            ticket.channel = "chat" if number == plan.tickets - 2 else "call"
        else:
            names, weights = self.office_channels if rhythm.in_office(created) else self.off_channels
            ticket.channel = weighted(rng, names, weights)
        particulars = talk.slots(rng, ticket.language)
        ticket.subject = talk.subject(rng, ticket.language, ticket.topic, particulars)
        earlier = chunk.last_of.get(contact)
        chunk.last_of[contact] = ticket
        chunk.tickets.append(ticket)
        if earlier is not None and ticket.channel == "email" and earlier.merged_into is None:
            if self._duplicate(chunk, rng, ticket, earlier, particulars):
                return
            if earlier.closed is not None and earlier.closed <= created and rng.random() < 0.3:
                # The customer answered a closed ticket: the message starts a follow-up.
                ticket.follow_up_of = earlier.id
                ticket.subject, ticket.department, ticket.topic = (
                    earlier.subject,
                    earlier.department,
                    earlier.topic,
                )
                ticket.priority, ticket.language = earlier.priority, earlier.language
        if rng.random() < 0.04:
            other = weighted(rng, self.contact_range, self.contact_weights)
            if other != contact:
                ticket.cc.append(other)
        fate = rng.random()
        if fate < SPAM and ticket.channel in ("email", "form", "api"):
            self._arrives(chunk, rng, ticket, particulars)
            marked = rhythm.agents_at(created + int(rng.expovariate(1 / 3) * HOUR) + 60, rng)
            if marked <= plan.anchor:
                ticket.change_status("spam", marked)
        elif fate < SPAM + DELETED and not live:
            deleted = rhythm.agents_at(created + int(rng.expovariate(1 / 4) * DAY) + 300, rng)
            self._life(chunk, rng, ticket, particulars, min(deleted, plan.anchor))
            if deleted <= plan.anchor:
                ticket.change_status("deleted", deleted)
        else:
            self._life(chunk, rng, ticket, particulars, plan.anchor, live=live)
        chunk.extras(rng, ticket, particulars, self.space, self.tag_weights)

    def _duplicate(
        self,
        chunk: ChunkRows,
        rng: random.Random,
        ticket: TicketState,
        earlier: TicketState,
        particulars: dict[str, str],
    ) -> bool:
        """The same customer wrote again while their earlier ticket was open: an agent merges the new
        ticket into it (merge_actions): the thread moves over, the counters add up, a line says so."""
        created = ticket.created
        still_open = earlier.resolved is None or earlier.resolved > created
        if not still_open or earlier.status in ("spam", "deleted") or created - earlier.created > 5 * DAY:
            return False
        if rng.random() >= 0.3:
            return False
        merged = self.rhythm.agents_at(created + int(rng.expovariate(1 / 2) * HOUR) + 60, rng)
        if merged > self.plan.anchor:
            return False
        ticket.subject = earlier.subject
        self._arrives(chunk, rng, ticket, particulars, into=earlier)
        ticket.merged_into = earlier.id
        ticket.updated = merged
        earlier.customer_messages += ticket.customer_messages
        earlier.last_customer = max(earlier.last_customer or 0, created)
        agent = earlier.assignee or self._solver(rng, earlier.department)
        chunk.line(earlier, "merged", agent, merged, f"Merged into this ticket: {ticket.code}", None)
        earlier.merged_in = True
        return True

    # ---- the life of a ticket ----------------------------------------------------------------------------

    def _life(
        self,
        chunk: ChunkRows,
        rng: random.Random,
        ticket: TicketState,
        particulars: dict[str, str],
        horizon: int,
        *,
        live: bool = False,
    ) -> None:
        """Events from the ticket's arrival until `horizon` (the anchor, or when it was deleted); a live
        chat or call is still going at the horizon."""
        rhythm = self.rhythm
        channel = ticket.channel
        if channel == "chat":
            when = self._chat(chunk, rng, ticket, particulars, horizon, live)
        elif channel == "call":
            when = self._call(chunk, rng, ticket, particulars, horizon, live)
        elif channel == "web":
            ticket.created_by = ticket.assignee = self._solver(rng, ticket.department)
            ticket.first_assigned = ticket.created
            self._reply(chunk, rng, ticket, particulars, ticket.created, origin="web")
            when = ticket.created
        else:
            self._arrives(chunk, rng, ticket, particulars)
            if rng.random() < ASSIGNED_AT_ONCE:
                ticket.assignee = self._solver(rng, ticket.department)
                ticket.first_assigned = ticket.created
            when = ticket.created
        rounds = 0
        while True:
            status = ticket.status
            if status in WAITING:
                wait = int(rng.expovariate(1 / AGENT_HOURS[ticket.priority]) * HOUR) + 120
                acted = rhythm.agents_at(when + wait, rng)
                if not ticket.replies and not ticket.transfers and rng.random() < TRANSFERRED:
                    moved = when + (acted - when) // 3
                    if moved > horizon:
                        return
                    self._transfer(chunk, rng, ticket, moved)
                if acted > horizon:
                    return
                self._assign(rng, ticket, acted - between(rng, 30, 600))
                draw = rng.random()
                if rounds and draw < 0.06:
                    until = acted + between(rng, DAY, 14 * DAY)
                    self._postpone(chunk, ticket, acted, until)
                elif rounds and draw < 0.14:
                    self._resolve(chunk, ticket, acted)
                else:
                    if draw > 1 - NOTES:
                        note = talk.note(rng, ticket.language, particulars)
                        chunk.group(
                            ticket,
                            "internal_note",
                            acted - 60,
                            [("text", note, None)],
                            agent=ticket.assignee,
                        )
                    self._reply(chunk, rng, ticket, particulars, acted)
                when = acted
            elif status == "answered":
                if rounds < MAX_ROUNDS and rng.random() < ANSWERS[rounds > 0]:
                    wrote = rhythm.customers_at(
                        when + int(rng.expovariate(1 / CUSTOMER_HOURS) * HOUR) + 300, rng
                    )
                    if wrote > horizon:
                        return
                    self._customer_answers(chunk, rng, ticket, particulars, wrote)
                    rounds += 1
                    when = wrote
                else:
                    done = rhythm.agents_at(when + int(rng.expovariate(1 / 24) * HOUR) + HOUR, rng)
                    if done > horizon:
                        return
                    self._resolve(chunk, ticket, done)
                    when = done
            elif status == "postponed":
                woken = (ticket.postponed_until or when) + between(rng, 1, 60)  # the worker's next round
                if woken > horizon:
                    return
                ticket.change_status("open", woken)
                when = woken
            elif status == "resolved":
                closes = (ticket.resolved or when) + CLOSE_AFTER_DAYS * DAY + between(rng, 1, 60)
                if not ticket.reopens and rng.random() < 0.05:
                    wrote = rhythm.customers_at(when + between(rng, 2 * HOUR, 6 * DAY), rng)
                    if wrote < closes:
                        if wrote > horizon:
                            return
                        self._customer_answers(chunk, rng, ticket, particulars, wrote)
                        when = wrote
                        continue
                if closes > horizon:
                    return
                ticket.change_status("closed", closes)
                return
            else:
                return

    def _arrives(
        self,
        chunk: ChunkRows,
        rng: random.Random,
        ticket: TicketState,
        particulars: dict[str, str],
        into: TicketState | None = None,
    ) -> None:
        """The customer's first message: an email (now and then with an HTML twin), a web form, or a
        message through the API. `into`: the ticket it ends up in (merged)."""
        name = self.contacts.names[ticket.contact]
        body = talk.customer_text(rng, ticket.language, ticket.topic, name, particulars)
        channel = ticket.channel
        parts: list[tuple[str, str, str | None]]
        message_id = None
        if channel == "form":
            labels = talk.form_labels(ticket.language)
            parts = [("form_field", name, labels[0])] if rng.random() < 0.5 else []
            parts += [("form_field", particulars["order"], labels[1]), ("form_field", body, labels[2])]
            origin = "web"
        else:
            parts = [("text", body, None)]
            if channel == "api":
                ticket.created_by = self.cast.integration_agent
                origin = "api"
            else:
                origin = "mail"
                message_id = self._message_id(rng, self.contacts.emails[ticket.contact][0])
                if rng.random() < HTML_TWINS:
                    parts.append(("html", "<p>" + body.replace("\n", "</p><p>") + "</p>", None))
        chunk.group(
            ticket,
            "incoming_email",
            ticket.created,
            parts,
            contact=ticket.contact,
            origin=origin,
            subject=ticket.subject,
            message_id=message_id,
            into=into,
        )
        ticket.customer_messages += 1
        ticket.last_customer = ticket.created

    def _customer_answers(
        self,
        chunk: ChunkRows,
        rng: random.Random,
        ticket: TicketState,
        particulars: dict[str, str],
        when: int,
    ) -> None:
        """add_customer_message: a reply by mail (quoting the agent's now and then); answered,
        postponed and resolved tickets reopen."""
        name = self.contacts.names[ticket.contact]
        body = talk.customer_text(rng, ticket.language, ticket.topic, name, particulars, short=True)
        parts: list[tuple[str, str, str | None]] = [("text", body, None)]
        if ticket.last_reply_text and rng.random() < QUOTES:
            agent = self.space.agent_names.get(ticket.assignee or 0, "")
            written = _minutes(ticket.last_reply or ticket.created)
            parts.append(("quoted", talk.quote(agent, written, ticket.last_reply_text), None))
        message_id = self._message_id(rng, self.contacts.emails[ticket.contact][0])
        chunk.group(
            ticket,
            "incoming_email",
            when,
            parts,
            contact=ticket.contact,
            origin="mail",
            subject=ticket.subject,
            message_id=message_id,
        )
        if ticket.status in ("answered", "postponed", "resolved"):
            ticket.change_status("open", when)
        ticket.customer_messages += 1
        ticket.last_customer = when

    def _reply(
        self,
        chunk: ChunkRows,
        rng: random.Random,
        ticket: TicketState,
        particulars: dict[str, str],
        when: int,
        origin: str = "web",
    ) -> None:
        """thread_actions.reply: an outgoing email to the contact (and the CCs); the ticket is answered."""
        agent = ticket.assignee or self._solver(rng, ticket.department)
        text = talk.reply(rng, ticket.language, ticket.topic, particulars, self.space.agent_names[agent])
        emails = self.contacts.emails
        # json.dumps({"to": [...], "cc": [...]}) of addresses that need no escaping (bench/people.py).
        copies = ", ".join(f'"{emails[other][0]}"' for other in ticket.cc)
        recipients = f'{{"to": ["{emails[ticket.contact][0]}"], "cc": [{copies}]}}'
        chunk.group(
            ticket,
            "outgoing_email",
            when,
            [("text", text, None)],
            agent=agent,
            origin=origin,
            subject=ticket.subject,
            recipients=recipients,
            message_id=self._message_id(rng, AGENT_DOMAIN),
        )
        ticket.change_status("answered", when)
        ticket.first_reply = ticket.first_reply or when
        ticket.last_reply = when
        ticket.replies += 1
        ticket.last_reply_text = text

    def _chat(
        self,
        chunk: ChunkRows,
        rng: random.Random,
        ticket: TicketState,
        particulars: dict[str, str],
        horizon: int,
        live: bool,
    ) -> int:
        """A live chat: the visitor's lines, an agent joining and answering (chat_thread: the first agent
        line is the one reply); it ends answered, or is still going at the anchor."""
        ticket.status = "chatting"
        language = ticket.language
        agent = self._solver(rng, ticket.department)
        lines: list[tuple[str, str, str | None, int | None, int, str | None]] = []
        moment = ticket.created
        turns = between(rng, 2, 5)
        for turn in range(turns):
            if turn == 1:
                joined = moment + between(rng, 10, 120)  # after the visitor's first line
                if joined > horizon:
                    break
                self._assign(rng, ticket, joined)
                agent_name = self.space.agent_names[agent]
                meta = self.values.json({"event": "joined", "agent": agent_name})
                lines.append(("system", f"{agent_name} joined the chat", None, None, joined, meta))
                moment = joined
            if turn:
                moment += between(rng, 15, 150)
            if moment > horizon:
                break
            if turn % 2:
                lines.append(("text", talk.chat_agent_line(rng, language), None, agent, moment, None))
                ticket.first_reply = ticket.first_reply or moment
                ticket.replies = 1
                ticket.last_reply = moment
            else:
                lines.append(
                    (
                        "text",
                        talk.sentence(rng, language, ticket.topic, particulars),
                        None,
                        None,
                        moment,
                        None,
                    )
                )
                ticket.customer_messages = 1
                ticket.last_customer = moment
        chunk.group(
            ticket,
            "chat",
            ticket.created,
            lines,
            contact=ticket.contact,
            origin="chat",
            subject=ticket.subject,
        )
        ticket.activity = ticket.updated = max(line[4] for line in lines) if lines else ticket.created
        ended = moment + between(rng, 30, 300)
        if live or ended > horizon:
            return moment  # still chatting
        ticket.change_status("answered" if ticket.replies else "new", ended)
        return ended

    def _call(
        self,
        chunk: ChunkRows,
        rng: random.Random,
        ticket: TicketState,
        particulars: dict[str, str],
        horizon: int,
        live: bool,
    ) -> int:
        """A phone call taken by an agent, noted in the thread as the customer's message when it ends;
        the ticket is then answered."""
        ticket.status = "calling"
        self._assign(rng, ticket, ticket.created)
        ended = ticket.created + between(rng, 60, 900)
        if live or ended > horizon:
            return ticket.created
        note = talk.call_note(rng, ticket.language, particulars)
        chunk.group(ticket, "call", ended, [("text", note, None)], contact=ticket.contact, origin="phone")
        ticket.customer_messages += 1
        ticket.last_customer = ended
        ticket.change_status("answered", ended)
        return ended

    def _transfer(self, chunk: ChunkRows, rng: random.Random, ticket: TicketState, when: int) -> None:
        """routing_actions: sent to the department it belongs to; a line says where from and to."""
        others = [d for d in self.space.departments if d.id != ticket.department]
        same_topic = [d for d in others if d.topic == ticket.topic]
        target = one_of(rng, same_topic or others)
        line = {"event": "transferred", "from": self.department_names[ticket.department], "to": target.name}
        text = f"Transferred from {line['from']} to {line['to']}"
        agent = self._solver(rng, ticket.department)
        ticket.department = target.id
        ticket.assignee = None
        ticket.transfers += 1
        chunk.line(ticket, "transfer", agent, when, text, line)

    def _resolve(self, chunk: ChunkRows, ticket: TicketState, when: int) -> None:
        agent = ticket.assignee
        name = self.space.agent_names.get(agent or 0, "?")
        ticket.change_status("resolved", when)
        chunk.line(
            ticket, "resolve", agent, when, f"Resolved by {name}", {"event": "resolved", "agent": name}
        )

    def _postpone(self, chunk: ChunkRows, ticket: TicketState, when: int, until: int) -> None:
        name = self.space.agent_names.get(ticket.assignee or 0, "?")
        ticket.change_status("postponed", when)
        ticket.postponed_until = until
        moment = datetime.fromtimestamp(until, UTC)
        text = f"Postponed by {name} until {moment.isoformat(timespec='minutes')}"
        line = {"event": "postponed", "agent": name, "until": moment.isoformat()}
        chunk.line(ticket, "postpone", ticket.assignee, when, text, line)

    def _assign(self, rng: random.Random, ticket: TicketState, when: int) -> None:
        if ticket.assignee is None:
            ticket.assignee = self._solver(rng, ticket.department)
        if ticket.first_assigned is None:
            ticket.first_assigned = max(ticket.created, when)

    def _solver(self, rng: random.Random, department: int) -> int:
        return one_of(rng, self.space.solvers[department])

    # ---- rows ----------------------------------------------------------------------------------------

    def _message_id(self, rng: random.Random, address: str) -> str:
        return f"<{rng.getrandbits(64):016x}@{address.rpartition('@')[2]}>"


def _remember_more_words() -> None:
    """The same `variants` with a larger cache, for this process (index_text looks it up by name)."""
    variants = normalisation.variants
    if (variants.cache_info().maxsize or 0) < WORD_CACHE:
        normalisation.variants = lru_cache(maxsize=WORD_CACHE)(variants.__wrapped__)


def _minutes(moment: int) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M")


# ---- worker processes ------------------------------------------------------------------------------

_maker: ChunkMaker | None = None


def init_worker(plan: Plan, cast: Cast) -> None:
    """A worker process's one ChunkMaker (the rhythm and contact weights are built once)."""
    global _maker
    _maker = ChunkMaker(plan, cast)


def make_chunk(index: int) -> tuple[int, Payload]:
    assert _maker is not None, "init_worker first"
    return _maker.make(index)
