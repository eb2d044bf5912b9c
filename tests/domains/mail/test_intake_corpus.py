"""Every message of the corpus (tests/fixtures/mail) through the real intake, one after another into
one mailbox: none raises; what cannot be parsed is a dead letter; bounces and auto-replies never get an
answer; everything else is a ticket, a reply or a duplicate, and its original is kept byte for byte."""

from __future__ import annotations

import json

import pytest

from linka.domains.mail.intake import take_in_mail
from linka.domains.mail.models import DeadLetter, InboundEmail, OutgoingMail
from linka.entrypoints.runtime import Runtime
from tests.domains.mail.corpus import FIXTURES, names, raw
from tests.mail_helpers import add_mailbox, count, rows
from tests.personas import Personas

EXPECTED = json.loads((FIXTURES / "expected.json").read_text())


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
async def test_the_whole_corpus_lands_and_nothing_is_lost(runtime: Runtime, personas: Personas) -> None:
    await add_mailbox(runtime, personas, auto_ack=True, flood_limit=1000)
    outcomes: dict[str, str] = {}
    for name in names():
        received = await take_in_mail(runtime, raw(name), source="smtp", recipients=["support@linka.test"])
        outcomes[name] = received.outcome
    for name, outcome in outcomes.items():
        expected = EXPECTED[name]
        if "error" in expected:
            assert outcome == "dead_letter", name
        elif expected.get("bounce"):
            assert outcome in {"bounce", "ignored"}, name
        else:
            assert outcome in {"ticket", "reply", "duplicate"}, (name, outcome)
    errors = sum(1 for e in EXPECTED.values() if "error" in e)
    assert await count(runtime.db, DeadLetter) == errors
    # Nobody who writes automatically (auto-replies, bounces, lists) got an acknowledgement.
    quiet = {n for n, e in EXPECTED.items() if e.get("auto_reply") or e.get("bounce") or e.get("spam")}
    acked = {mail.in_reply_to for mail in await rows(runtime.db, OutgoingMail, OutgoingMail.kind == "ack")}
    for name in quiet:
        message_id = EXPECTED[name].get("message_id")
        assert message_id is None or message_id not in acked, name
    for original in await rows(runtime.db, InboundEmail):
        assert runtime.blobs.exists(original.raw_sha256)
