"""Working tickets in a real browser: a customer's email answered with a canned message reaches the
customer threaded; panel actions (tag, postpone, resolve, transfer, merge, split) land in the database and
on a colleague's screen; two agents see each other and the collision warning; the main flow by keyboard."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from linka.core import clock
from linka.core.permissions import Origin, system_actor
from linka.domains.answers import actions as answer_actions
from linka.domains.tickets import actions as ticket_actions
from linka.domains.tickets import tag_actions, thread_actions
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.thread_models import MessageGroup
from linka.entrypoints.runtime import Runtime
from linka.entrypoints.smtp.listener import start_smtp_listener
from linka.entrypoints.worker import mail_delivery
from tests.e2e.conftest import signed_in_page, wait_live
from tests.mail_helpers import add_mailbox, build_mail
from tests.outbound_mail import Peer, actor_for, running_peer
from tests.personas import Personas
from tests.served_app import Served

SYSTEM = system_actor(Origin.SYSTEM)


@pytest.fixture(scope="module")
def peer() -> Iterator[Peer]:
    """The customer's side of the mail: an SMTP server that keeps what it receives."""
    yield from running_peer()


async def _ticket(runtime: Runtime, code: str) -> Ticket:
    async with runtime.db.read_session() as session:
        return (await session.execute(select(Ticket).where(Ticket.code == code))).scalar_one()


async def _open_ticket(page: Page, code: str) -> None:
    await page.goto(f"/tickets/{code}")
    await wait_live(page)


def _send(port: int, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.sendmail("jana@customer.test", ["support@linka.test"], raw)


async def test_an_email_answered_with_a_canned_message_reaches_the_customer_threaded(
    browser: Browser, served: Served, runtime: Runtime, personas: Personas, peer: Peer
) -> None:
    peer.handler.reset()
    await add_mailbox(runtime, personas, auto_ack=False, smtp_port=peer.port)
    sara_actor = await actor_for(runtime.db, personas.support_agent)
    async with runtime.uow(sara_actor) as uow:
        await answer_actions.create_answer(
            uow,
            kind="canned",
            name="Poděkování",
            shortcut="diky",
            body_html="<p>Děkujeme, {contact.first_name}, tiket {ticket.code} řešíme.</p>",
        )
    listener = await start_smtp_listener(runtime, host="127.0.0.1", port=0)
    try:
        sara = await signed_in_page(browser, served, personas.support_agent)
        await sara.goto("/tickets?view=active")
        await wait_live(sara)
        raw = build_mail(subject="Faktura nesedí", message_id="<invoice-1@customer.test>")
        await asyncio.to_thread(_send, listener.port, raw)

        link = sara.locator("#ticket-list a", has_text="Faktura nesedí")
        await expect(link).to_be_visible()  # live, no reload
        await link.click()
        await wait_live(sara)
        code = await sara.locator("[data-ticket-code]").first.get_attribute("data-ticket-code")
        assert code

        body = sara.locator("#reply-text")
        await body.click()
        await body.press_sequentially("/diky")
        await expect(sara.locator("[data-answer-suggestions] [data-answer-text]").first).to_be_visible()
        await body.press("Tab")
        await expect(body).to_have_value(f"Děkujeme, Jana, tiket {code} řešíme.")
        await body.press("Control+Enter")
        await expect(sara.locator("#thread")).to_contain_text(f"Děkujeme, Jana, tiket {code} řešíme.")

        assert await mail_delivery.deliver_mail(runtime) == 1
        [received] = peer.messages()
        assert received["To"] == "Jana Dvořáková <jana@customer.test>"
        assert received["In-Reply-To"] == "<invoice-1@customer.test>"
        assert code in received["Subject"]
        assert f"Děkujeme, Jana, tiket {code} řešíme." in received.get_body(("plain",)).get_content()
    finally:
        await listener.close()


async def test_panel_actions_land_in_the_database_and_on_a_colleagues_screen(
    browser: Browser, served: Served, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    async with runtime.uow(SYSTEM) as uow:
        await tag_actions.create_tag(uow, name="tiskárny")
        second = await ticket_actions.create_ticket(
            uow,
            subject="Tiskárna znovu",
            contact_id=personas.contacts["karel"],
            department_id=personas.departments["support"],
        )
        await thread_actions.add_customer_message(uow, code=code, text="Tiskárna hlásí chybu 49.")
        await thread_actions.add_customer_message(uow, code=second.code, text="A teď netiskne vůbec.")
    sara = await signed_in_page(browser, served, personas.support_agent)
    viktor = await signed_in_page(browser, served, personas.support_supervisor)
    await _open_ticket(sara, code)
    await _open_ticket(viktor, code)

    await sara.locator("#panel-tag").select_option(label="tiskárny")
    await sara.locator("#panel-tag").locator("xpath=ancestor::form").locator("button[type=submit]").click()
    await expect(sara.locator("#panel .tag-list")).to_contain_text("tiskárny")
    await expect(viktor.locator("#panel .tag-list")).to_contain_text("tiskárny")  # live on Viktor's screen

    await sara.locator("#panel-priority").select_option("urgent")
    await expect(viktor.locator("#panel-priority")).to_have_value("urgent")
    assert (await _ticket(runtime, code)).priority == 3

    # Merge the second ticket into this one.
    await sara.locator("#panel-merge-other").fill(second.code)
    await (
        sara.locator("#panel-merge-other")
        .locator("xpath=ancestor::form")
        .locator("button[type=submit]")
        .click()
    )
    await (
        sara.locator("#panel form input[name=confirm]")
        .locator("xpath=ancestor::form")
        .locator("button[type=submit]")
        .first.click()
    )
    await expect(sara.locator("#thread")).to_contain_text("A teď netiskne vůbec.")
    assert (await _ticket(runtime, second.code)).merged_into_id == (await _ticket(runtime, code)).id

    # Split the first customer message off into a ticket of its own.
    first_group = sara.locator("#thread article.message.customer").first
    await first_group.locator("details.split summary").click()
    await first_group.locator("input[name=subject]").fill("Oddělený dotaz")
    await first_group.locator("details.split button[type=submit]").click()
    await sara.wait_for_url("**/tickets/**")
    async with runtime.db.read_session() as session:
        split = (await session.execute(select(Ticket).where(Ticket.subject == "Oddělený dotaz"))).scalar_one()
        moved = (
            (await session.execute(select(MessageGroup).where(MessageGroup.ticket_id == split.id)))
            .scalars()
            .all()
        )
    assert moved

    await _open_ticket(sara, code)
    await sara.locator("details.postpone summary").click()
    in_ten_days = (clock.now() + timedelta(days=10)).strftime("%Y-%m-%dT09:00")
    await sara.locator("#panel-until").fill(in_ten_days)
    await sara.locator("#panel-until").locator("xpath=ancestor::form").locator("button[type=submit]").click()
    await expect(viktor.locator("#panel-status")).to_have_value("postponed")
    assert (await _ticket(runtime, code)).status == "postponed"

    await sara.locator("#panel-status").select_option("open")
    await expect(viktor.locator("#panel-status")).to_have_value("open")
    await sara.locator("[data-shortcut=resolve]").click()
    await expect(viktor.locator("#panel-status")).to_have_value("resolved")
    assert (await _ticket(runtime, code)).status == "resolved"

    await sara.locator("#panel-department").select_option(label="Sales")
    await (
        sara.locator("#panel-department")
        .locator("xpath=ancestor::form")
        .locator("button[type=submit]")
        .click()
    )
    await sara.wait_for_url("**/tickets")  # out of her sight: back to the list
    assert (await _ticket(runtime, code)).department_id == personas.departments["sales"]
    await viktor.goto("/tickets?view=active")
    await expect(viktor.locator("#ticket-list")).not_to_contain_text(code)


async def test_two_agents_see_each_other_and_the_collision_warning(
    browser: Browser, served: Served, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    sara = await signed_in_page(browser, served, personas.support_agent)
    viktor = await signed_in_page(browser, served, personas.support_supervisor)
    await _open_ticket(sara, code)
    await _open_ticket(viktor, code)
    await expect(sara.locator("#presence")).to_contain_text("Viktor Dvořák")
    await expect(viktor.locator("#presence")).to_contain_text("Sára Nováková")

    await viktor.locator("[data-shortcut=note]").click()
    await expect(viktor.locator("[data-shortcut=note]")).to_have_attribute("aria-pressed", "true")
    await viktor.locator("#reply-text").fill("Já to vezmu.")
    await viktor.locator("#reply-text").dispatch_event("input")
    await expect(sara.locator("#presence .viewer.typing")).to_contain_text("Viktor Dvořák")

    await sara.locator("[data-shortcut=note]").click()
    await expect(sara.locator("[data-shortcut=note]")).to_have_attribute("aria-pressed", "true")
    await sara.locator("#reply-text").fill("Volala jsem zákazníkovi.")
    await sara.locator("#reply-form button.primary").click()
    await expect(sara.locator("#thread")).to_contain_text("Volala jsem zákazníkovi.")

    await viktor.locator("#reply-form button.primary").click()
    warning = viktor.locator(".collision-warning")
    await expect(warning).to_contain_text("Sára Nováková")
    await expect(warning).to_contain_text("Volala jsem zákazníkovi.")
    await viktor.locator("#reply-form button.primary").click()  # "Send anyway"
    await expect(viktor.locator("#thread")).to_contain_text("Já to vezmu.")
    await expect(sara.locator("#thread")).to_contain_text("Já to vezmu.")  # live on her screen


async def test_the_main_flow_by_keyboard_alone(
    browser: Browser, served: Served, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    sara = await signed_in_page(browser, served, personas.support_agent)
    keyboard = sara.keyboard
    await keyboard.press("/")
    await keyboard.type("tiskarna")
    await keyboard.press("Enter")
    await sara.wait_for_url("**q=tiskarna**")
    await keyboard.press("Escape")
    await keyboard.press("j")
    await keyboard.press("Enter")
    await sara.wait_for_url(f"**/tickets/{code}")
    await wait_live(sara)
    await keyboard.press("i")  # internal note
    await expect(sara.locator("#reply-text")).to_be_focused()
    await keyboard.type("Zkontrolováno klávesnicí.")
    await keyboard.press("Control+Enter")
    await expect(sara.locator("#thread")).to_contain_text("Zkontrolováno klávesnicí.")
    await keyboard.press("Escape")
    await keyboard.press("s")  # resolve
    await expect(sara.locator("#panel-status")).to_have_value("resolved")
    assert (await _ticket(runtime, code)).status == "resolved"
    await keyboard.press("n")  # next ticket: nothing else waits for her
    await sara.wait_for_url("**nothing_next=1**")
