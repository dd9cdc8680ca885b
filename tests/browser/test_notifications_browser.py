"""The notification centre on a phone, live: a notification made on the server lights the bell and
appears on top of the list without a reload; marking all read clears the badge; browser notifications are
asked for only on a click."""

from __future__ import annotations

from playwright.sync_api import expect

from kiban.accounts.tests.factories import PASSWORD
from kiban.notifications.actions import notify
from tests.browser.conftest import PHONE, CspWatcher
from tests.browser.helpers import sign_in
from tests.browser.test_chat_browser import asgi_server  # noqa: F401 — uvicorn: HTTP and /ws on one port

expect.set_options(timeout=10_000)


def test_a_new_notification_lights_the_bell_live_and_read_all_clears_it(
    browser,
    asgi_server,  # noqa: F811 — the fixture imported above
    clerk,
    section_head,
):
    context = browser.new_context(viewport=PHONE, locale="ja-JP", has_touch=True, base_url=asgi_server)
    page = context.new_page()
    page.csp = CspWatcher()
    page.on("console", page.csp)
    try:
        sign_in(page, clerk.username, PASSWORD)
        page.goto("/notifications/")
        badge = page.locator("[data-notif-badge]")
        expect(badge).to_be_hidden()
        expect(page.locator(".notif-empty")).to_have_text("通知はまだありません。")
        page.wait_for_timeout(1500)  # let the page's socket connect

        notify(
            [clerk.pk],
            kind="chat.dm",
            title="髙橋 一郎さんからのメッセージ",
            body="明日の打ち合わせは10時からです",
            url="/chat/",
            actor=section_head,
        )

        expect(badge).to_have_text("1")
        expect(badge).to_be_visible()

        page.reload()
        expect(page.locator(".notif.is-unread .notif-title")).to_contain_text("髙橋 一郎さんからのメッセージ")
        expect(page.locator(".notif.is-unread .notif-body")).to_have_text("明日の打ち合わせは10時からです")
        notify([clerk.pk], kind="chat.mention", title="二件目のお知らせ", actor=section_head)
        expect(page.locator(".notif-list .notif").first).to_contain_text("二件目のお知らせ")
        expect(badge).to_have_text("2")

        page.get_by_role("button", name="すべて既読にする").click()
        expect(badge).to_be_hidden()
        expect(page.locator(".notif.is-unread")).to_have_count(0)
        assert page.csp.violations == []
    finally:
        context.close()


def test_browser_notifications_are_offered_on_a_click_not_on_load(browser, live_server, clerk):
    context = browser.new_context(viewport=PHONE, locale="ja-JP", has_touch=True, base_url=live_server.url)
    page = context.new_page()
    try:
        sign_in(page, clerk.username, PASSWORD)
        page.goto("/notifications/")
        box = page.locator("[data-notif-browser]")
        expect(box).to_be_visible()
        # Nothing asked on load: the permission is still the browser's default.
        assert page.evaluate("Notification.permission") == "default"
        expect(page.get_by_role("button", name="ブラウザ通知を有効にする")).to_be_visible()

        context.grant_permissions(["notifications"])
        page.get_by_role("button", name="ブラウザ通知を有効にする").click()
        expect(box.locator("[data-notif-browser-state]")).to_have_text(
            "このブラウザで通知を表示します(ページを開いている間)。"
        )
        expect(page.get_by_role("button", name="ブラウザ通知を有効にする")).to_be_hidden()
    finally:
        context.close()
