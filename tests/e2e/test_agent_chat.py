"""A live chat from the agent's side in a real browser: a visitor (a real widget WebSocket client) starts a
chat, the ring shows up in the agent app, the agent accepts, reads the visitor's line, answers with a
canned message through /shortcut (Enter sends), the visitor receives it and sees it; the seen mark and the
visitor's next line come back live; the agent ends the chat."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from linka.domains.answers import actions as answer_actions
from linka.entrypoints.runtime import Runtime
from tests.e2e.conftest import artifact, signed_in_page
from tests.entrypoints.widget.chat_helpers import chat_row, set_online, visitor_socket
from tests.outbound_mail import actor_for
from tests.personas import Personas
from tests.served_app import Served


async def test_ring_accept_answer_with_a_canned_message_and_end(
    browser: Browser, served: Served, runtime: Runtime, personas: Personas
) -> None:
    sara_person = personas.support_agent
    async with runtime.uow(await actor_for(runtime.db, sara_person)) as uow:
        await answer_actions.create_answer(
            uow,
            kind="canned",
            name="Pozdrav",
            shortcut="pozdrav",
            body_html="<p>Dobrý den, {contact.first_name}, s tiskárnou vám pomůžu.</p>",
        )
    await set_online(runtime, sara_person)
    sara = await signed_in_page(browser, served, sara_person)  # the app is open: Sára can be rung
    await expect(sara.locator("#chat-availability")).to_have_text("Online pro chaty: Support")
    await expect(sara.locator("#availability-select")).to_be_visible()  # the hint sits beside it

    async with visitor_socket(served, personas.support_chat_button.public_id) as visitor:
        chat = await visitor.start("Tiskárna mi hoří", name="Petra Malá")
        chat_id = chat["id"]

        ring = sara.locator(f'[data-ring="{chat_id}"]')
        await expect(ring).to_be_visible()
        await expect(ring).to_contain_text("Příchozí chat")
        await expect(ring).to_contain_text("Petra Malá")
        await expect(ring).to_contain_text("Support")
        await expect(ring).to_contain_text("Tiskárna mi hoří")
        await expect(ring.locator(".ring-countdown")).to_contain_text("s")
        await sara.screenshot(path=artifact("agent-chat-ring.png"))
        await ring.get_by_role("button", name="Přijmout").click()

        await sara.wait_for_url(f"**/chats?chat={chat_id}")
        panel = sara.locator(f'[data-chat-panels] > [data-chat="{chat_id}"]')
        await expect(panel).to_be_visible()
        await expect(panel.locator("[data-chat-lines]")).to_contain_text("Tiskárna mi hoří")
        await expect(sara.locator(f'[data-chat-tab="{chat_id}"]')).to_have_attribute("aria-selected", "true")
        await expect(panel.locator("[data-chat-closed]")).to_be_hidden()
        assert (await visitor.next_state("active"))["agent"] == {"name": sara_person.name}

        body = panel.get_by_role("textbox", name="Zpráva pro: Petra Malá")
        await body.click()
        await body.press_sequentially("/pozdrav")
        await expect(panel.locator("[data-answer-suggestions] [data-answer-text]").first).to_be_visible()
        await body.press("Tab")
        await expect(body).to_have_value("Dobrý den, Petra, s tiskárnou vám pomůžu.")
        # The mouse works too: clicking an offered message inserts it.
        await body.fill("")
        await body.press_sequentially("/pozdrav")
        await panel.locator("[data-answer-suggestions] [data-answer-text]").first.click()
        await expect(body).to_have_value("Dobrý den, Petra, s tiskárnou vám pomůžu.")
        await body.press("Enter")
        await expect(body).to_have_value("")
        await expect(panel.locator("[data-answer-suggestions] [data-answer-text]")).to_have_count(0)

        line = await visitor.next_line(author="agent")
        assert line["text"] == "Dobrý den, Petra, s tiskárnou vám pomůžu."
        assert line["name"] == sara_person.name
        mine = panel.locator(".chat-line.agent", has_text="s tiskárnou vám pomůžu")
        await expect(mine).to_have_attribute("data-seq", str(line["seq"]))
        await expect(mine).not_to_have_class("chat-line agent pending")

        await visitor.send({"type": "seen", "seq": line["seq"]})
        await expect(mine.locator("[data-seen]")).to_be_visible()
        await expect(mine.locator("[data-seen]")).to_have_text("Přečteno")
        await visitor.send({"type": "typing", "typing": True})
        await expect(panel.locator("[data-chat-typing]")).to_be_visible()
        await visitor.say("Díky, už to funguje")
        await expect(panel.locator("[data-chat-lines]")).to_contain_text("Díky, už to funguje")
        await expect(panel.locator("[data-chat-typing]")).to_be_hidden()
        await sara.screenshot(path=artifact("agent-chat-conversation.png"), full_page=True)

        # A second chat while on the page: accepting adds its tab in place (no reload) and selects it.
        async with visitor_socket(served, personas.support_chat_button.public_id) as second_visitor:
            second = (await second_visitor.start("Druhý dotaz", name="Jan Král"))["id"]
            await sara.locator(f'[data-ring="{second}"]').get_by_role("button", name="Přijmout").click()
            second_tab = sara.locator(f'[data-chat-tab="{second}"]')
            await expect(second_tab).to_have_attribute("aria-selected", "true")
            assert sara.url.endswith(f"/chats?chat={second}")
            second_panel = sara.locator(f'[data-chat-panels] > [data-chat="{second}"]')
            await expect(second_panel.locator("[data-chat-lines]")).to_contain_text("Druhý dotaz")
            await expect(panel).to_be_hidden()
            second_body = second_panel.get_by_role("textbox", name="Zpráva pro: Jan Král")
            await second_body.fill("Hned se podívám")
            await second_body.press("Enter")
            assert (await second_visitor.next_line(author="agent"))["text"] == "Hned se podívám"
            # The first chat's tab is one arrow key away.
            await second_tab.focus()
            await second_tab.press("ArrowLeft")
            await expect(panel).to_be_visible()

        await panel.get_by_role("button", name="Ukončit chat").click()
        await sara.wait_for_url("**/chats?done=ended")
        await expect(sara.locator(".flash.ok")).to_contain_text("Chat skončil.")
        ended = await visitor.next_state("ended")
        assert ended["id"] == chat_id

    stored = await chat_row(runtime, chat_id)
    assert (stored.state, stored.ended_by, stored.agent_id) == ("ended", "agent", sara_person.id)
