"""Ticket full-text search: each ticket's search document, keeping it current, and the query parts the
ticket list combines with its own filters and the visibility rule.

The document holds the ticket's code, subject, every message of its thread (internal notes too: only
agents search), the contact's name and emails and the tag names, normalised by core/search.py (every
word with its English, Czech and Hungarian stems, diacritics folded) into `ticket_search.terms`.
SQLite indexes that column with FTS5, PostgreSQL with a GIN index on a stored `to_tsvector('simple', terms)` column
(migration 0002); both see the same terms, so both find the same tickets.

    # Filter only (counts, lists in another order):
    select(Ticket).where(matches(dialect, q), visible_ticket_condition(actor), …)
    # Best first:
    hits = search_hits(dialect, q, within=[visible_ticket_condition(actor), …])
    select(Ticket, hits.c.rank).join(hits, hits.c.ticket_id == Ticket.id)
        .where(visible_ticket_condition(actor), …).order_by(hits.c.rank, Ticket.id.desc())

Both raise Invalid("q", …) for a query without words.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Float,
    Select,
    String,
    Subquery,
    bindparam,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import column, table

from linka.core.db import Database, dialect_of, one_of_parameter
from linka.core.errors import Invalid
from linka.core.search import fts5_query, index_text, query_groups, tsquery
from linka.domains.contacts import queries as contacts_queries
from linka.domains.contacts.models import Contact
from linka.domains.tickets.models import Tag, Ticket, TicketTag
from linka.domains.tickets.search_models import FTS_TABLE, TERMS_VECTOR, TicketSearch
from linka.domains.tickets.thread_models import Attachment, Message, MessageGroup
from linka.domains.tickets.thread_schemas import MessageKind

# Tickets per round of reindexing: a handful of queries each, within every engine's parameter limits.
CHUNK = 500
# PostgreSQL refuses a tsvector over 1 MB; a document of this many bytes of terms stays well below that
# (lexemes + positions + headers ≤ 3.5 × the text) and is cut the same way on both engines.
MAX_TERMS_BYTES = 250_000
# Only the start of a very long message is read (and indexed).
MAX_MESSAGE_CHARS = 50_000
MAX_QUERY_CHARS = 1_000
# Relevance order ranks at most this many matching tickets, the newest first (see search_hits).
RANKED_CANDIDATES = 1_000

_fts = table(FTS_TABLE, column("rowid"), column(FTS_TABLE))
# A constant (not a bound parameter) so that the GIN index's expression matches the query's.
_SIMPLE: ColumnElement[str] = literal_column("'simple'::regconfig")


# ---- queries ------------------------------------------------------------------------------------


def search_groups(q: str) -> list[tuple[str, ...]]:
    """The query's words, each as its group of alternative terms; Invalid when nothing is left to
    search for (empty, or only punctuation and symbols). User input never reaches the engines' query
    syntax: every term is letters and digits only, quoted (FTS5) or plain (tsquery), so `OR`, `NEAR`
    or `*` are ordinary words or nothing."""
    if len(q) > MAX_QUERY_CHARS:
        raise Invalid("q", "at most %(max)s characters", values={"max": MAX_QUERY_CHARS})
    groups = query_groups(q)
    if not groups:
        raise Invalid("q", "type at least one word (letters or digits) to search for")
    return groups


def _fts_match(groups: list[tuple[str, ...]]) -> ColumnElement[bool]:
    return _fts.c[FTS_TABLE].op("MATCH", return_type=Boolean)(fts5_query(groups))


def _tsvector() -> ColumnElement[str]:
    """PostgreSQL's stored tsvector of the terms (not in the model: SQLite has no such column)."""
    return literal_column(f"{TicketSearch.__tablename__}.{TERMS_VECTOR}")


def _ts_query(groups: list[tuple[str, ...]]) -> ColumnElement[str]:
    """The tsquery, written into the SQL rather than sent as a parameter. How many tickets a word
    matches decides the plan: for a common word, walk the newest tickets and test each; for a rare one,
    ask the GIN index. A prepared statement with the query as a parameter gets a generic plan after five
    runs, and PostgreSQL's generic guess (the index) took 2.5 s for `faktura` at 1M tickets against
    28 ms planned for the word. Safe to inline: every term is letters and digits (search_groups)."""
    return func.to_tsquery(_SIMPLE, bindparam(None, tsquery(groups), String, literal_execute=True))


def _ts_match(groups: list[tuple[str, ...]]) -> ColumnElement[bool]:
    return _tsvector().op("@@", return_type=Boolean)(_ts_query(groups))


def matches(dialect: str, q: str) -> ColumnElement[bool]:
    """`Ticket` matches the query: every query word (or one of its stems) occurs in its document.
    Raises Invalid("q", …) when the query has no word."""
    groups = search_groups(q)
    if dialect == "sqlite":
        return Ticket.id.in_(select(_fts.c.rowid).where(_fts_match(groups)))
    return Ticket.id.in_(select(TicketSearch.ticket_id).where(_ts_match(groups)))


def search_hits(dialect: str, q: str, within: Sequence[ColumnElement[bool]] = ()) -> Subquery:
    """The tickets matching the query with how well they match: a subquery with `ticket_id` and `rank`
    (ORDER BY rank ascending is best first on both engines: bm25 is negative, lower is better;
    PostgreSQL's ts_rank is negated). Join it to order by relevance; scores differ between engines,
    the hits do not. (A correlated per-row rank would run the full-text query once per hit on SQLite.)

    Only the RANKED_CANDIDATES newest matching tickets that also meet `within` (the list's visibility
    and filters, conditions on `Ticket`) are ranked: a common word matches a fifth of a large
    helpdesk, and scoring reads each hit's whole document (at 1M tickets, `faktura` took 1.46 s
    ranking 20,000 visible hits, 0.22 s ranking the newest 1,000).
    Raises Invalid("q", …) when the query has no word."""
    groups = search_groups(q)
    if dialect == "sqlite":
        found_ids = select(_fts.c.rowid).where(_fts_match(groups))
    else:
        found_ids = select(TicketSearch.ticket_id).where(_ts_match(groups))
    candidates = (
        select(Ticket.id)
        .where(Ticket.id.in_(found_ids), *within)
        .order_by(Ticket.id.desc())
        .limit(literal_column(str(RANKED_CANDIDATES)))  # a constant too: the planner weighs it
    )
    if dialect == "sqlite":
        bm25: ColumnElement[float] = func.bm25(literal_column(FTS_TABLE), type_=Float)
        found = select(_fts.c.rowid.label("ticket_id"), bm25.label("rank")).where(
            _fts_match(groups), _fts.c.rowid.in_(candidates)
        )
    else:
        # Normalisation 1 divides by the log of the document's length, as bm25 also weighs length.
        ts_rank: ColumnElement[float] = func.ts_rank(_tsvector(), _ts_query(groups), 1, type_=Float)
        chosen = candidates.subquery("candidates")
        found = select(TicketSearch.ticket_id.label("ticket_id"), (-ts_rank).label("rank")).join(
            chosen, chosen.c.id == TicketSearch.ticket_id
        )
    return found.subquery("search_hits")


# ---- documents ----------------------------------------------------------------------------------


@dataclass
class _Document:
    code: str
    subject: str
    contact_name: str = ""
    emails: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def terms(self) -> str:
        return ticket_terms(self.code, self.subject, self.contact_name, self.emails, self.tags, self.messages)


def ticket_terms(
    code: str,
    subject: str,
    contact_name: str,
    emails: Sequence[str],
    tags: Sequence[str],
    messages: Sequence[str],
) -> str:
    """A ticket's search terms from its parts: the emails primary first, the tag names in name order,
    the message texts in thread order (see `_thread_texts`). The one composition of the document, used
    here and by the benchmark's generator (bench/), which writes the index without reading tickets back."""
    # The subject twice: a word in the subject weighs more than one deep in the thread. The code
    # also without dashes, as people type it.
    head = index_text(code, code.replace("-", ""), subject, subject, contact_name, *emails, *tags)
    return _bounded(head.split() + index_text(*messages).split())


def _bounded(terms: list[str]) -> str:
    """At most MAX_TERMS_BYTES: past half of it only terms not seen yet are kept, so a huge thread
    stays findable by every word as far as the budget goes."""
    joined = " ".join(terms)
    if len(joined.encode()) < MAX_TERMS_BYTES // 2:
        return joined  # within half the budget nothing is cut (each term costs its bytes and a space)
    kept: list[str] = []
    seen: set[str] = set()
    size = 0
    for term in terms:
        if size > MAX_TERMS_BYTES // 2 and term in seen:
            continue
        cost = len(term.encode()) + 1
        if size + cost > MAX_TERMS_BYTES:
            break
        kept.append(term)
        seen.add(term)
        size += cost
    return " ".join(kept)


class _HtmlText(HTMLParser):
    """The text of an HTML body, without scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return " ".join(parser.parts)


@functools.cache
def _document_queries(dialect: str) -> tuple[Select[int, str, str, int, str], Select[int, str], Select[Any]]:
    """The statements ticket_documents runs, built once per engine (architecture.md, Hot reads)."""
    tickets = (
        select(Ticket.id, Ticket.code, Ticket.subject, Ticket.contact_id, Contact.name)
        .outerjoin(Contact, Contact.id == Ticket.contact_id)
        .where(one_of_parameter(dialect, Ticket.id, "ids"))
    )
    tags = (
        select(TicketTag.ticket_id, Tag.name)
        .join(Tag, Tag.id == TicketTag.tag_id)
        .where(one_of_parameter(dialect, TicketTag.ticket_id, "ids"))
        .order_by(TicketTag.ticket_id, Tag.name)
    )
    thread = (
        select(
            Message.ticket_id,
            Message.group_id,
            Message.kind,
            func.substr(Message.body, 1, MAX_MESSAGE_CHARS),
            Message.field_name,
            Attachment.filename,
        )
        .join(MessageGroup, MessageGroup.id == Message.group_id)
        .outerjoin(Attachment, Attachment.id == Message.attachment_id)
        .where(one_of_parameter(dialect, Message.ticket_id, "ids"))
        .order_by(Message.ticket_id, MessageGroup.created_at, MessageGroup.id, Message.position, Message.id)
    )
    return tickets, tags, thread


async def ticket_documents(session: AsyncSession, ticket_ids: Sequence[int]) -> dict[int, str]:
    """The search terms of each existing ticket among `ticket_ids`, in four queries (tickets with their
    contact's name, the contacts' emails, tags, thread)."""
    tickets, tags, thread = _document_queries(dialect_of(session))
    rows = await session.execute(tickets, {"ids": list(ticket_ids)})
    documents: dict[int, _Document] = {}
    contact_of: dict[int, int] = {}
    for ticket_id, code, subject, contact_id, contact_name in rows.all():
        documents[ticket_id] = _Document(code=code, subject=subject, contact_name=contact_name or "")
        contact_of[ticket_id] = contact_id
    if not documents:
        return {}
    ids = list(documents)
    emails = await contacts_queries.contact_emails(session, sorted(set(contact_of.values())))
    for ticket_id, contact_id in contact_of.items():
        documents[ticket_id].emails = emails.get(contact_id, [])
    for ticket_id, name in (await session.execute(tags, {"ids": ids})).all():
        documents[ticket_id].tags.append(name)
    for ticket_id, texts in _thread_texts((await session.execute(thread, {"ids": ids})).all()).items():
        documents[ticket_id].messages = texts
    return {ticket_id: document.terms() for ticket_id, document in documents.items()}


def _thread_texts(found: Sequence[Any]) -> dict[int, list[str]]:
    """Each ticket's message texts in thread order: bodies (an HTML body only when its group has no
    plain-text one, which says the same), form-field labels and file names."""
    groups_with_text = {group_id for _, group_id, kind, *_ in found if kind == MessageKind.TEXT}
    texts: dict[int, list[str]] = defaultdict(list)
    for ticket_id, group_id, kind, body, field_name, filename in found:
        if kind == MessageKind.HTML:
            if group_id in groups_with_text:
                continue
            body = html_text(body or "")
        texts[ticket_id].extend(part for part in (field_name, body, filename) if part)
    return texts


# ---- keeping the index current --------------------------------------------------------------------


async def reindex_tickets(session: AsyncSession, ticket_ids: Iterable[int]) -> None:
    """Rewrite the search documents of these tickets (a few queries per CHUNK tickets, whatever their
    number). Called by the event handlers inside the writing transaction; tickets that no longer exist
    are skipped (their rows went with them)."""
    ids = sorted(set(ticket_ids))
    dialect = dialect_of(session)
    for start in range(0, len(ids), CHUNK):
        documents = await ticket_documents(session, ids[start : start + CHUNK])
        if documents:
            await _store(session, dialect, documents)


@functools.cache
def _upsert(dialect: str) -> sqlite.Insert | postgresql.Insert:
    """Insert or rewrite a ticket's document; an unchanged document is not rewritten (no churn in the
    full-text index for a priority change). Built once per engine, run with one row per ticket."""
    if dialect == "sqlite":
        lite = sqlite.insert(TicketSearch)
        return lite.on_conflict_do_update(
            index_elements=[TicketSearch.ticket_id],
            set_={"terms": lite.excluded.terms},
            where=TicketSearch.terms != lite.excluded.terms,
        )
    pg = postgresql.insert(TicketSearch)
    return pg.on_conflict_do_update(
        index_elements=[TicketSearch.ticket_id],
        set_={"terms": pg.excluded.terms},
        where=TicketSearch.terms != pg.excluded.terms,
    )


async def _store(session: AsyncSession, dialect: str, documents: dict[int, str]) -> None:
    values = [{"ticket_id": ticket_id, "terms": terms} for ticket_id, terms in documents.items()]
    await session.execute(_upsert(dialect), values)


async def rebuild_search_index(db: Database) -> int:
    """Recompute every ticket's search document (after a change to the normalisation, or to repair),
    CHUNK tickets per transaction so writers are never blocked for long; on SQLite the FTS5 index is
    then rebuilt from the documents. Needs no actor: a maintenance task for the CLI. Returns how many
    tickets were indexed."""
    done, after = 0, 0
    while True:
        async with db.sessions() as session:
            batch = await session.execute(
                select(Ticket.id).where(Ticket.id > after).order_by(Ticket.id).limit(CHUNK)
            )
            ids = list(batch.scalars())
            if not ids:
                break
            await reindex_tickets(session, ids)
            await session.commit()
        done, after = done + len(ids), ids[-1]
    if db.dialect == "sqlite":
        async with db.sessions() as session:
            await session.execute(text("INSERT INTO ticket_search_fts(ticket_search_fts) VALUES ('rebuild')"))
            await session.commit()
    return done
