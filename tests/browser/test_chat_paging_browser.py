"""The chat client pages: the info panel fetches further pages of members (`GET …/members?limit&offset`) when
asked, on a 360-px phone, under the strict CSP; the conversation list, refreshed after a reconnect, walks every
page of `GET /api/v1/conversations` (a person in 250 conversations gets the badge of the 250th)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from playwright.sync_api import expect

from kiban.accounts.tests.factories import PASSWORD, StaffFactory
from kiban.chat import actions, views
from kiban.chat.models import Conversation, Member
from tests.browser.conftest import PHONE
from tests.browser.helpers import sign_in
from tests.browser.test_chat_browser import _page, _wait_ready, asgi_server  # noqa: F401  (a fixture)

expect.set_options(timeout=10_000)


def test_the_info_panel_fetches_more_members_on_a_phone(phone, clerk, section_head, monkeypatch):
    others = [StaffFactory(username=f"70000{i}") for i in range(5)]
    conv, _ = actions.do_create_conversation(
        clerk, kind="group", members=[section_head.username, *[p.username for p in others]], name="班"
    )
    monkeypatch.setattr(views, "MEMBER_PAGE", 3)
    sign_in(phone, clerk.username, PASSWORD)
    phone.goto(f"/chat/c/{conv.pk}/info/")
    rows = phone.locator("[data-member-list] > li")
    expect(rows).to_have_count(3)
    more = phone.locator("[data-member-more]")
    more.click()
    expect(rows).to_have_count(6)
    more.click()
    expect(rows).to_have_count(7)
    expect(phone.locator("[data-member-more]")).to_have_count(0)
    names = [n.strip() for n in phone.locator("[data-member-list] .member-name").all_inner_texts()]
    assert names == [clerk.full_name, section_head.full_name, *[p.full_name for p in others]]
    # Names, never 職員番号; each links to the person's profile; only the owner's badge shows.
    assert not any(p.username in " ".join(names) for p in others)
    assert (
        phone.locator("[data-member-list] .member-name")
        .nth(6)
        .get_attribute("href")
        .endswith(f"/{others[-1].username}/")
    )
    expect(phone.locator("[data-member-list] .member-owner:visible")).to_have_count(1)
    # The owner may remove a member fetched by the script: the cloned form posts the right person.
    phone.locator(f'[data-member-list] li[data-username="{others[-1].username}"] button').click()
    expect(rows).to_have_count(3)  # back on the first page after the post
    assert not Member.objects.filter(conversation=conv, staff=others[-1]).exists()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert phone.csp.violations == []


def test_the_conversation_list_walks_every_page_after_a_reconnect(browser, asgi_server, clerk):  # noqa: F811
    convs = Conversation.objects.bulk_create(
        [
            Conversation(kind=Conversation.Kind.GROUP, name=f"会議{i:03d}", created_by=clerk)
            for i in range(250)
        ]
    )
    Member.objects.bulk_create([Member(conversation=c, staff=clerk) for c in convs])
    now = timezone.now()
    for i, c in enumerate(convs):  # 会議000 has the oldest activity: last in the list, on the second page
        Conversation.objects.filter(pk=c.pk).update(last_message_at=now - dt.timedelta(hours=250 - i))
    last = convs[0]
    Conversation.objects.filter(pk=last.pk).update(last_seq=3)
    page = _page(browser, asgi_server, PHONE, phone=True)
    sockets, blocked = [], []

    def until_blocked(ws):
        if blocked:
            ws.close()  # once the connection drops, reconnecting fails: the client falls back to polling
            return
        sockets.append(ws)
        ws.connect_to_server()

    page.route_web_socket("**/ws", until_blocked)
    try:
        sign_in(page, clerk.username, PASSWORD)
        page.goto(f"/chat/c/{convs[-1].pk}/")
        _wait_ready(page)
        item = page.locator(f'.conv-item[data-conv-id="{last.pk}"]')
        expect(item).to_have_attribute("data-unread", "3")
        expect(page.locator("[data-chat]")).to_have_attribute("data-realtime", "live", timeout=20_000)
        # Read on another device while this one was away (no event reaches it): only a refresh that reads
        # the second page of the list can learn it.
        Member.objects.filter(conversation=last, staff=clerk).update(last_read_seq=3)
        blocked.append(True)
        sockets[-1].close()
        expect(page.locator("[data-chat]")).to_have_attribute("data-realtime", "polling", timeout=30_000)
        expect(item).to_have_attribute("data-unread", "0", timeout=20_000)
        expect(page.locator(".conv-item")).to_have_count(250)
        assert page.csp.violations == []
    finally:
        page.context.close()
