"""Browser tests: Playwright for Python driving Debian's Chromium (/usr/bin/chromium; never a browser
Playwright downloads) against the app served by uvicorn on a loopback port in the test's own event loop,
so the test reads the same database the browser writes.

Without Chromium these tests skip with the reason; under CI (CI=true) they fail instead. Screenshots are
kept in LINKA_TEST_ARTIFACTS (default: var/test-artifacts) for people to look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.databases import under_ci
from tests.personas import Person
from tests.served_app import Served
from tests.served_app import served as served

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# As root in a container Chromium needs --no-sandbox; the rest keeps it off this machine's closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(os.environ.get("LINKA_TEST_ARTIFACTS", "var/test-artifacts"))


def chromium_path() -> str:
    for candidate in (os.environ.get("LINKA_CHROMIUM"), *CHROMIUM_PATHS):
        if candidate and Path(candidate).exists():
            return candidate
    found = shutil.which("chromium")
    if found:
        return found
    if under_ci():
        pytest.fail("CI=true but Debian's chromium is not installed (.ci/run installs it with apt)")
    pytest.skip("browser tests need Debian's chromium (apt install chromium) or LINKA_CHROMIUM=/path")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = chromium_path()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


async def new_context(
    browser: Browser, served: Served, *, locale: str = "en-US", **options: object
) -> BrowserContext:
    context = await browser.new_context(base_url=served.url, locale=locale, **options)  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    return context


async def signed_in_page(browser: Browser, served: Served, person: Person, **options: object) -> Page:
    """A fresh browser context with `person` signed in through the login form, showing the inbox."""
    context = await new_context(browser, served, **options)
    page = await context.new_page()
    await page.goto("/login")
    await page.locator("#email").fill(person.email)
    await page.locator("#password").fill(person.password)
    await page.locator("form.stack button[type=submit]").click()
    await page.wait_for_url("**/tickets**")
    await wait_live(page)
    return page


async def wait_live(page: Page) -> None:
    """Until the page's live connection is open (changes after this reach it)."""
    # A locator, not wait_for_function: the page's CSP (rightly) forbids the eval that would need.
    await page.locator("body[data-live=connected]").wait_for(state="attached")


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name
