"""The chat widget (static/widget/linka-chat.js) in a real browser against the served app: a visitor on
the preview page chats with an agent on the agent socket (/ws/agent, as the agent app speaks it).

The visitor's browser reaches Linka through a small TCP relay the test controls, so it can pull the plug
on a live connection (and swallow what the server answers) the way a train tunnel would; Linka's pages
forbid the eval that closing the socket from the page would need, and the relay drops the connection
for real. What is asserted is what the visitor sees and what is stored."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from playwright.async_api import Browser, ConsoleMessage, Error, Page, Response, expect
from sqlalchemy import func, select

from linka.core.permissions import SYSTEM
from linka.domains.chat import button_actions
from linka.domains.chat.models import Chat
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.thread_models import Message
from linka.entrypoints.runtime import Runtime
from tests.e2e.conftest import artifact, new_context
from tests.entrypoints.realtime.conftest import agent_socket
from tests.entrypoints.widget.chat_helpers import agent_line, configure_button, set_online
from tests.personas import Personas
from tests.served_app import Served


class Relay:
    """A TCP relay in front of the served app. `pull_plug` cuts every connection and refuses new ones
    until `plug_in`; `swallow_answers` keeps forwarding what the browser sends but drops what comes back."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.connected = True
        self.swallowing = False
        self.links: set[asyncio.StreamWriter] = set()
        self.server: asyncio.Server | None = None
        self.url = ""

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        self.pull_plug()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    def pull_plug(self) -> None:
        self.connected = False
        for writer in list(self.links):
            writer.transport.abort()
        self.links.clear()

    def plug_in(self) -> None:
        self.swallowing = False
        self.connected = True

    def swallow_answers(self) -> None:
        self.swallowing = True

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.connected:
            writer.transport.abort()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        self.links.update((writer, up_writer))

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter, answers: bool) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await source.read(65536):
                    if answers and self.swallowing:
                        continue
                    sink.write(data)
                    await sink.drain()
            sink.transport.abort()

        await asyncio.gather(pipe(reader, up_writer, False), pipe(up_reader, writer, True))
        self.links.difference_update((writer, up_writer))


@contextlib.asynccontextmanager
async def relay_to(served: Served) -> AsyncIterator[Relay]:
    relay = Relay(int(served.url.rsplit(":", 1)[1]))
    await relay.start()
    try:
        yield relay
    finally:
        await relay.stop()


async def _visitor_page(browser: Browser, served: Served, errors: list[str], locale: str = "en-US") -> Page:
    context = await new_context(browser, served, locale=locale)
    page = await context.new_page()
    # Script errors, and requests Linka refused (the favicon aside). The browser's own console lines
    # about failed loads and refused socket handshakes are expected while the plug is pulled.

    def script_error(error: Error) -> None:
        errors.append(str(error))

    def refused(response: Response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            errors.append(f"{response.status} {response.url}")

    page.on("pageerror", script_error)
    page.on("response", refused)
    return page


async def _stored_lines(runtime: Runtime, chat_public_id: str, text: str) -> int:
    async with runtime.db.read_session() as session:
        group_id = (
            await session.execute(select(Chat.group_id).where(Chat.public_id == chat_public_id))
        ).scalar_one()
        return (
            await session.execute(
                select(func.count()).where(Message.group_id == group_id, Message.body == text)
            )
        ).scalar_one()


async def test_a_visitor_chats_through_navigation_and_a_dropped_connection_and_rates_the_chat(
    browser: Browser, served: Served, runtime: Runtime, personas: Personas
) -> None:
    button = personas.support_chat_button.public_id
    sara_name = personas.support_agent.name
    errors: list[str] = []
    async with relay_to(served) as relay:
        await configure_button(runtime, personas, allowed_origins=[relay.url])
        await set_online(runtime, personas.support_agent)
        async with agent_socket(served, personas.support_agent) as sara:
            page = await _visitor_page(browser, served, errors)
            await page.goto(f"{relay.url}/widget/preview/{button}")
            launcher = page.get_by_role("button", name="Open chat")
            await launcher.click()
            dialog = page.get_by_role("dialog")
            await expect(dialog).to_be_visible()
            # Focus moves into the panel; Escape closes it and gives focus back to the button.
            await expect(page.get_by_label("Your name")).to_be_focused()
            await page.keyboard.press("Escape")
            await expect(dialog).to_be_hidden()
            await expect(launcher).to_be_focused()
            await page.keyboard.press("Enter")
            await expect(dialog).to_be_visible()

            # The pre-chat form checks itself, in the widget's words.
            await page.get_by_role("button", name="Start chat").click()
            await expect(page.get_by_text("Please fill in this field.")).to_be_visible()
            await page.get_by_label("Your name").fill("Petra Malá")
            await page.get_by_label("Your email").fill("petra@example.test")
            await page.get_by_label("How can we help?").fill("Tiskárna nejde 🖨️")
            await page.get_by_role("button", name="Start chat").click()

            ring = await sara.next_of("chat_ring", wait=10)
            chat = ring["chat"]
            assert ring["text"] == "Tiskárna nejde 🖨️"
            await sara.send({"type": "chat_accept", "chat": chat})
            log = page.get_by_role("log")
            await expect(log).to_contain_text(f"{sara_name} joined the chat.")

            # Both ways: typing, lines, seen marks.
            await sara.send({"type": "chat_typing", "chat": chat, "typing": True})
            await expect(dialog).to_contain_text(f"{sara_name} is writing…")
            await sara.send(
                {"type": "chat_send", "chat": chat, "key": "sara-1", "text": "Dobrý den 👋 Co hlásí?"}
            )
            await expect(log.locator(".agent .text")).to_have_text(["Dobrý den 👋 Co hlásí?"])
            composer = page.get_by_label("Message", exact=True)
            await composer.press_sequentially("Bliká oranžově")
            assert (await sara.next_of("chat_typing", chat=chat))["typing"] is True
            await composer.press("Enter")
            heard = await agent_line(sara, chat, author="visitor", text="Bliká oranžově")
            await sara.send({"type": "chat_seen", "chat": chat, "seq": heard["seq"]})
            await expect(log.locator(".visitor").last).to_contain_text("Seen")

            # To another page while Sára writes: the history is there once, and her line too.
            await page.goto("about:blank")
            await sara.send(
                {"type": "chat_send", "chat": chat, "key": "sara-2", "text": "Zkuste ji vypnout."}
            )
            await sara.next_of("chat_ack", key="sara-2")
            await page.goto(f"{relay.url}/widget/preview/{button}?page=2")
            log = page.get_by_role("log")
            texts = log.locator(".line .text")
            history = [
                "Tiskárna nejde 🖨️",
                f"{sara_name} joined the chat.",
                "Dobrý den 👋 Co hlásí?",
                "Bliká oranžově",
                "Zkuste ji vypnout.",
            ]
            await expect(page.get_by_role("dialog")).to_be_visible()  # it was open: it stays open
            await expect(texts).to_have_text(history)
            await page.reload()
            # At once, from what the last page showed; then connected (the "Connecting…" note goes).
            await expect(texts).to_have_text(history)
            status = page.locator("[data-linka-chat] .status")
            await expect(status).to_be_hidden()
            await expect(texts).to_have_text(history)

            # The connection drops: a line written meanwhile waits, and arrives once after reconnecting.
            relay.pull_plug()
            await expect(status).to_have_text("Connection lost. Reconnecting…")
            composer = page.get_by_label("Message", exact=True)
            await composer.fill("Vypnutá, pořád bliká")
            await composer.press("Enter")
            await expect(log.locator(".visitor").last).to_contain_text("Sending…")
            await page.screenshot(path=artifact("widget-reconnecting.png"))
            await asyncio.sleep(1.5)  # at least one refused attempt
            relay.plug_in()
            await agent_line(sara, chat, wait=20, author="visitor", text="Vypnutá, pořád bliká")
            await expect(status).to_be_hidden(timeout=20_000)
            await expect(log.locator(".visitor").last).not_to_contain_text("Sending…")

            # The answer is lost on the way back: the line is stored, the widget never hears so, and
            # sends it again (same key) after the reconnect; it is stored and shown once.
            relay.swallow_answers()
            await composer.fill("Tohle potvrzení se ztratí")
            await composer.press("Enter")
            await agent_line(sara, chat, author="visitor", text="Tohle potvrzení se ztratí")
            relay.pull_plug()
            await expect(status).to_have_text("Connection lost. Reconnecting…")
            relay.plug_in()
            await expect(status).to_be_hidden(timeout=20_000)
            await expect(log.locator(".visitor").last).not_to_contain_text("Sending…")
            await sara.nothing_of("chat_message", wait=1.0)
            assert await _stored_lines(runtime, chat, "Vypnutá, pořád bliká") == 1
            assert await _stored_lines(runtime, chat, "Tohle potvrzení se ztratí") == 1
            await expect(texts).to_have_text([*history, "Vypnutá, pořád bliká", "Tohle potvrzení se ztratí"])

            # The end: the visitor ends it, rates it and asks for the transcript.
            await page.get_by_role("button", name="End chat").click()
            await expect(log).to_contain_text("The chat has ended.")
            await page.get_by_role("button", name="Good").click()
            await page.get_by_label("Comment (optional)").fill("Rychlé 👍")
            await page.get_by_role("button", name="Send rating").click()
            await expect(page.get_by_text("Thank you for your rating.")).to_be_visible()
            await expect(page.get_by_label("Email me the transcript")).to_have_value("petra@example.test")
            await page.get_by_role("button", name="Send transcript").click()
            await expect(
                page.get_by_text("The transcript is on its way to petra@example.test.")
            ).to_be_visible()
            await page.screenshot(path=artifact("widget-ended.png"))

    # The server handles one socket's frames in order: the transcript confirmed means the rating is stored.
    async with runtime.db.read_session() as session:
        stored = (await session.execute(select(Chat).where(Chat.public_id == chat))).scalar_one()
    assert (stored.state, stored.rating, stored.rating_comment) == ("ended", "good", "Rychlé 👍")
    assert errors == [], errors


async def test_nobody_online_the_visitor_leaves_a_message_that_becomes_a_ticket(
    browser: Browser, served: Served, runtime: Runtime, personas: Personas
) -> None:
    button = personas.support_chat_button.public_id
    errors: list[str] = []
    async with relay_to(served) as relay:
        await configure_button(runtime, personas, allowed_origins=[relay.url])
        page = await _visitor_page(browser, served, errors)
        await page.goto(f"{relay.url}/widget/preview/{button}")
        await page.get_by_role("button", name="Open chat").click()
        await expect(page.get_by_role("dialog")).to_contain_text("Nobody is available right now.")
        await page.get_by_label("Your email").fill("jan@example.test")
        await page.get_by_label("How can we help?").fill("Zavolejte mi prosím zítra.")
        await page.get_by_role("button", name="Send message").click()
        await expect(page.get_by_role("dialog")).to_contain_text("Thank you! We have your message")

    async with runtime.db.read_session() as session:
        subjects = (await session.execute(select(Ticket.subject, Ticket.status))).all()
    assert ("Zavolejte mi prosím zítra.", "new") in [tuple(row) for row in subjects]
    assert errors == [], errors


async def test_an_invitation_answered_starts_the_chat_in_the_visitors_language(
    browser: Browser, served: Served, runtime: Runtime, personas: Personas
) -> None:
    button = personas.support_chat_button.public_id
    errors: list[str] = []
    async with relay_to(served) as relay:
        await configure_button(runtime, personas, allowed_origins=[relay.url], prechat_fields=[])
        async with runtime.uow(SYSTEM) as uow:
            await button_actions.create_invitation_rule(
                uow,
                button_id=personas.support_chat_button.id,
                name="preview page two",
                conditions=[{"field": "page_url", "op": "contains", "value": "page=2"}],
                message={"en": "Can we help?", "cs": "Můžeme vám pomoci?"},
            )
        await set_online(runtime, personas.support_agent)
        async with agent_socket(served, personas.support_agent) as sara:
            page = await _visitor_page(browser, served, errors, locale="cs-CZ")
            await page.goto(f"{relay.url}/widget/preview/{button}?page=2")
            invitation = page.get_by_role("region", name="Pozvánka do chatu")
            await expect(invitation).to_contain_text("Můžeme vám pomoci?")
            await invitation.get_by_label("Vaše odpověď").fill("Ano, hledám ovladač")
            await invitation.get_by_role("button", name="Odeslat").click()
            ring = await sara.next_of("chat_ring", wait=10)
            assert ring["text"] == "Ano, hledám ovladač"
            dialog = page.get_by_role("dialog")
            await expect(dialog).to_be_visible()
            await expect(page.get_by_label("Zpráva", exact=True)).to_be_focused()
            await expect(dialog.get_by_role("status")).to_have_text("Ve frontě jste na 1. místě.")
    assert errors == [], errors


async def test_files_go_into_the_chat_and_a_refused_type_is_explained(
    browser: Browser, served: Served, runtime: Runtime, personas: Personas
) -> None:
    button = personas.support_chat_button.public_id
    errors: list[str] = []
    async with relay_to(served) as relay:
        # No pre-chat form: the first line written starts the chat.
        await configure_button(runtime, personas, allowed_origins=[relay.url], prechat_fields=[])
        await set_online(runtime, personas.support_agent)
        async with agent_socket(served, personas.support_agent) as sara:
            page = await _visitor_page(browser, served, errors)
            await page.goto(f"{relay.url}/widget/preview/{button}")
            await page.get_by_role("button", name="Open chat").click()
            composer = page.get_by_label("Message", exact=True)
            await expect(composer).to_be_focused()
            await composer.fill("Posílám log")
            await composer.press("Enter")
            ring = await sara.next_of("chat_ring", wait=10)
            assert ring["text"] == "Posílám log"
            await sara.send({"type": "chat_accept", "chat": ring["chat"]})

            log = page.get_by_role("log")
            upload = page.locator("[data-linka-chat] input[type=file]")
            await upload.set_input_files(
                {"name": "tiskarna.log", "mimeType": "text/plain", "buffer": b"E49 fuser\n"}
            )
            link = log.get_by_role("link", name="tiskarna.log")
            await expect(link).to_be_visible()
            line = await agent_line(sara, ring["chat"], kind="file", author="visitor")
            assert line["file"]["name"] == "tiskarna.log"
            # The link works for the visitor (their token is in it) and nobody else.
            href = await link.get_attribute("href")
            assert href
            assert "token=" in href
            fetched = await page.request.get(href)
            assert (fetched.status, await fetched.text()) == (200, "E49 fuser\n")
            assert (await page.request.get(href.split("?")[0])).status != 200

            await upload.set_input_files(
                {"name": "driver.exe", "mimeType": "application/octet-stream", "buffer": b"MZ"}
            )
            await expect(page.get_by_role("dialog").get_by_role("status").first).to_have_text(
                "This type of file cannot be sent."
            )
            await expect(log.get_by_role("link")).to_have_count(1)
    # The one refusal: the program file (415).
    assert [error.split(" ", 1)[0] for error in errors] == ["415"], errors


# A customer's page that trusts nothing inline: scripts only from Linka, no inline styles, Trusted Types
# required for any HTML sink. Its own styles are aggressive, to show they do not reach the widget.
SHOP_PAGE = """<!doctype html><html lang="hu"><head><meta charset="utf-8"><title>Bolt</title>
<link rel="stylesheet" href="/shop.css"></head><body><p class="note">Üdvözöljük a boltban.</p>
<button type="button" id="help">Segítség</button><script src="/shop.js"></script>
<script src="{linka}/static/widget/linka-chat.js" data-linka-button="{button}" {extra} async></script>
</body></html>"""
SHOP_CSS = "button, p, div { background: rgb(255, 0, 0) !important; font-family: serif !important; }"
# The site's own "Help" button, for sites that hide ours.
SHOP_JS = "document.getElementById('help').addEventListener('click', () => window.LinkaChat.open());"


@contextlib.asynccontextmanager
async def shop_site(served: Served, button: str, *, extra: str = "") -> AsyncIterator[str]:
    """The customer's web site: another origin (localhost, another port) on the same machine, since
    Chromium keeps public pages from loading anything from loopback addresses."""
    policy = (
        f"default-src 'self'; script-src 'self' {served.url}; style-src 'self'; img-src 'self';"
        f" connect-src {served.url} {served.url.replace('http', 'ws')}; require-trusted-types-for 'script'"
    )

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = (await reader.readuntil(b"\r\n\r\n")).decode()
        if request.startswith("GET /shop.css"):
            body, headers = SHOP_CSS.encode(), "Content-Type: text/css\r\n"
        elif request.startswith("GET /shop.js"):
            body, headers = SHOP_JS.encode(), "Content-Type: text/javascript\r\n"
        else:
            body = SHOP_PAGE.format(linka=served.url, button=button, extra=extra).encode()
            headers = f"Content-Type: text/html; charset=utf-8\r\nContent-Security-Policy: {policy}\r\n"
        writer.write(
            f"HTTP/1.1 200 OK\r\n{headers}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    try:
        yield f"http://localhost:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        await server.wait_closed()


async def test_on_a_customers_site_under_a_strict_policy_the_widget_keeps_its_looks_and_works(
    browser: Browser, served: Served, runtime: Runtime, personas: Personas
) -> None:
    button = personas.support_chat_button.public_id
    errors: list[str] = []
    await set_online(runtime, personas.support_agent)
    async with shop_site(served, button) as shop, agent_socket(served, personas.support_agent) as sara:
        await configure_button(
            runtime,
            personas,
            allowed_origins=[shop],
            appearance={"colour": "#1d6b3a", "position": "left", "texts": {}},
        )
        page = await _visitor_page(browser, served, errors, locale="cs-CZ")
        violations: list[str] = []

        def console(message: ConsoleMessage) -> None:
            if message.type == "error":
                violations.append(message.text)

        page.on("console", console)
        await page.goto(f"{shop}/")
        # <html lang="hu"> wins over the browser's Czech.
        launcher = page.get_by_role("button", name="Csevegés megnyitása")
        await expect(launcher).to_have_css("background-color", "rgb(29, 107, 58)")
        box = await launcher.bounding_box()
        assert box
        assert box["x"] < 100, box  # bottom left
        # Ours stay in: the page's paragraph keeps the page's looks.
        await expect(page.locator("body > p.note")).to_have_css("font-family", "serif")
        await launcher.click()
        dialog = page.get_by_role("dialog")
        await expect(dialog.locator("header")).to_have_css("background-color", "rgb(29, 107, 58)")
        await dialog.get_by_label("Az Ön e-mail-címe").fill("vevo@example.test")
        await dialog.get_by_label("Miben segíthetünk?").fill("Hol a csomagom?")
        await dialog.get_by_role("button", name="Beszélgetés indítása").click()
        ring = await sara.next_of("chat_ring", wait=10)
        assert ring["text"] == "Hol a csomagom?"
        await expect(dialog.get_by_role("status")).to_have_text("Az Ön helye a sorban: 1.")
        # A file from another origin: the upload answers with CORS headers the widget may read.
        await dialog.locator("input[type=file]").set_input_files(
            {"name": "szamla.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}
        )
        await expect(dialog.get_by_role("log").get_by_role("link", name="szamla.pdf")).to_be_visible()
        await page.screenshot(path=artifact("widget-on-a-shop.png"))
    # No policy violation, no script error, nothing refused.
    assert violations == []
    assert errors == []


async def test_a_site_with_its_own_button_opens_the_chat_through_the_script_api(
    browser: Browser, served: Served, runtime: Runtime, personas: Personas
) -> None:
    button = personas.support_chat_button.public_id
    errors: list[str] = []
    async with shop_site(served, button, extra="data-linka-hide-button data-linka-language=en") as shop:
        await configure_button(runtime, personas, allowed_origins=[shop])
        page = await _visitor_page(browser, served, errors)
        await page.goto(f"{shop}/")
        help_button = page.locator("#help")
        dialog = page.get_by_role("dialog")
        await expect(page.locator("[data-linka-chat]")).to_be_attached()
        await expect(page.get_by_role("button", name="Open chat")).to_have_count(0)
        await help_button.click()
        # data-linka-language overrides the page's Hungarian; nobody is online: the offline form.
        await expect(dialog).to_contain_text("Leave us a message")
        await expect(dialog.get_by_label("Your name")).to_be_focused()
        await page.keyboard.press("Escape")
        await expect(dialog).to_be_hidden()
        await expect(help_button).to_be_focused()
    assert errors == []
