"""The inbox in a real browser: mail arriving through the SMTP listener shows up live, each agent sees
only their departments' tickets (by list, search, URL and live update), and the app speaks Czech and
Hungarian (screenshots kept as artifacts)."""

from __future__ import annotations

import asyncio
import smtplib

from playwright.async_api import Browser, expect

from linka.core.permissions import Origin, system_actor
from linka.domains.tickets import thread_actions
from linka.entrypoints.runtime import Runtime
from linka.entrypoints.smtp.listener import start_smtp_listener
from tests.e2e.conftest import artifact, signed_in_page, wait_live
from tests.mail_helpers import add_mailbox, build_mail
from tests.personas import Personas
from tests.served_app import Served


def _send(port: int, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.sendmail("jana@customer.test", ["support@linka.test"], raw)


async def test_a_customer_email_appears_in_the_inbox_without_reload(
    browser: Browser, served: Served, runtime: Runtime, personas: Personas
) -> None:
    await add_mailbox(runtime, personas, auto_ack=False)
    listener = await start_smtp_listener(runtime, host="127.0.0.1", port=0)
    try:
        sara = await signed_in_page(browser, served, personas.support_agent)
        sandor = await signed_in_page(browser, served, personas.sales_agent)
        for page in (sara, sandor):
            await page.goto("/tickets?view=active")
            await wait_live(page)
        marker = await sara.evaluate("() => { window.__notReloaded = true; return true; }")
        assert marker is True

        raw = build_mail(
            subject="Tiskárna v přízemí tiskne prázdné stránky", message_id="<e2e-1@customer.test>"
        )
        await asyncio.to_thread(_send, listener.port, raw)

        row = sara.locator("#ticket-list tr", has_text="Tiskárna v přízemí tiskne prázdné stránky")
        await expect(row).to_be_visible()
        await expect(row.locator(".badge.new-mark")).to_be_visible()
        assert await sara.evaluate("() => window.__notReloaded === true")  # it came live, not by reload
        # Sales never sees the Support ticket appear.
        await sandor.wait_for_timeout(1500)
        await expect(sandor.locator("#ticket-list")).not_to_contain_text("Tiskárna v přízemí")
    finally:
        await listener.close()


async def test_an_agent_cannot_reach_another_departments_ticket(
    browser: Browser, served: Served, runtime: Runtime, personas: Personas
) -> None:
    support_code = personas.ticket_codes["karel"]
    sandor = await signed_in_page(browser, served, personas.sales_agent)

    await sandor.goto("/tickets?view=active")
    await expect(sandor.locator("#ticket-list")).not_to_contain_text("Tiskárna nefunguje")

    await sandor.goto("/tickets?q=tisk%C3%A1rna")
    await expect(sandor.locator("#ticket-list")).not_to_contain_text(support_code)

    response = await sandor.goto(f"/tickets/{support_code}")
    assert response is not None
    assert response.status == 404

    await sandor.goto("/tickets?view=active")
    await wait_live(sandor)
    async with runtime.uow(system_actor(Origin.SYSTEM)) as uow:
        await thread_actions.add_customer_message(uow, code=support_code, text="Pořád nic.", reopen=True)
    await sandor.wait_for_timeout(1500)
    await expect(sandor.locator("#ticket-list")).not_to_contain_text(support_code)


async def test_the_app_in_czech_and_hungarian(browser: Browser, served: Served, personas: Personas) -> None:
    sara = await signed_in_page(browser, served, personas.support_agent)  # her profile says Czech
    await sara.goto("/tickets?view=active")
    assert await sara.get_attribute("html", "lang") == "cs"
    await expect(sara.locator("h1")).to_have_text("Tikety")
    await expect(sara.locator("[data-shortcut=next]")).to_have_text("Další tiket")
    await sara.screenshot(path=artifact("inbox-cs.png"), full_page=True)

    sandor = await signed_in_page(browser, served, personas.sales_agent)  # his says Hungarian
    await sandor.goto("/tickets?view=active")
    assert await sandor.get_attribute("html", "lang") == "hu"
    await expect(sandor.locator("h1")).to_have_text("Jegyek")
    await expect(sandor.locator("[data-shortcut=next]")).to_have_text("Következő jegy")
    await sandor.screenshot(path=artifact("inbox-hu.png"), full_page=True)

    phone = await signed_in_page(browser, served, personas.admin, viewport={"width": 390, "height": 844})
    await phone.goto("/tickets?view=active")
    await expect(phone.locator("[data-nav-toggle]")).to_be_visible()
    await expect(phone.locator("#sidebar")).to_be_hidden()
    await phone.locator("[data-nav-toggle]").click()
    await expect(phone.locator("#sidebar")).to_be_visible()
    await phone.screenshot(path=artifact("inbox-phone.png"), full_page=True)
