"""A ticket's thread: message groups (one email, one chat, one note, one transfer…) holding messages,
and attachments whose bytes live in the blob store (core/blobs.py), addressed by their SHA-256."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from linka.core.db import Base, BigId, Json, UTCDateTime


class MessageGroup(Base):
    """One event of the thread. `kind` is a thread_schemas.GroupKind; internal notes never reach the customer."""

    __tablename__ = "message_groups"
    __table_args__ = (
        Index("ix_message_groups_ticket", "ticket_id", "created_at", "id"),
        Index("ix_message_groups_message_id", "email_message_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    is_internal: Mapped[bool] = mapped_column(Boolean, default=False)
    author_agent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("agents.id", ondelete="SET NULL"))
    author_contact_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("contacts.id", ondelete="SET NULL")
    )
    origin: Mapped[str] = mapped_column(String(16), default="web")
    subject: Mapped[str] = mapped_column(String(500), default="")
    # Addresses of an outgoing email or forward: {"to": [...], "cc": [...]}.
    recipients: Mapped[dict[str, list[str]]] = mapped_column(Json, default=dict)
    # The email Message-ID of this group (incoming or outgoing), for threading replies.
    email_message_id: Mapped[str | None] = mapped_column(String(255), default=None)
    # Where a merged or split group came from (the ticket it was first written on).
    moved_from_ticket_id: Mapped[int | None] = mapped_column(BigId, default=None)
    # A system line's event and values ({"event": "transferred", "from": "Support", …}): each reader sees
    # the line in their own language; the English text is the group's message (search, API).
    line: Mapped[dict[str, str] | None] = mapped_column(Json, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Message(Base):
    """One part of a group: text, html, quoted text, a file, a form field or a system line."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_group", "group_id", "position"),
        # A chat message resent after a reconnect carries the same key and is stored once.
        Index("uq_messages_group_client_key", "group_id", "client_key", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(BigId, ForeignKey("message_groups.id", ondelete="CASCADE"))
    # Denormalised from the group: search and merge work per ticket without a join.
    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)
    body: Mapped[str] = mapped_column(Text, default="")
    # For form fields: the field's label; for files: the attachment.
    field_name: Mapped[str | None] = mapped_column(String(200), default=None)
    attachment_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("attachments.id", ondelete="SET NULL"), index=True
    )
    # Chat messages only (one chat group holds the whole conversation): who wrote this line (an agent;
    # none: the visitor, or the system for kind `system`), when, the sender's key for deduplication,
    # and a system line's event and values ({"event": "joined", "agent": "Sára"}) for translation.
    author_agent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("agents.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    client_key: Mapped[str | None] = mapped_column(String(64), default=None)
    meta: Mapped[dict[str, str] | None] = mapped_column(Json, default=None)


class Attachment(Base):
    """A file on a ticket. The bytes are in the blob store under `sha256`; one blob may serve several
    attachments (same file sent twice), and is removed when the last of them goes."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(127), default="application/octet-stream")
    # Inline images of an HTML body are referenced by Content-ID.
    content_id: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
