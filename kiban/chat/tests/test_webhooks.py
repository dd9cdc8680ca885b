"""Incoming webhooks: owners create them, the token is shown once, POST /hooks/<token> posts as a bot."""

from __future__ import annotations

import json

import pytest

from kiban.accounts.tokens import hash_token
from kiban.chat import actions
from kiban.chat.hooks import RATE_LIMIT
from kiban.chat.models import Message, Webhook
from kiban.chat.tests.factories import as_member, make_channel
from kiban.core.models import AuditEntry
from kiban.realtime.testing import capture_events

pytestmark = pytest.mark.django_db
J = "application/json"


@pytest.fixture
def channel(clerk, section_head):
    return make_channel(clerk, section_head, name="防災")


@pytest.fixture
def token(client, clerk, channel):
    client.force_login(clerk)
    response = client.post(
        f"/api/v1/conversations/{channel.pk}/webhooks", {"bot_name": "気象警報"}, content_type=J
    )
    assert response.status_code == 201
    client.logout()
    return response.json()["token"]


def test_token_is_shown_once_and_stored_hashed(client, clerk, channel, token):
    hook = Webhook.objects.get()
    assert hook.token_hash == hash_token(token)
    assert token not in hook.token_hash
    client.force_login(clerk)
    [listed] = client.get(f"/api/v1/conversations/{channel.pk}/webhooks").json()["results"]
    assert (listed["bot_name"], listed["token"], listed["url"]) == ("気象警報", None, None)
    assert AuditEntry.objects.filter(action="chat.webhook.create").count() == 1


def test_post_creates_a_bot_message_announced_to_members(client, clerk, section_head, channel, token):
    with capture_events() as events:
        response = client.post(f"/hooks/{token}", json.dumps({"text": "**大雨警報** 発表"}), content_type=J)
    assert response.status_code == 201
    message = Message.objects.get()
    assert (message.author_id, message.bot_name, message.seq) == (None, "気象警報", 1)
    assert message.html == "<p><strong>大雨警報</strong> 発表</p>"
    [(user_ids, event)] = events
    assert user_ids == sorted([clerk.pk, section_head.pk])
    assert (event.message.author, event.message.author_name) == (None, "気象警報")


def test_username_overrides_the_bot_name(client, channel, token):
    client.post(f"/hooks/{token}", json.dumps({"text": "監視OK", "username": "監視サーバ"}), content_type=J)
    assert Message.objects.get().bot_name == "監視サーバ"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ("{not json", "body"),
        ("[1, 2]", "body"),
        ("{}", "text"),
        ('{"text": ""}', "text"),
        ('{"text": "   "}', "text"),
        ('{"text": 42}', "text"),
        (json.dumps({"text": "x" * 10_001}), "text"),
        (json.dumps({"text": "ok", "username": "x" * 65}), "username"),
        (json.dumps({"text": "ok", "username": ["a"]}), "username"),
    ],
)
def test_bad_payload_is_400_naming_the_field_and_posts_nothing(client, channel, token, raw, field):
    with capture_events() as events:
        response = client.post(f"/hooks/{token}", raw, content_type=J)
    assert response.status_code == 400
    assert response.json()["detail"].split(":")[0] == field
    assert (Message.objects.count(), events) == (0, [])


def test_unknown_and_revoked_tokens_are_404(client, clerk, channel, token):
    assert client.post("/hooks/kbh_nope", json.dumps({"text": "x"}), content_type=J).status_code == 404
    client.force_login(clerk)
    hook = Webhook.objects.get()
    assert client.delete(f"/api/v1/conversations/{channel.pk}/webhooks/{hook.pk}").status_code == 204
    client.logout()
    assert client.post(f"/hooks/{token}", json.dumps({"text": "x"}), content_type=J).status_code == 404
    assert Message.objects.count() == 0


def test_get_is_not_allowed(client, token):
    assert client.get(f"/hooks/{token}").status_code == 405


def test_rate_limit(client, channel, token):
    from django.core.cache import cache

    key = f"chat:hook:{Webhook.objects.get().pk}"
    cache.set(key, RATE_LIMIT, timeout=60)
    try:
        response = client.post(f"/hooks/{token}", json.dumps({"text": "洪水"}), content_type=J)
    finally:
        cache.delete(key)  # ids repeat between tests on SQLite; the cache outlives the test
    assert (response.status_code, response["Retry-After"]) == (429, "60")
    assert Message.objects.count() == 0


def test_only_owners_manage_webhooks(clerk, section_head, channel):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.do_create_webhook(section_head, as_member(section_head, channel), "偽")
    assert Webhook.objects.count() == 0


# --- a bot never passes for a person ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["佐藤 花子", "佐藤花子", "ｻﾄｳ ﾊﾅｺ", "さとう はなこ", "Sato Hanako", "hanako sato", "100002",
     "高橋一郎", "髙橋 一郎（課長）", "人事課 佐藤花子です"],
)  # fmt: skip
def test_a_bot_cannot_take_a_staff_members_name(client, clerk, section_head, channel, token, name):
    client.force_login(clerk)
    created = client.post(f"/api/v1/conversations/{channel.pk}/webhooks", {"bot_name": name}, content_type=J)
    assert created.status_code == 400
    assert created.json()["detail"].startswith("bot_name: ")
    assert Webhook.objects.count() == 1  # only the fixture's
    client.logout()
    with capture_events() as events:
        posted = client.post(
            f"/hooks/{token}", json.dumps({"text": "至急", "username": name}), content_type=J
        )
    assert posted.status_code == 400
    assert posted.json()["detail"].startswith("username: ")
    assert (Message.objects.count(), events) == (0, [])


def test_a_bot_post_shows_a_bot_badge_on_the_page(client, clerk, channel, token):
    client.post(f"/hooks/{token}", json.dumps({"text": "大雨警報", "username": "監視サーバ"}), content_type=J)
    client.force_login(clerk)
    html = client.get(f"/chat/c/{channel.pk}/").content.decode()
    assert '<span class="msg-author">監視サーバ</span> <span class="badge msg-bot">ボット</span>' in html


# --- a webhook acts on its creator's authority ----------------------------------------------------------------


def test_a_webhook_stops_when_its_creator_leaves_and_an_owner_renews_it(
    client, clerk, section_head, channel, token
):
    from kiban.chat.models import Member

    Member.objects.filter(conversation=channel, staff=section_head).update(role=Member.Role.OWNER)
    actions.do_leave_conversation(clerk, as_member(clerk, channel))
    stopped = client.post(f"/hooks/{token}", json.dumps({"text": "x"}), content_type=J)
    assert stopped.status_code == 403
    assert stopped.json()["detail"].startswith("webhook: ")
    assert Message.objects.filter(bot_name__gt="").count() == 0

    owner = client
    owner.force_login(section_head)
    [listed] = owner.get(f"/api/v1/conversations/{channel.pk}/webhooks").json()["results"]
    assert listed["live"] is False
    assert "停止中" in owner.get(f"/chat/c/{channel.pk}/info/").content.decode()
    renewed = owner.post(f"/api/v1/conversations/{channel.pk}/webhooks/{listed['id']}/renew")
    assert (renewed.status_code, renewed.json()["live"]) == (200, True)
    assert Webhook.objects.get().created_by == section_head
    assert AuditEntry.objects.filter(action="chat.webhook.renew", actor=section_head).count() == 1
    owner.logout()
    assert client.post(f"/hooks/{token}", json.dumps({"text": "再開"}), content_type=J).status_code == 201


def test_a_webhook_stops_when_its_creator_retires(client, clerk, channel, token):
    clerk.is_active = False
    clerk.save(update_fields=["is_active"])
    assert client.post(f"/hooks/{token}", json.dumps({"text": "x"}), content_type=J).status_code == 403
    assert Message.objects.filter(bot_name__gt="").count() == 0


def test_the_bot_name_check_is_one_query_on_the_name_keys_and_sees_bulk_imported_people(
    django_assert_num_queries,
):
    from kiban.accounts.tests.factories import make_many_staff
    from kiban.chat.actions.webhooks import _looks_like_staff
    from kiban.org.search import reindex_staff

    people = make_many_staff(3000, start=900000)
    reindex_staff([p.pk for p in people])  # what a bulk import does after bulk_create
    with django_assert_num_queries(1):
        assert _looks_like_staff("夜間バッチ 大野職員2999 通知")
    with django_assert_num_queries(1):
        assert not _looks_like_staff("夜間バッチ 大野 通知")  # a family name alone is harmless
    with django_assert_num_queries(1):
        assert _looks_like_staff("ｵｵﾉｼｮｸｲﾝ")  # the reading, in half-width katakana
