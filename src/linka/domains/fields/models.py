"""Custom field definitions and values. One value table serves every entity (tickets, contacts), so
filters and validation are written once; a multi-select keeps one row per chosen option."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from linka.core.db import Base, BigId, Json, UTCDateTime


class CustomField(Base):
    __tablename__ = "custom_fields"
    __table_args__ = (UniqueConstraint("entity", "key", name="uq_custom_fields_entity_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    # "ticket" or "contact".
    entity: Mapped[str] = mapped_column(String(16))
    # The name used in the API and in filters: lower-case letters, digits and underscores.
    key: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(120))
    # Labels in other languages: {"cs": "…", "hu": "…"}.
    translations: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    # text, number, date, select, multi_select, checkbox.
    kind: Mapped[str] = mapped_column(String(16))
    # For select and multi_select: the allowed values, in display order.
    options: Mapped[list[str]] = mapped_column(Json, default=list)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FieldValue(Base):
    """A value of a custom field on one entity row. `text` holds the canonical form of every kind
    (ISO date, "true"/"false", the option); `number` is set for numbers so ranges compare as numbers."""

    __tablename__ = "field_values"
    __table_args__ = (
        Index("ix_field_values_entity", "entity", "entity_id"),
        Index("ix_field_values_lookup", "field_id", "text"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    field_id: Mapped[int] = mapped_column(BigId, ForeignKey("custom_fields.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(BigId)
    text: Mapped[str] = mapped_column(String(500))
    number: Mapped[float | None] = mapped_column(Float, default=None)
