"""Mailboxes and the dead-letter store through the API: passwords are write-only (and sealed at rest),
addresses belong to one mailbox, health shows fetch errors and counts, dead letters can be read,
downloaded, retried and discarded, and an email's original .eml is downloadable from its ticket."""

from __future__ import annotations

from typing import Any

from linka.domains.mail.intake import take_in_mail
from linka.domains.mail.models import DeadLetter, Mailbox
from linka.domains.tickets.thread_models import MessageGroup
from tests.conftest import AppClient, bearer
from tests.mail_helpers import build_mail, rows
from tests.personas import Personas


def mailbox_body(personas: Personas, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Support",
        "address": "Support@Linka.test",
        "department_id": personas.department_public_ids["support"],
        "aliases": ["help@linka.test"],
        "sender_name": "Acme Podpora",
        "smtp": {"host": "smtp.linka.test", "port": 587, "username": "support", "password": "smtp-secret-1"},
        "imap": {"host": "imap.linka.test", "username": "support", "password": "imap-secret-2"},
        "auto_ack_enabled": True,
        "ack_templates": {"cs": {"subject": "Děkujeme", "text": "Tiket {ticket.code}"}},
        **extra,
    }


async def test_passwords_go_in_and_never_come_out(client: AppClient, personas: Personas) -> None:
    created = await client.post(
        "/api/v1/mailboxes", json=mailbox_body(personas), headers=bearer(personas.admin)
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["address"] == "support@linka.test"
    assert body["aliases"] == ["help@linka.test"]
    assert body["smtp"]["password_set"] is True
    assert body["imap"]["password_set"] is True
    assert body["is_default"] is True  # the first mailbox sends the system mails
    assert "secret" not in created.text
    listed = await client.get("/api/v1/mailboxes", headers=bearer(personas.admin))
    assert "secret" not in listed.text
    [row] = await rows(client.app.state.runtime.db, Mailbox)
    assert "smtp-secret-1" not in row.smtp_password_sealed
    assert client.app.state.runtime.sealer.open(row.smtp_password_sealed) == "smtp-secret-1"

    # Leaving the password out keeps it; the history never holds it.
    changed = await client.patch(
        f"/api/v1/mailboxes/{body['id']}",
        json={"smtp": {"host": "smtp2.linka.test"}},
        headers=bearer(personas.admin),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["smtp"] == {
        "host": "smtp2.linka.test",
        "port": 587,
        "security": "starttls",
        "username": "",
        "password_set": True,
    }


async def test_an_address_belongs_to_one_mailbox(client: AppClient, personas: Personas) -> None:
    await client.post("/api/v1/mailboxes", json=mailbox_body(personas), headers=bearer(personas.admin))
    clash = await client.post(
        "/api/v1/mailboxes",
        json=mailbox_body(personas, name="Sales", address="sales@linka.test", aliases=["HELP@linka.test"]),
        headers=bearer(personas.admin),
    )
    assert clash.status_code == 409
    assert clash.json()["error"]["fields"] == {
        "aliases": "help@linka.test already belongs to another mailbox"
    }


async def test_bad_settings_name_the_field(client: AppClient, personas: Personas) -> None:
    move = mailbox_body(personas, imap={"host": "imap.linka.test", "after_import": "move"})
    refused = await client.post("/api/v1/mailboxes", json=move, headers=bearer(personas.admin))
    assert refused.status_code == 422
    assert "imap.move_folder" in refused.json()["error"]["fields"]
    unknown = await client.post(
        "/api/v1/mailboxes",
        json=mailbox_body(personas, department_id="dp_nope"),
        headers=bearer(personas.admin),
    )
    assert unknown.status_code == 422
    assert "department_id" in unknown.json()["error"]["fields"]


async def test_health_counts_dead_letters_and_shows_fetch_errors(
    client: AppClient, personas: Personas
) -> None:
    from linka.core.permissions import Origin, system_actor
    from linka.domains.mail import mailbox_actions

    created = (
        await client.post("/api/v1/mailboxes", json=mailbox_body(personas), headers=bearer(personas.admin))
    ).json()
    runtime = client.app.state.runtime
    await take_in_mail(
        runtime, b"not a message", source="imap", mailbox_id=(await rows(runtime.db, Mailbox))[0].id
    )
    async with runtime.uow(system_actor(Origin.MAIL)) as uow:
        await mailbox_actions.record_fetch_failure(
            uow, mailbox_id=(await rows(runtime.db, Mailbox))[0].id, error="LOGIN failed: bad password"
        )
    health = (await client.get(f"/api/v1/mailboxes/{created['id']}", headers=bearer(personas.admin))).json()[
        "health"
    ]
    assert health["status"] == "failing"
    assert health["last_error"] == "LOGIN failed: bad password"
    assert health["consecutive_failures"] == 1
    assert health["dead_letters"] == 1


async def test_dead_letters_are_read_downloaded_retried_and_discarded(
    client: AppClient, personas: Personas
) -> None:
    runtime = client.app.state.runtime
    raw = build_mail(to="billing@linka.test", subject="Faktura")
    held = await take_in_mail(runtime, raw, source="smtp", envelope_from="jana@customer.test")
    letter_id = held.dead_letter_id
    listed = (await client.get("/api/v1/dead-letters", headers=bearer(personas.admin))).json()["items"]
    assert [(dl["id"], dl["reason"], dl["subject"]) for dl in listed] == [
        (letter_id, "no_mailbox", "Faktura")
    ]
    download = await client.get(f"/api/v1/dead-letters/{letter_id}/raw", headers=bearer(personas.admin))
    assert download.status_code == 200
    assert download.content == raw
    assert download.headers["content-type"].startswith("message/rfc822")

    still = await client.post(f"/api/v1/dead-letters/{letter_id}/retry", headers=bearer(personas.admin))
    assert still.status_code == 201
    assert (still.json()["status"], still.json()["attempts"]) == ("pending", 2)

    await client.post(
        "/api/v1/mailboxes",
        json=mailbox_body(personas, aliases=["billing@linka.test"]),
        headers=bearer(personas.admin),
    )
    taken = await client.post(f"/api/v1/dead-letters/{letter_id}/retry", headers=bearer(personas.admin))
    assert (taken.json()["status"], taken.json()["ticket_code"] is not None) == ("retried", True)
    again = await client.post(f"/api/v1/dead-letters/{letter_id}/retry", headers=bearer(personas.admin))
    assert again.status_code == 409

    gone = await take_in_mail(runtime, b"garbage", source="smtp")
    [kept] = await rows(runtime.db, DeadLetter, DeadLetter.public_id == gone.dead_letter_id)
    removed = await client.delete(
        f"/api/v1/dead-letters/{gone.dead_letter_id}", headers=bearer(personas.admin)
    )
    assert removed.status_code == 204
    assert not runtime.blobs.exists(kept.raw_sha256)


async def test_the_original_eml_is_there_for_who_sees_the_ticket(
    client: AppClient, personas: Personas
) -> None:
    runtime = client.app.state.runtime
    await client.post("/api/v1/mailboxes", json=mailbox_body(personas), headers=bearer(personas.admin))
    raw = build_mail(subject="Printer again")
    code = (await take_in_mail(runtime, raw, source="smtp")).ticket_code
    [group] = await rows(runtime.db, MessageGroup, MessageGroup.kind == "incoming_email")
    url = f"/api/v1/tickets/{code}/thread/{group.public_id}/original"
    mine = await client.get(url, headers=bearer(personas.support_agent))
    assert mine.status_code == 200
    assert mine.content == raw
    assert mine.headers["content-disposition"].startswith("attachment;")
    assert (await client.get(url, headers=bearer(personas.sales_agent))).status_code == 404
