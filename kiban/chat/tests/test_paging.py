"""Every chat list pages (CONTRACT.md): `limit` (at most 200) and `offset` in, `{"results", "more"}` out, `more`
true exactly when rows follow; walking the pages gives every row once, in the order of the whole list."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kiban.accounts.tests.factories import StaffFactory
from kiban.chat import actions, views
from kiban.chat.models import Conversation, Member
from kiban.chat.tests.factories import as_member, make_channel, make_group, post

pytestmark = pytest.mark.django_db
J = "application/json"


def walk(client, path: str, limit: int, key: str = "id") -> tuple[list, list[bool]]:
    """Every row of a paged list, page by page, and each page's `more`."""
    rows, mores, offset = [], [], 0
    while True:
        response = client.get(path, {"limit": limit, "offset": offset})
        assert response.status_code == 200, response.content
        page = response.json()
        assert set(page) == {"results", "more"}
        assert len(page["results"]) <= limit
        rows += [r[key] for r in page["results"]]
        mores.append(page["more"])
        if not page["more"]:
            return rows, mores
        offset += limit


def test_a_person_in_300_conversations_is_listed_all_of_them(client, clerk):
    convs = Conversation.objects.bulk_create(
        [
            Conversation(kind=Conversation.Kind.GROUP, name=f"会議{i:03d}", created_by=clerk)
            for i in range(300)
        ]
    )
    Member.objects.bulk_create([Member(conversation=c, staff=clerk) for c in convs])
    client.force_login(clerk)
    ids, mores = walk(client, "/api/v1/conversations", 200)
    assert sorted(ids) == sorted(c.pk for c in convs)
    assert mores == [True, False]
    whole = [c["id"] for c in client.get("/api/v1/conversations", {"limit": 200}).json()["results"]]
    smaller, _m = walk(client, "/api/v1/conversations", 7)
    assert smaller[:200] == whole  # the same order, page by page
    assert client.get("/api/v1/conversations", {"limit": 201}).status_code == 400
    assert client.get("/api/v1/conversations", {"offset": -1}).status_code == 400


def test_members_page_owners_first_then_in_joining_order(client, clerk, section_head, other_clerk):
    others = [StaffFactory(username=f"70000{i}") for i in range(4)]
    conv = make_channel(section_head, clerk, other_clerk, *others, name="全庁")
    client.force_login(clerk)
    path = f"/api/v1/conversations/{conv.pk}/members"
    usernames, mores = walk(client, path, 2, key="username")
    assert usernames == [
        section_head.username,
        clerk.username,
        other_clerk.username,
        *[p.username for p in others],
    ]
    assert mores == [True, True, True, False]
    first = client.get(path, {"limit": 1}).json()["results"][0]
    assert first == {"username": section_head.username, "name": section_head.full_name, "role": "owner"}


def test_pins_teams_channels_and_webhooks_page(client, clerk, section_head):
    conv = make_channel(section_head, clerk, name="防災")
    messages = [post(section_head, conv, f"第{i}報") for i in range(3)]
    for m in messages:
        actions.do_pin_message(section_head, m)
    for i in range(3):
        actions.do_create_webhook(section_head, as_member(section_head, conv), f"通知{i}")
    for name in ("広報", "防災訓練"):
        actions.do_create_team(section_head, name=name)
    team = conv.team
    actions.do_create_conversation(section_head, kind="channel", name="連絡", team_id=team.pk)
    client.force_login(section_head)
    pins, mores = walk(client, f"/api/v1/conversations/{conv.pk}/pins", 2)
    assert (pins, mores) == ([m.pk for m in reversed(messages)], [True, False])
    hooks, mores = walk(client, f"/api/v1/conversations/{conv.pk}/webhooks", 2, key="bot_name")
    assert (hooks, mores) == (["通知0", "通知1", "通知2"], [True, False])
    teams, mores = walk(client, "/api/v1/teams", 2, key="name")
    assert sorted(teams) == ["テストチーム", "広報", "防災訓練"] and mores == [True, False]
    channels, mores = walk(client, f"/api/v1/teams/{team.pk}/channels", 2, key="name")
    assert (channels, mores) == (["一般", "連絡", "防災"], [True, False])


def test_another_persons_private_lists_are_404(client, clerk, section_head, other_clerk):
    conv = make_group(section_head, clerk, name="人事")
    client.force_login(other_clerk)
    for suffix in ("members", "pins", "webhooks"):
        response = client.get(f"/api/v1/conversations/{conv.pk}/{suffix}", {"limit": 10})
        assert response.status_code == 404, suffix


def test_info_panel_pages_its_members(client, clerk, section_head, monkeypatch):
    others = [StaffFactory(username=f"70000{i}") for i in range(3)]
    conv = make_group(section_head, clerk, *others, name="班")
    monkeypatch.setattr(views, "MEMBER_PAGE", 2)
    client.force_login(clerk)
    url = reverse("chat:info", args=[conv.pk])
    first = client.get(url).content.decode()
    assert "メンバー（5人）" in first
    assert section_head.full_name in first and clerk.full_name in first
    assert others[0].full_name not in first
    assert 'href="?members=2" data-member-more' in first
    assert 'data-next="2"' in first
    second = client.get(url, {"members": 2}).content.decode()
    assert others[0].full_name in second and others[1].full_name in second
    assert section_head.full_name not in second.split("member-list", 1)[1].split("</ul>", 1)[0]
    last = client.get(url, {"members": 4}).content.decode()
    assert others[2].full_name in last and "data-member-more" not in last
    # The script's row templates are in the page; usernames never appear as text.
    assert 'id="member-plain"' in first
