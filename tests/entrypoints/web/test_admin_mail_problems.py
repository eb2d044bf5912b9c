"""Admin (mailboxes section): mail that went wrong. Dead letters are listed with their reason, read,
downloaded as they arrived, taken in again once the cause is fixed, and discarded; mail that could
not be delivered is listed with the reason and sent again. Each list takes a fixed number of queries."""

from __future__ import annotations

from linka.domains.mail.intake import take_in_mail
from linka.domains.mail.models import DeadLetter, OutgoingMail
from linka.entrypoints.runtime import Runtime
from tests.conftest import AppClient
from tests.entrypoints.web.admin_helpers import (
    agent_with_permissions,
    failed_system_mail,
    failed_ticket_mail,
    visible,
)
from tests.entrypoints.web.web_helpers import post_form, sign_in
from tests.mail_helpers import add_mailbox, build_mail, rows
from tests.personas import Personas
from tests.query_counter import counting_statements


async def test_dead_letters_are_read_downloaded_retried_and_discarded(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    raw = build_mail(to="billing@linka.test", subject="Faktura 2024/118", text="Dobrý den, <b>posílám</b>")
    held = await take_in_mail(runtime, raw, source="smtp", envelope_from="jana@customer.test")
    letter_id = held.dead_letter_id
    await sign_in(client, personas.admin)

    listed = visible((await client.get("/admin/dead-letters")).text)
    assert "jana@customer.test Faktura 2024/118 No mailbox takes the address" in listed
    assert "Waiting" in listed

    page = await client.get(f"/admin/dead-letters/{letter_id}")
    assert page.status_code == 200
    assert "Subject: Faktura 2024/118" in visible(page.text)
    assert "&lt;b&gt;posílám&lt;/b&gt;" in page.text  # the original is shown as text, never as markup
    download = await client.get(f"/admin/dead-letters/{letter_id}/raw")
    assert download.status_code == 200
    assert download.content == raw
    assert download.headers["content-type"].startswith("message/rfc822")

    # Still no mailbox for the address: it stays, with the attempt counted.
    still = await post_form(client, f"/admin/dead-letters/{letter_id}/retry")
    assert still.headers["location"] == f"/admin/dead-letters/{letter_id}?done=still_failing"
    [letter] = await rows(runtime.db, DeadLetter)
    assert (letter.status, letter.attempts) == ("pending", 2)
    assert "It failed again; the reason is updated." in visible(
        (await client.get(still.headers["location"])).text
    )

    await add_mailbox(runtime, personas, aliases=["billing@linka.test"])
    taken = await post_form(client, f"/admin/dead-letters/{letter_id}/retry")
    assert taken.headers["location"] == f"/admin/dead-letters/{letter_id}?done=retried"
    [letter] = await rows(runtime.db, DeadLetter)
    assert (letter.status, letter.ticket_id is not None) == ("retried", True)
    shown = visible((await client.get(taken.headers["location"])).text)
    assert "Taken in again." in shown
    assert "Taken in ·" in shown
    again = await post_form(client, f"/admin/dead-letters/{letter_id}/retry")
    assert again.status_code == 409
    assert "this dead letter was taken in already" in visible(again.text)
    assert "Faktura" not in visible((await client.get("/admin/dead-letters")).text)  # pending only
    assert "Faktura" in visible((await client.get("/admin/dead-letters?status=retried")).text)

    gone = await take_in_mail(runtime, b"garbage", source="smtp")
    [kept] = await rows(runtime.db, DeadLetter, DeadLetter.public_id == gone.dead_letter_id)
    discarded = await post_form(client, f"/admin/dead-letters/{gone.dead_letter_id}/discard")
    assert discarded.headers["location"] == "/admin/dead-letters?done=discarded"
    assert await rows(runtime.db, DeadLetter, DeadLetter.id == kept.id) == []
    assert not runtime.blobs.exists(kept.raw_sha256)


async def test_undelivered_mail_is_listed_and_sent_again(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    mail_id = await failed_system_mail(runtime, personas.sales_agent.email)
    await sign_in(client, personas.admin)
    listed = visible((await client.get("/admin/outgoing-mail")).text)
    assert "sandor@linka.test" in listed
    assert "Password reset" in listed
    assert "550 5.1.1 mailbox unavailable (0 attempts)" in listed  # refused for good at once

    sent = await post_form(client, f"/admin/outgoing-mail/{mail_id}/retry")
    assert sent.headers["location"] == "/admin/outgoing-mail?done=queued"
    [mail] = await rows(runtime.db, OutgoingMail, OutgoingMail.id == mail_id)
    assert (mail.delivery_status, mail.attempts) == ("queued", 0)
    after = visible((await client.get(sent.headers["location"])).text)
    assert "The mail is queued to be sent again." in after
    assert "sandor@linka.test" not in after
    assert "Every mail was delivered." in after


async def test_a_channel_admin_sees_mail_of_tickets_only_when_they_see_the_ticket(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await failed_system_mail(runtime, personas.sales_agent.email)
    await failed_ticket_mail(
        runtime, personas.tickets["karel"], personas.departments["support"], "karel@acme.test"
    )
    kamila = await agent_with_permissions(runtime, ["manage_channels"])
    await sign_in(client, kamila)
    listed = visible((await client.get("/admin/outgoing-mail")).text)
    assert "sandor@linka.test" in listed  # a system mail: any holder of manage_channels retries it
    assert "karel@acme.test" not in listed  # a mail of a ticket Kamila may not see

    await sign_in(client, personas.admin)
    listed = visible((await client.get("/admin/outgoing-mail")).text)
    assert (
        f"karel@acme.test Re: your question Reply mail · {personas.ticket_codes['karel']} 554 rejected as spam"
        in listed
    )


async def test_the_lists_take_the_same_queries_however_many_rows(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    mailbox = await add_mailbox(runtime, personas)
    await take_in_mail(runtime, b"not a message", source="imap", mailbox_id=mailbox.id)
    await failed_system_mail(runtime, personas.sales_agent.email)
    await failed_ticket_mail(
        runtime, personas.tickets["karel"], personas.departments["support"], "karel@acme.test"
    )
    with counting_statements(runtime.db) as seen:
        assert (await client.get("/admin/dead-letters")).status_code == 200
    letters_before = seen.count
    with counting_statements(runtime.db) as seen:
        assert (await client.get("/admin/outgoing-mail")).status_code == 200
    mail_before = seen.count
    for n in range(3):
        await take_in_mail(
            runtime, build_mail(to=f"nobody{n}@linka.test", subject=f"Lost {n}"), source="smtp"
        )
        await failed_system_mail(
            runtime, [personas.support_agent, personas.sales_reader, personas.owner][n].email
        )
    with counting_statements(runtime.db) as seen:
        letters = await client.get("/admin/dead-letters")
    assert "Lost 2" in visible(letters.text)
    assert seen.count == letters_before == 5
    with counting_statements(runtime.db) as seen:
        mails = await client.get("/admin/outgoing-mail")
    assert "olga@linka.test" in visible(mails.text)
    assert seen.count == mail_before == 5
