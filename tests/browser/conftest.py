"""Browser tests: Playwright driving Debian's chromium against pytest-django's live server.

Playwright's own browser download does not work in our closed network, so the tests use the system's
/usr/bin/chromium (KIBAN_CHROMIUM to point elsewhere). Without it they are skipped, unless
KIBAN_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure: a skipped browser test must never turn a
CI run green.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


def _chromium_path() -> str | None:
    path = os.environ.get("KIBAN_CHROMIUM", "/usr/bin/chromium")
    return path if os.access(path, os.X_OK) else None


@pytest.fixture(scope="session")
def browser() -> Iterator:
    executable = _chromium_path()
    if executable is None:
        message = "chromium not found at /usr/bin/chromium (apt-get install chromium, or set KIBAN_CHROMIUM)"
        if os.environ.get("KIBAN_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


class CspWatcher:
    """Collects the Content-Security-Policy violations a page reports in its console."""

    def __init__(self) -> None:
        self.violations: list[str] = []

    def __call__(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.violations.append(message.text)


@pytest.fixture
def phone(browser, live_server):
    """A fresh browser context the size of a phone (360 × 740), Japanese, its pages opened on the live
    server. `phone.csp.violations` lists every CSP violation seen."""
    context = browser.new_context(viewport=PHONE, locale="ja-JP", has_touch=True, base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.csp = CspWatcher()
    page.on("console", page.csp)
    yield page
    context.close()
