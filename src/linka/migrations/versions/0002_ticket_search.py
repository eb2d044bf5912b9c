"""ticket search index: FTS5 on SQLite, GIN over tsvector('simple') on PostgreSQL

Hand-written (the regen script keeps it): `ticket_search` itself comes from the models in 0001; this
revision adds what autogenerate cannot express, per engine. Both index the same normalised terms
(core/search.py), so both engines find the same tickets.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-01
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# External content: the FTS5 table stores only its index and reads `terms` from ticket_search by rowid
# (= ticket_id). The terms are already lower case and folded, so the tokenizer must not fold further:
# PostgreSQL's 'simple' parser keeps "ø" or "ł" as they are, and so must FTS5.
SQLITE_UP = [
    """CREATE VIRTUAL TABLE ticket_search_fts USING fts5(
        terms, content='ticket_search', content_rowid='ticket_id',
        tokenize='unicode61 remove_diacritics 0'
    )""",
    """CREATE TRIGGER ticket_search_fts_ai AFTER INSERT ON ticket_search BEGIN
        INSERT INTO ticket_search_fts(rowid, terms) VALUES (new.ticket_id, new.terms);
    END""",
    """CREATE TRIGGER ticket_search_fts_ad AFTER DELETE ON ticket_search BEGIN
        INSERT INTO ticket_search_fts(ticket_search_fts, rowid, terms)
        VALUES ('delete', old.ticket_id, old.terms);
    END""",
    """CREATE TRIGGER ticket_search_fts_au AFTER UPDATE ON ticket_search BEGIN
        INSERT INTO ticket_search_fts(ticket_search_fts, rowid, terms)
        VALUES ('delete', old.ticket_id, old.terms);
        INSERT INTO ticket_search_fts(rowid, terms) VALUES (new.ticket_id, new.terms);
    END""",
    # Rows written before this revision (none on a new database) enter the index too.
    "INSERT INTO ticket_search_fts(ticket_search_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS ticket_search_fts_au",
    "DROP TRIGGER IF EXISTS ticket_search_fts_ad",
    "DROP TRIGGER IF EXISTS ticket_search_fts_ai",
    "DROP TABLE IF EXISTS ticket_search_fts",
]
# A stored tsvector column: ranking and per-row matching read it instead of re-parsing `terms` for every
# hit (bench: a common word's relevance search went from ~700 ms to ~100 ms at 20,000 tickets). The query
# side (domains/tickets/search.py) reads this column by name.
POSTGRES_UP = [
    "ALTER TABLE ticket_search ADD COLUMN terms_vector tsvector"
    " GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, terms)) STORED",
    "CREATE INDEX ix_ticket_search_terms ON ticket_search USING gin (terms_vector)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_ticket_search_terms",
    "ALTER TABLE ticket_search DROP COLUMN IF EXISTS terms_vector",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_UP if dialect == "sqlite" else POSTGRES_UP:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_DOWN if dialect == "sqlite" else POSTGRES_DOWN:
        op.execute(statement)
