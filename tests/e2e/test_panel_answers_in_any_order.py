"""The ticket panel shows the newest state whatever order its answers arrive in.

A colleague's change makes the panel refresh itself; an agent's own action (here: Resolve) answers with
the panel too. On a busy server the two answers can cross: the refresh, rendered before the resolve,
may arrive before or after the resolve's answer. The browser holds the answers (Playwright routes) and
lets them through in each order; whichever order, the agent must end up seeing the ticket resolved.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from playwright.async_api import APIResponse, Browser, Page, Route, expect
from sqlalchemy import select

from linka.core.permissions import Origin, system_actor
from linka.domains.tickets import actions as ticket_actions
from linka.domains.tickets import thread_actions
from linka.domains.tickets.models import Ticket
from linka.entrypoints.runtime import Runtime
from tests.e2e.conftest import signed_in_page, wait_live
from tests.personas import Personas
from tests.served_app import Served

SYSTEM = system_actor(Origin.SYSTEM)
# Tells the test when htmx has finished with an answer (swapped it or decided not to). The listener sits on
# the requesting element: an element replaced meanwhile no longer passes its events to the document.
# Playwright's init scripts run outside the page's Content-Security-Policy.
REPORT_LOADS = """
document.addEventListener("htmx:beforeRequest", (event) => {
  const element = event.detail.elt;
  const report = (loaded) => {
    if (loaded.target !== element) return;
    element.removeEventListener("htmx:afterOnLoad", report);
    window.linkaTestLoaded(`${loaded.detail.requestConfig.verb} ${loaded.detail.pathInfo.requestPath}`);
  };
  element.addEventListener("htmx:afterOnLoad", report);
});
"""


@dataclass
class HeldAnswers:
    """Answers of the panel's requests, fetched from the server but kept from the page until released."""

    held: list[tuple[str, Route, APIResponse]] = field(default_factory=list)
    loaded: list[str] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def hold(self, route: Route) -> None:
        response = await route.fetch()  # the server has answered (and committed) by now
        self.held.append((f"{route.request.method.lower()} {route.request.url}", route, response))
        self.changed.set()

    def report(self, what: str) -> None:
        self.loaded.append(what)
        self.changed.set()

    async def until(self, condition: object) -> None:
        async with asyncio.timeout(10):
            while not condition():  # type: ignore[operator]
                self.changed.clear()
                await self.changed.wait()

    async def release(self, method: str, path: str) -> None:
        """Let the first held answer of `method path` reach the page and wait until htmx is done with it."""
        await self.until(
            lambda: any(what.startswith(method) and what.endswith(path) for what, _, _ in self.held)
        )
        index = next(
            i for i, (what, _, _) in enumerate(self.held) if what.startswith(method) and what.endswith(path)
        )
        _, route, response = self.held.pop(index)
        done_before = self.loaded.count(f"{method} {path}")
        await route.fulfill(response=response)
        await self.until(lambda: self.loaded.count(f"{method} {path}") > done_before)

    async def drop_the_rest(self) -> None:
        for _, route, _ in self.held:
            await route.abort()
        self.held.clear()


async def _version(runtime: Runtime, code: str) -> int:
    async with runtime.db.read_session() as session:
        ticket = (await session.execute(select(Ticket).where(Ticket.code == code))).scalar_one()
    return round(ticket.updated_at.timestamp() * 1_000_000)


async def _ticket_page_with_held_panel_answers(
    browser: Browser, served: Served, runtime: Runtime, personas: Personas, subject: str
) -> tuple[Page, str, HeldAnswers]:
    async with runtime.uow(SYSTEM) as uow:
        ticket = await ticket_actions.create_ticket(
            uow,
            subject=subject,
            contact_id=personas.contacts["karel"],
            department_id=personas.departments["support"],
        )
        await thread_actions.add_customer_message(uow, code=ticket.code, text="Tiskárna hlásí chybu 49.")
    code = ticket.code
    page = await signed_in_page(browser, served, personas.support_agent)
    answers = HeldAnswers()
    await page.expose_function("linkaTestLoaded", answers.report)
    await page.add_init_script(REPORT_LOADS)
    await page.goto(f"/tickets/{code}")
    await wait_live(page)
    await page.route(f"**/tickets/{code}/panel", answers.hold)
    await page.route(f"**/tickets/{code}/resolve", answers.hold)
    return page, code, answers


async def _refresh_rendered_before_resolving(
    runtime: Runtime, page: Page, code: str, answers: HeldAnswers
) -> int:
    """A colleague's change refreshes the panel; its answer is rendered, then the agent resolves."""
    async with runtime.uow(SYSTEM) as uow:
        await thread_actions.add_customer_message(uow, code=code, text="A teď netiskne vůbec.")
    before_resolve = await _version(runtime, code)
    await answers.until(lambda: any(what.startswith("get") for what, _, _ in answers.held))
    await page.locator("#panel button[data-shortcut=resolve]").click()
    await answers.until(lambda: any(what.startswith("post") for what, _, _ in answers.held))
    return before_resolve


async def test_a_refresh_answered_before_the_resolve_does_not_hide_it(
    browser: Browser, served: Served, runtime: Runtime, personas: Personas
) -> None:
    page, code, answers = await _ticket_page_with_held_panel_answers(
        browser, served, runtime, personas, "Refresh first"
    )
    before_resolve = await _refresh_rendered_before_resolving(runtime, page, code, answers)

    # The refresh lands first and replaces the panel the Resolve button was in...
    await answers.release("get", f"/tickets/{code}/panel")
    await expect(page.locator(f"#panel[data-version='{before_resolve}']")).to_be_attached()
    # ...then the resolve's answer arrives, meant for the panel that is gone: it must still show.
    await answers.release("post", f"/tickets/{code}/resolve")
    await expect(page.locator("#panel-status")).to_have_value("resolved")
    await expect(page.locator("#panel button[data-shortcut=resolve]")).to_have_count(0)
    await answers.drop_the_rest()  # later refreshes would show it too: keep them out of the proof
    assert (await _ticket(runtime, code)).status == "resolved"


async def test_a_refresh_answered_after_the_resolve_does_not_undo_it(
    browser: Browser, served: Served, runtime: Runtime, personas: Personas
) -> None:
    page, code, answers = await _ticket_page_with_held_panel_answers(
        browser, served, runtime, personas, "Resolve first"
    )
    await _refresh_rendered_before_resolving(runtime, page, code, answers)

    await answers.release("post", f"/tickets/{code}/resolve")
    await expect(page.locator("#panel-status")).to_have_value("resolved")
    resolved_version = await _version(runtime, code)
    # The refresh rendered before the resolve arrives last: the page keeps the newer panel.
    await answers.release("get", f"/tickets/{code}/panel")
    await expect(page.locator("#panel-status")).to_have_value("resolved")
    await expect(page.locator(f"#panel[data-version='{resolved_version}']")).to_be_attached()
    await answers.drop_the_rest()


async def _ticket(runtime: Runtime, code: str) -> Ticket:
    async with runtime.db.read_session() as session:
        return (await session.execute(select(Ticket).where(Ticket.code == code))).scalar_one()
