"""The whereabouts board on a phone, live: a status set elsewhere (here: by the section's head, for the
clerk) changes the clerk's row without a reload, and the badge beside a name in the directory follows."""

from __future__ import annotations

from playwright.sync_api import expect

from kiban.accounts.tests.factories import PASSWORD
from kiban.presence.actions import do_set_presence
from tests.browser.conftest import PHONE, CspWatcher
from tests.browser.helpers import sign_in
from tests.browser.test_chat_browser import asgi_server  # noqa: F401 — uvicorn: HTTP and /ws on one port

expect.set_options(timeout=10_000)


def test_the_board_updates_live_when_a_status_changes(
    browser,
    asgi_server,  # noqa: F811 — the fixture imported above
    clerk,
    section_head,
    settings,
):
    settings.KIBAN_PRESENCE_GONE_HOUR = 23
    context = browser.new_context(viewport=PHONE, locale="ja-JP", has_touch=True, base_url=asgi_server)
    page = context.new_page()
    page.csp = CspWatcher()
    page.on("console", page.csp)
    try:
        sign_in(page, clerk.username, PASSWORD)
        page.goto("/presence/")
        row = page.locator(f'[data-presence-row="{clerk.username}"]')
        expect(row.locator(".pr-name")).to_have_text("佐藤 花子")
        page.wait_for_timeout(1500)  # let the page's socket connect

        do_set_presence(section_head, clerk, status="out", destination="県民会館", note="携帯に連絡可")

        expect(row.locator('[data-field="status"]')).to_have_text("外出")
        expect(row.locator('[data-field="destination"]')).to_have_text("県民会館")
        expect(row.locator('[data-field="note"]')).to_have_text("携帯に連絡可")
        assert page.locator("body").inner_text().count(clerk.username) == 0  # names, never staff numbers

        # The header's one tap: 在席 for myself, and my row says so after the page comes back.
        page.locator("details.person-menu > summary").click()
        page.locator('.pr-picker button[value="remote"]').click()
        expect(page.locator(f'[data-presence-row="{clerk.username}"] [data-field="status"]')).to_have_text(
            "テレワーク"
        )
        assert page.csp.violations == []
    finally:
        context.close()
