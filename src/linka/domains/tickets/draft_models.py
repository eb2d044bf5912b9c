"""Reply drafts kept on the server: one per ticket and agent, so work survives a closed tab and
colleagues see who is writing on a ticket."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from linka.core.db import Base, BigId, Json, UTCDateTime


class TicketDraft(Base):
    """What an agent is writing on a ticket: a reply, a note or a forward (`kind`), not yet sent.
    Addresses are kept as typed (a half-written one too); sending checks them. `attachment_ids` are the
    public ids (`at_…`) of files uploaded to the ticket. Goes with its ticket or agent."""

    __tablename__ = "ticket_drafts"
    __table_args__ = (UniqueConstraint("ticket_id", "agent_id", name="uq_ticket_drafts_ticket_agent"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="CASCADE"))
    agent_id: Mapped[int] = mapped_column(BigId, ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    body_html: Mapped[str] = mapped_column(Text, default="")
    to_addresses: Mapped[list[str]] = mapped_column(Json, default=list)
    cc_addresses: Mapped[list[str]] = mapped_column(Json, default=list)
    bcc_addresses: Mapped[list[str]] = mapped_column(Json, default=list)
    # A forward's subject (replies and notes take the ticket's).
    subject: Mapped[str] = mapped_column(String(500), default="")
    attachment_ids: Mapped[list[str]] = mapped_column(Json, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
