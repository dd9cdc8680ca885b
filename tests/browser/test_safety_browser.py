"""Safety confirmation in a phone's browser: the answer page works with two choices and one submit (no
script on it), and a section head's dashboard updates live when answers arrive."""

from __future__ import annotations

from playwright.sync_api import expect

from kiban.accounts.tests.factories import PASSWORD
from kiban.safety import actions, jobs
from kiban.safety.models import Target
from tests.browser.conftest import PHONE, CspWatcher
from tests.browser.helpers import sign_in
from tests.browser.test_chat_browser import asgi_server  # noqa: F401 — uvicorn: HTTP and /ws on one port

expect.set_options(timeout=10_000)


def _phone(browser, base_url: str):
    context = browser.new_context(viewport=PHONE, locale="ja-JP", has_touch=True, base_url=base_url)
    context.set_default_timeout(60_000)  # the shared machine is slow under load
    page = context.new_page()
    page.csp = CspWatcher()
    page.on("console", page.csp)
    return context, page


def test_answer_in_two_taps_and_the_heads_dashboard_follows_live(
    browser,
    asgi_server,  # noqa: F811 — the fixture imported above
    it_admin,
    section_head,
    clerk,
):
    check = actions.do_start_check(
        it_admin, title="震度6弱の地震", departments=[clerk.memberships.get().department_id]
    )
    head_context, board = _phone(browser, asgi_server)
    clerk_context, page = _phone(browser, asgi_server)
    try:
        sign_in(board, section_head.username, PASSWORD)
        board.goto(f"/safety/{check.pk}/dashboard")
        expect(board.locator(".sf-big")).to_contain_text("回答 0 / 対象 2")
        board.wait_for_timeout(1500)  # let the dashboard's socket connect

        sign_in(page, clerk.username, PASSWORD)
        page.goto(f"/safety/{check.pk}/")
        assert page.evaluate("document.scripts.length") == 0
        page.get_by_label("無事").check()
        page.get_by_label("出勤可", exact=True).check()
        page.get_by_role("button", name="回答する").click()
        expect(page.locator(".ok")).to_contain_text("回答しました")
        expect(page.locator(".cur")).to_contain_text("無事")
        assert Target.objects.get(safety_check=check, staff=clerk).status == "safe"

        jobs.push_progress.func(check.pk)  # what the worker runs 2 s after the first answer
        expect(board.locator(".sf-big")).to_contain_text("回答 1 / 対象 2")
        expect(board.locator(".sf-list")).not_to_contain_text("佐藤")
        assert board.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.csp.violations == [] and board.csp.violations == []
    finally:
        clerk_context.close()
        head_context.close()
