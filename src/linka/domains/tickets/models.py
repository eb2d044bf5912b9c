"""Tickets: the ticket row with its metric columns, CC contacts, tags, custom statuses and saved views.

The thread (message groups, messages, attachments) is in `thread_models.py`; status rules in
`statuses.py`. Metric columns (first_assigned_at, first_agent_reply_at, …) are set by the actions
when things happen, so reports aggregate columns and never replay history.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from linka.core.db import Base, BigId, Json, UTCDateTime

# The importance order's expression index (SLA due with a far-future stand-in for none, then priority,
# age, id) is made per engine by migration 0003, with its constants written into the SQL as the list
# query writes them (list_queries.py): autogenerate cannot express it, so it leaves it alone.
IMPORTANCE_ORDER_INDEX = "ix_tickets_importance_order"
Base.metadata.info.setdefault("unmanaged_prefixes", set()).add(IMPORTANCE_ORDER_INDEX)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_contact", "contact_id", "id"),
        Index("ix_tickets_department_status", "department_id", "status"),
        Index("ix_tickets_assignee_status", "assignee_id", "status"),
        Index("ix_tickets_activity", "last_activity_at", "id"),
        Index("ix_tickets_importance", "status", "sla_due_at", "priority", "created_at", "id"),
        Index("ix_tickets_postponed_until", "postponed_until"),
        Index("ix_tickets_resolved_at", "status", "resolved_at"),
        # Partial: almost no ticket is merged, and a full index lured SQLite into walking it for
        # `merged_into_id IS NULL` instead of using the sort index (bench: 45 ms → 0.3 ms).
        Index(
            "ix_tickets_merged_into",
            "merged_into_id",
            sqlite_where=text("merged_into_id IS NOT NULL"),
            postgresql_where=text("merged_into_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    subject: Mapped[str] = mapped_column(String(500), default="")
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contacts.id", ondelete="RESTRICT"))
    department_id: Mapped[int] = mapped_column(BigId, ForeignKey("departments.id", ondelete="RESTRICT"))
    assignee_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("agents.id", ondelete="SET NULL"))
    # One of statuses.Status; a custom status refines it for display and behaves as this category.
    status: Mapped[str] = mapped_column(String(16), default="new")
    custom_status_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("custom_statuses.id", ondelete="SET NULL")
    )
    # statuses.Priority rank: 0 low, 1 normal, 2 high, 3 urgent (an integer so it sorts).
    priority: Mapped[int] = mapped_column(SmallInteger, default=1)
    channel: Mapped[str] = mapped_column(String(16), default="web")
    language: Mapped[str] = mapped_column(String(5), default="en")
    created_by_agent_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("agents.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Due work kept as data: a worker wakes postponed tickets; the SLA issue sets sla_due_at.
    postponed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Where spam/deleted tickets return to on restore.
    status_before_trash: Mapped[str | None] = mapped_column(String(16), default=None)
    # Links: a merged ticket points at the ticket it went into (its code keeps resolving there);
    # a ticket opened by a reply to a closed one points at that one.
    merged_into_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="SET NULL"))
    follow_up_of_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="SET NULL"))
    # Metrics, set when they happen.
    first_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    first_agent_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_agent_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_customer_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    agent_reply_count: Mapped[int] = mapped_column(Integer, default=0)
    customer_message_count: Mapped[int] = mapped_column(Integer, default=0)
    transfer_count: Mapped[int] = mapped_column(Integer, default=0)


class TicketCc(Base):
    """Contacts copied on a ticket (they receive replies too)."""

    __tablename__ = "ticket_cc"

    ticket_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Tag(Base):
    """A label; private tags are for agents only and never shown to customers (portal, mails)."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    colour: Mapped[str] = mapped_column(String(7), default="#6b7280")
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TicketTag(Base):
    __tablename__ = "ticket_tags"

    ticket_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class CustomStatus(Base):
    """An admin-defined status shown by its name and behaving as its category (a built-in status)."""

    __tablename__ = "custom_statuses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    # Names in other languages: {"cs": "…", "hu": "…"}.
    translations: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    category: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SavedView(Base):
    """A saved ticket filter: private to its owner, or shared with a department's members."""

    __tablename__ = "saved_views"
    __table_args__ = (Index("ix_saved_views_owner", "owner_agent_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    owner_agent_id: Mapped[int] = mapped_column(BigId, ForeignKey("agents.id", ondelete="CASCADE"))
    department_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("departments.id", ondelete="CASCADE"), index=True
    )
    filters: Mapped[dict[str, object]] = mapped_column(Json, default=dict)
    sort: Mapped[str] = mapped_column(String(16), default="importance")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TicketSettings(Base):
    """Workspace-wide ticket settings admins change in the app (one row, made on first change)."""

    __tablename__ = "ticket_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Days after which resolved tickets close; None: LINKA_CLOSE_RESOLVED_AFTER_DAYS applies.
    close_resolved_after_days: Mapped[int | None] = mapped_column(Integer, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TicketRead(Base):
    """When an agent last opened a ticket: the inbox marks tickets with activity since then as unread."""

    __tablename__ = "ticket_reads"

    agent_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    ticket_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)
