"""Answers: canned messages and predefined answers, each owned by an agent, a department or everyone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from linka.core.db import Base, BigId, UTCDateTime


class Answer(Base):
    """`kind` is canned or predefined; `scope` personal (`owner_agent_id`), department (`department_id`)
    or global. `scope_key` names the scope's owner in one column ("agent:7", "department:3", "global")
    so that one unique index keeps shortcuts unique per owner: NULLs would never clash in an index over
    the nullable owner columns themselves."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("scope_key", "shortcut", name="uq_answers_scope_key_shortcut"),
        Index("ix_answers_scope", "scope", "department_id"),
        Index("ix_answers_owner", "owner_agent_id"),
        Index("ix_answers_name", "name", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    # Canned messages only: what the agent types after "/" (lower case, unique within the scope owner).
    shortcut: Mapped[str | None] = mapped_column(String(32), default=None)
    # Predefined answers only: the reply subject applying one sets (None: the subject stays).
    subject: Mapped[str | None] = mapped_column(String(500), default=None)
    body_html: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(5), default=None)
    scope: Mapped[str] = mapped_column(String(16))
    scope_key: Mapped[str] = mapped_column(String(40))
    owner_agent_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("agents.id", ondelete="CASCADE"), default=None
    )
    # A department's answers go with the department.
    department_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("departments.id", ondelete="CASCADE"), default=None
    )
    # Name and shortcut folded (lower case, no diacritics), so `q` matches the same on both engines.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_by_agent_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("agents.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
