"""System mails render in every language Linka speaks, with the link untouched, and queue as rows."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from linka.core.db import Database
from linka.core.history import HistoryEntry
from linka.core.permissions import system_actor
from linka.core.uow import unit_of_work
from linka.domains.mail.actions import queue_system_mail, render_system_mail
from linka.domains.mail.models import OutgoingMail

LINK = "https://help.example.com/reset-password?token=abc.DEF-ghi_&x=<1>"
CONTEXT = {
    "name": "Žofie",
    "email": "z@example.com",
    "link": LINK,
    "valid_hours": 2,
    "valid_days": 7,
    "inviter": "Adam",
    "workspace": "Acme",
}


@pytest.mark.parametrize("language", ["en", "cs", "hu"])
@pytest.mark.parametrize("template", ["password_reset", "invitation"])
def test_templates_render_in_each_language(language: str, template: str) -> None:
    subject, text = render_system_mail(template, language, CONTEXT)
    assert subject
    assert "\n" not in subject
    assert LINK in text  # nothing escaped: a link must stay exactly as signed
    assert "Žofie" in text
    assert "{{" not in text


def test_unknown_language_falls_back_to_english() -> None:
    assert render_system_mail("invitation", "de", CONTEXT) == render_system_mail("invitation", "en", CONTEXT)


async def test_queue_system_mail_writes_a_pending_row(db: Database) -> None:
    async with unit_of_work(db, system_actor()) as uow:
        mail = await queue_system_mail(
            uow,
            kind="password_reset",
            to_address="z@example.com",
            to_name="Žofie",
            language="cs",
            template="password_reset",
            context=CONTEXT,
        )
        mail_id = mail.id
    async with db.read_session() as session:
        row = await session.get(OutgoingMail, mail_id)
        assert row is not None
        assert row.delivery_status == "queued"
        assert row.attempts == 0
        assert row.next_attempt_at is not None
        assert row.language == "cs"
        assert LINK in row.body_text
        history = (
            await session.execute(select(HistoryEntry).where(HistoryEntry.entity_type == "outgoing_mail"))
        ).scalar_one()
        assert "token" not in str(history.after)
