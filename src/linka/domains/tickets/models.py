"""Tickets. This is the part the foundation needs (visibility of contacts); the tickets issue extends it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from linka.core.db import Base, BigId


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_contact", "contact_id", "id"),
        Index("ix_tickets_department_status", "department_id", "status"),
        Index("ix_tickets_assignee_status", "assignee_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    subject: Mapped[str] = mapped_column(String(500), default="")
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contacts.id", ondelete="RESTRICT"))
    department_id: Mapped[int] = mapped_column(BigId, ForeignKey("departments.id", ondelete="RESTRICT"))
    assignee_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("agents.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="new")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
