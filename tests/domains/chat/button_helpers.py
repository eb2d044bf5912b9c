"""Helpers of the chat button tests."""

from __future__ import annotations

from linka.core import clock
from linka.core.db import Database
from linka.domains.chat.models import Chat
from linka.domains.tickets.thread_models import MessageGroup
from tests.personas import Personas


async def insert_chat(db: Database, personas: Personas, button_id: int) -> None:
    """A chat row of the button. Inserted directly: the chat runtime's actions (the lead's) are being
    written at the same time; this test only needs a row in `chats` to exist."""
    async with db.sessions() as session:
        now = clock.now()
        group = MessageGroup(
            public_id="mg_test_chat", ticket_id=personas.tickets["karel"], kind="chat", created_at=now
        )
        session.add(group)
        await session.flush()
        session.add(
            Chat(
                public_id="ch_test",
                ticket_id=personas.tickets["karel"],
                group_id=group.id,
                button_id=button_id,
                department_id=personas.departments["support"],
                contact_id=personas.contacts["karel"],
                started_at=now,
                queued_at=now,
                last_visitor_activity_at=now,
            )
        )
        await session.commit()
