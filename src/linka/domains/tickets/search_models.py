"""The search document of each ticket: its normalised terms (core/search.py), one row per ticket.

The engine-specific index over `terms` is not part of the models: migration 0002 creates an FTS5
external-content table (`ticket_search_fts`, kept in step by triggers) on SQLite and a GIN index on
a stored `terms_vector` column (`to_tsvector('simple', terms)`) on PostgreSQL. Their names are registered as unmanaged so Alembic's
autogenerate neither drops nor re-creates them.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from linka.core.db import Base, BigId

FTS_TABLE = "ticket_search_fts"
TERMS_INDEX = "ix_ticket_search_terms"
TERMS_VECTOR = "terms_vector"  # PostgreSQL only: a stored generated tsvector of `terms` (migration 0002)

# Read by migrations/env.py: objects with these names (or, for FTS5, these name prefixes: the shadow
# tables) are created by hand-written revisions and invisible to autogenerate.
Base.metadata.info.setdefault("unmanaged_prefixes", set()).update({FTS_TABLE, TERMS_INDEX, TERMS_VECTOR})


class TicketSearch(Base):
    __tablename__ = "ticket_search"

    # On SQLite an INTEGER primary key aliases the rowid, which the FTS5 table uses as its content_rowid.
    ticket_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    terms: Mapped[str] = mapped_column(Text, default="")
