"""The tables the generator fills in bulk, the columns it writes (in the order of its row tuples), and
how a value is written on each engine: what SQLAlchemy would bind (core/db.py) without going through
it. PostgreSQL (COPY in CSV) reads times as "2026-01-05 09:00:00+00", booleans and JSON as text;
SQLite takes the text SQLAlchemy stores for a DateTime ("2026-01-05 09:00:00.000000", naive UTC), 0/1
and JSON text. Times are whole seconds since the epoch until written."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

COLUMNS: dict[str, tuple[str, ...]] = {
    "companies": ("id", "public_id", "name", "notes", "created_at", "updated_at"),
    "company_domains": ("id", "company_id", "domain"),
    "contacts": (
        "id",
        "public_id",
        "name",
        "language",
        "company_id",
        "notes",
        "search_text",
        "created_by_agent_id",
        "created_at",
        "updated_at",
    ),
    "contact_emails": ("id", "contact_id", "email", "is_primary"),
    "contact_phones": ("id", "contact_id", "phone", "is_primary"),
    "tickets": (
        "id",
        "code",
        "subject",
        "contact_id",
        "department_id",
        "assignee_id",
        "status",
        "custom_status_id",
        "priority",
        "channel",
        "language",
        "created_by_agent_id",
        "created_at",
        "updated_at",
        "last_activity_at",
        "postponed_until",
        "sla_due_at",
        "status_before_trash",
        "merged_into_id",
        "follow_up_of_id",
        "first_assigned_at",
        "first_agent_reply_at",
        "last_agent_reply_at",
        "last_customer_message_at",
        "resolved_at",
        "closed_at",
        "reopen_count",
        "agent_reply_count",
        "customer_message_count",
        "transfer_count",
    ),
    "message_groups": (
        "id",
        "public_id",
        "ticket_id",
        "kind",
        "is_internal",
        "author_agent_id",
        "author_contact_id",
        "origin",
        "subject",
        "recipients",
        "email_message_id",
        "moved_from_ticket_id",
        "line",
        "created_at",
    ),
    "messages": (
        "id",
        "group_id",
        "ticket_id",
        "kind",
        "position",
        "body",
        "field_name",
        "author_agent_id",
        "sent_at",
        "meta",
    ),
    "ticket_tags": ("ticket_id", "tag_id"),
    "ticket_cc": ("ticket_id", "contact_id"),
    "field_values": ("id", "field_id", "entity", "entity_id", "text", "number"),
    "ticket_search": ("ticket_id", "terms"),
}
PEOPLE_TABLES = ("companies", "company_domains", "contacts", "contact_emails", "contact_phones")
TICKET_TABLES = (
    "tickets",
    "message_groups",
    "messages",
    "ticket_tags",
    "ticket_cc",
    "field_values",
    "ticket_search",
)
# Tables whose `id` the generator gives: their sequences (PostgreSQL) must be moved past it.
WITH_IDS = tuple(table for table in (*PEOPLE_TABLES, *TICKET_TABLES) if COLUMNS[table][0] == "id")

Rows = dict[str, list[tuple[Any, ...]]]
QUOTE, QUOTES = '"', '""'
# What a loader writes: the row tuples (SQLite), or each table's rows as CSV (PostgreSQL's COPY).
Payload = dict[str, list[tuple[Any, ...]]] | dict[str, bytes]


def empty_rows(tables: tuple[str, ...]) -> Rows:
    return {table: [] for table in tables}


class Values:
    """How this engine's rows carry times, flags and JSON, and how they travel to the loader."""

    def __init__(self, dialect: str) -> None:
        self.postgres = dialect == "postgresql"
        # PostgreSQL reads the text of an aware time; SQLite stores SQLAlchemy's naive UTC text.
        self.time = _Times("+00" if self.postgres else ".000000")
        self.flag: Callable[[bool], Any] = bool if self.postgres else int
        self.json: Callable[[Any], str] = json.dumps

    def maybe_time(self, moment: int | None) -> str | None:
        return None if moment is None else self.time(moment)

    def pack(self, rows: Rows) -> Payload:
        """SQLite: the rows as they are. PostgreSQL: CSV, cheap to send from a worker process and to
        COPY (None is an unquoted empty field, which COPY reads as NULL; the loader keeps empty text
        in NOT NULL columns with FORCE_NOT_NULL; booleans are True/False, which it reads too)."""
        if not self.postgres:
            return rows
        packed: dict[str, bytes] = {}
        for table, records in rows.items():
            if table == "ticket_search":
                # Two columns, one long text: quoting it by hand is several times faster than csv.
                packed[table] = "".join(
                    f'{key},"{terms.replace(QUOTE, QUOTES)}"\n' for key, terms in records
                ).encode()
            elif records:
                buffer = io.StringIO()
                csv.writer(buffer, lineterminator="\n").writerows(records)
                packed[table] = buffer.getvalue().encode()
        return packed


class _Times:
    """Whole seconds since the epoch as text: "2026-01-05 09:00:00" and the engine's suffix, from the
    day's date (made once per day) and the second of the day (a table of 86,400)."""

    def __init__(self, suffix: str) -> None:
        self.days: dict[int, str] = {}
        self.seconds = [
            f"{hour:02d}:{minute:02d}:{second:02d}{suffix}"
            for hour in range(24)
            for minute in range(60)
            for second in range(60)
        ]

    def __call__(self, moment: int) -> str:
        day, second = divmod(moment, 86400)
        date = self.days.get(day)
        if date is None:
            date = self.days[day] = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%d ")
        return date + self.seconds[second]
