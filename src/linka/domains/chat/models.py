"""Live chat: the buttons a site embeds, the visitors they see, chats with their routing offers and the
agents in them, and the rules that invite visitors proactively.

A chat is a ticket (status `chatting`, channel `chat`) whose conversation is one message group of kind
`chat`; its messages carry their author, time and the sender's key (thread_models.Message). The rows
here hold what only a live chat has: the routing state, the offers made to agents, the visitor.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from linka.core.db import Base, BigId, Json, UTCDateTime


class ChatButton(Base):
    """One chat button: where it routes (a department), how it looks, what the pre-chat form asks,
    which sites may embed it, and how chats find an agent."""

    __tablename__ = "chat_buttons"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    department_id: Mapped[int] = mapped_column(BigId, ForeignKey("departments.id", ondelete="RESTRICT"))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # {"colour": "#0b5cad", "position": "right", "texts": {"cs": {"title": "…", "greeting": "…"}, …}}
    appearance: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # [{"key": "name", "kind": "text|email|textarea|select", "required": true,
    #   "label": {"en": "…", "cs": "…", "hu": "…"}, "options": [...]}]
    prechat_fields: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    offline_form: Mapped[bool] = mapped_column(Boolean, default=True)
    file_uploads: Mapped[bool] = mapped_column(Boolean, default=True)
    # Origins ("https://shop.example") whose pages may open the visitor socket; empty: none.
    allowed_origins: Mapped[list[str]] = mapped_column(Json, default=list)
    # Routing (schemas.RoutingMethod and its settings).
    routing_method: Mapped[str] = mapped_column(String(16), default="average")
    ring_seconds: Mapped[int] = mapped_column(Integer, default=30)
    max_chats_per_agent: Mapped[int] = mapped_column(Integer, default=3)
    inactivity_minutes: Mapped[int] = mapped_column(Integer, default=15)
    breathing_seconds: Mapped[int] = mapped_column(Integer, default=0)
    missed_after_seconds: Mapped[int] = mapped_column(Integer, default=180)
    prefer_previous_agent: Mapped[bool] = mapped_column(Boolean, default=True)
    end_status: Mapped[str] = mapped_column(String(16), default="answered")
    # Agent id (as text, JSON keys are strings) → priority; higher rings first (method "priority").
    agent_priorities: Mapped[dict[str, int]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Visitor(Base):
    """Someone on a site with the widget. `token` is the widget's secret handle (kept in the visitor's
    browser storage); it is never shown to agents, who see `public_id`."""

    __tablename__ = "chat_visitors"
    __table_args__ = (Index("ix_chat_visitors_button_seen", "button_id", "last_seen_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    button_id: Mapped[int] = mapped_column(BigId, ForeignKey("chat_buttons.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contacts.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(5), default="en")
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The current visit (a new one starts after 30 minutes away) and the page being looked at.
    visit_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    visits: Mapped[int] = mapped_column(Integer, default=1)
    page_views: Mapped[int] = mapped_column(Integer, default=0)
    page_url: Mapped[str] = mapped_column(String(2000), default="")
    page_title: Mapped[str] = mapped_column(String(300), default="")
    referrer: Mapped[str] = mapped_column(String(2000), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Chat(Base):
    """One live conversation. `state`: queued (waiting, maybe ringing), active (an agent took it),
    ended, missed (nobody took it: the ticket went to `new`)."""

    __tablename__ = "chats"
    __table_args__ = (
        Index("ix_chats_state_queued", "state", "queued_at"),
        Index("ix_chats_routing_due", "next_routing_at"),
        Index("ix_chats_agent_state", "agent_id", "state"),
        Index("ix_chats_contact", "contact_id", "ended_at"),
        Index("ix_chats_visitor", "visitor_id", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True)
    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="CASCADE"), unique=True)
    group_id: Mapped[int] = mapped_column(BigId, ForeignKey("message_groups.id", ondelete="CASCADE"))
    button_id: Mapped[int] = mapped_column(BigId, ForeignKey("chat_buttons.id", ondelete="RESTRICT"))
    department_id: Mapped[int] = mapped_column(BigId, ForeignKey("departments.id", ondelete="RESTRICT"))
    visitor_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("chat_visitors.id", ondelete="SET NULL"))
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contacts.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(5), default="en")
    state: Mapped[str] = mapped_column(String(12), default="queued")
    agent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("agents.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    ended_by: Mapped[str | None] = mapped_column(String(16), default=None)
    last_visitor_activity_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the routing worker must look at this chat again (an offer runs out, the chat is missed).
    next_routing_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    routing_round: Mapped[int] = mapped_column(Integer, default=1)
    # Messages are numbered per chat (Message.position); seen marks are positions.
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    visitor_seen_seq: Mapped[int] = mapped_column(Integer, default=0)
    agent_seen_seq: Mapped[int] = mapped_column(Integer, default=0)
    rating: Mapped[str | None] = mapped_column(String(8), default=None)
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    transcript_to: Mapped[str | None] = mapped_column(String(254), default=None)


class ChatOffer(Base):
    """A chat rung on one agent's screen: pending until accepted, declined, run out or withdrawn."""

    __tablename__ = "chat_offers"
    __table_args__ = (
        Index("ix_chat_offers_chat", "chat_id", "round", "agent_id"),
        Index("ix_chat_offers_agent_outcome", "agent_id", "outcome"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigId, ForeignKey("chats.id", ondelete="CASCADE"))
    agent_id: Mapped[int] = mapped_column(BigId, ForeignKey("agents.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(Integer, default=1)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(12), default="pending")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ChatParticipant(Base):
    """An agent in a chat: the owner, or a colleague invited to help. `left_at` set when they leave."""

    __tablename__ = "chat_participants"
    __table_args__ = (
        Index("ix_chat_participants_chat", "chat_id", "agent_id"),
        Index("ix_chat_participants_agent_open", "agent_id", "left_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigId, ForeignKey("chats.id", ondelete="CASCADE"))
    agent_id: Mapped[int] = mapped_column(BigId, ForeignKey("agents.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(8), default="owner")
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ChatAgentState(Base):
    """Per agent: whether their app is connected for chats (a heartbeat every process writes, so routing
    on any process sees every agent), and when their last chat ended (breathing time)."""

    __tablename__ = "chat_agent_states"

    agent_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    connected_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_chat_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class InvitationRule(Base):
    """Proactive invitation: when a visitor on this button's sites matches every condition, the widget
    opens with the message. Conditions: [{"field": "page_url|referrer|time_on_site|visits|page_views",
    "op": "contains|equals|starts_with|at_least", "value": "…"}]."""

    __tablename__ = "chat_invitation_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True)
    button_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("chat_buttons.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    # {"en": "…", "cs": "…", "hu": "…"}: shown in the visitor's language, else English.
    message: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
