"""Admin: mailboxes. Adding and changing one (addresses, department, SMTP and IMAP; passwords go in and
never come back out), its health in the list, fetching older mail, deleting; refusals next to the
field; and the list's queries."""

from __future__ import annotations

from typing import Any

from linka.core.permissions import Origin, system_actor
from linka.domains.mail import mailbox_actions
from linka.domains.mail.intake import take_in_mail
from linka.domains.mail.models import Mailbox, MailboxAddress
from linka.entrypoints.runtime import Runtime
from tests.conftest import AppClient
from tests.entrypoints.web.admin_helpers import visible
from tests.entrypoints.web.web_helpers import post_form, sign_in
from tests.mail_helpers import add_mailbox, rows
from tests.personas import Personas
from tests.query_counter import counting_statements

SMTP_SECRET = "smtp-secret-ZQ81"
IMAP_SECRET = "imap-secret-WX42"


def mailbox_form(personas: Personas, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Support",
        "address": "Support@Linka.test",
        "aliases": "help@linka.test\r\n\r\npodpora@linka.test",
        "department_id": personas.department_public_ids["support"],
        "sender_name": "Acme Podpora",
        "is_default": "on",
        "smtp_host": "smtp.linka.test",
        "smtp_port": "587",
        "smtp_security": "starttls",
        "smtp_username": "support",
        "smtp_password": SMTP_SECRET,
        "imap_enabled": "on",
        "imap_host": "imap.linka.test",
        "imap_port": "993",
        "imap_security": "tls",
        "imap_username": "support",
        "imap_password": IMAP_SECRET,
        "imap_folder": "INBOX",
        "imap_poll_seconds": "120",
        "imap_after_import": "seen",
        "auto_ack_enabled": "on",
        "ack_cs_subject": "Děkujeme",
        "ack_cs_text": "Tiket {ticket.code}",
        "flood_limit_per_hour": "30",
        **extra,
    }


async def _mailbox(runtime: Runtime) -> Mailbox:
    [mailbox] = await rows(runtime.db, Mailbox)
    return mailbox


async def test_adding_and_changing_a_mailbox_keeps_passwords_write_only(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    created = await post_form(client, "/admin/mailboxes", mailbox_form(personas))
    assert created.status_code == 303
    mailbox = await _mailbox(runtime)
    path = f"/admin/mailboxes/{mailbox.public_id}"
    assert created.headers["location"] == f"{path}?done=created"
    assert (mailbox.name, mailbox.address, mailbox.department_id, mailbox.is_default) == (
        "Support",
        "support@linka.test",
        personas.departments["support"],
        True,
    )
    assert (mailbox.smtp_host, mailbox.smtp_username, mailbox.imap_enabled, mailbox.imap_poll_seconds) == (
        "smtp.linka.test",
        "support",
        True,
        120,
    )
    assert mailbox.ack_templates == {"cs": {"subject": "Děkujeme", "text": "Tiket {ticket.code}"}}
    assert SMTP_SECRET not in mailbox.smtp_password_sealed
    assert runtime.sealer.open(mailbox.smtp_password_sealed) == SMTP_SECRET
    assert runtime.sealer.open(mailbox.imap_password_sealed) == IMAP_SECRET
    addresses = await rows(runtime.db, MailboxAddress, order_by=MailboxAddress.address)
    assert [a.address for a in addresses] == ["help@linka.test", "podpora@linka.test", "support@linka.test"]

    page = await client.get(created.headers["location"])
    assert page.status_code == 200
    assert SMTP_SECRET not in page.text
    assert IMAP_SECRET not in page.text
    assert visible(page.text).count("A password is stored. Leave empty to keep it.") == 2
    assert "help@linka.test\npodpora@linka.test</textarea>" in page.text

    # Saved without typing the passwords: they stay. Typing one replaces it.
    kept = await post_form(
        client,
        path,
        mailbox_form(
            personas, name="Help desk", smtp_password="", imap_password="", is_active="on", aliases=""
        ),
    )
    assert kept.headers["location"] == f"{path}?done=saved"
    mailbox = await _mailbox(runtime)
    assert mailbox.name == "Help desk"
    assert runtime.sealer.open(mailbox.smtp_password_sealed) == SMTP_SECRET
    assert runtime.sealer.open(mailbox.imap_password_sealed) == IMAP_SECRET
    assert [a.address for a in await rows(runtime.db, MailboxAddress)] == ["support@linka.test"]
    await post_form(
        client, path, mailbox_form(personas, smtp_password="new-secret", imap_password="", is_active="on")
    )
    mailbox = await _mailbox(runtime)
    assert runtime.sealer.open(mailbox.smtp_password_sealed) == "new-secret"

    # Switching IMAP off and SMTP to none.
    off = {**mailbox_form(personas, smtp_host="", is_active="on")}
    del off["imap_enabled"]
    assert (await post_form(client, path, off)).status_code == 303
    mailbox = await _mailbox(runtime)
    assert (mailbox.imap_enabled, mailbox.smtp_host, mailbox.smtp_password_sealed) == (False, "", "")


async def test_a_refused_mailbox_shows_the_field_message(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    bad = await post_form(client, "/admin/mailboxes", mailbox_form(personas, address="nowhere"))
    assert bad.status_code == 422
    assert '<p class="field-error" id="f-address-error">is not in the expected form</p>' in bad.text
    assert SMTP_SECRET not in bad.text  # a typed password is not sent back either
    move = await post_form(client, "/admin/mailboxes", mailbox_form(personas, imap_after_import="move"))
    assert move.status_code == 422
    assert (
        '<p class="field-error" id="f-imap-move-folder-error">name the folder imported mail is moved to</p>'
        in move.text
    )
    await add_mailbox(runtime, personas, address="sales@linka.test", department="sales")
    taken = await post_form(client, "/admin/mailboxes", mailbox_form(personas, aliases="sales@linka.test"))
    assert taken.status_code == 409
    assert (
        '<p class="field-error" id="f-aliases-error">sales@linka.test already belongs to another mailbox</p>'
        in taken.text
    )
    assert [m.address for m in await rows(runtime.db, Mailbox)] == ["sales@linka.test"]


async def test_the_list_shows_health_and_backfill_and_delete_work(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    await post_form(client, "/admin/mailboxes", mailbox_form(personas))
    mailbox = await _mailbox(runtime)
    await take_in_mail(runtime, b"not a message", source="imap", mailbox_id=mailbox.id)
    async with runtime.uow(system_actor(Origin.MAIL)) as uow:
        await mailbox_actions.record_fetch_failure(
            uow, mailbox_id=mailbox.id, error="LOGIN failed: bad password"
        )
    listed = visible((await client.get("/admin/mailboxes")).text)
    assert "Support Default support@linka.test help@linka.test podpora@linka.test Support Failing" in listed
    assert "LOGIN failed: bad password 1 failed attempt in a row · next try in " in listed
    assert "1 dead letter" in listed

    path = f"/admin/mailboxes/{mailbox.public_id}"
    started = await post_form(client, f"{path}/backfill", {"since": "2024-01-15"})
    assert started.headers["location"] == f"{path}?done=backfill"
    mailbox = await _mailbox(runtime)
    assert mailbox.imap_backfill_since is not None
    assert mailbox.imap_backfill_since.date().isoformat() == "2024-01-14"  # midnight in Prague, in UTC
    future = await post_form(client, f"{path}/backfill", {"since": "2999-01-01"})
    assert future.status_code == 422
    assert '<p class="field-error" id="f-since-error">must not be in the future</p>' in future.text

    deleted = await post_form(client, f"{path}/delete")
    assert deleted.headers["location"] == "/admin/mailboxes?done=deleted"
    assert await rows(runtime.db, Mailbox) == []


async def test_the_list_takes_the_same_queries_however_many_mailboxes(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    await add_mailbox(runtime, personas)
    with counting_statements(runtime.db) as seen:
        assert (await client.get("/admin/mailboxes")).status_code == 200
    before = seen.count
    for n in range(3):
        await add_mailbox(
            runtime, personas, address=f"box{n}@linka.test", department="sales", aliases=[f"a{n}@linka.test"]
        )
    with counting_statements(runtime.db) as seen:
        page = await client.get("/admin/mailboxes")
    assert "box2@linka.test a2@linka.test Sales" in visible(page.text)
    assert seen.count == before == 9
