"""Found by a security review: who deletes whose messages, a webhook id that is not a number, dms created by
a cross-site GET."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kiban.accounts.tests.factories import PASSWORD
from kiban.accounts.tests.helpers import browser, post_form, sign_in
from kiban.chat.models import Conversation, Message, Webhook
from kiban.chat.tests.factories import make_channel, make_dm, post

pytestmark = pytest.mark.django_db


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- deleting messages ------------------------------------------------------------------------------------


def test_in_a_dm_only_the_author_deletes_a_message(clerk, section_head):
    dm = make_dm(clerk, section_head)
    message = post(section_head, dm, "来週の件、よろしくお願いします。")
    response = _as(clerk).delete(f"/api/v1/messages/{message.pk}")
    assert response.status_code == 403
    message.refresh_from_db()
    assert (message.deleted_at, message.body) == (None, "来週の件、よろしくお願いします。")
    # The author still can.
    assert _as(section_head).delete(f"/api/v1/messages/{message.pk}").status_code == 200
    message.refresh_from_db()
    assert message.deleted_at is not None


def test_in_a_channel_an_owner_deletes_a_members_message(clerk, section_head):
    channel = make_channel(clerk, section_head, name="防災")  # clerk created it: its owner
    message = post(section_head, channel, "不適切な投稿")
    assert _as(clerk).delete(f"/api/v1/messages/{message.pk}").status_code == 200
    message.refresh_from_db()
    assert message.deleted_at is not None
    # A member who is not an owner cannot delete the owner's message.
    own = post(clerk, channel, "お知らせ")
    assert _as(section_head).delete(f"/api/v1/messages/{own.pk}").status_code == 403
    own.refresh_from_db()
    assert own.deleted_at is None


# --- revoking a webhook on the channel's info page ----------------------------------------------------------


@pytest.mark.parametrize("hook", ["abc", "", "１２", "²", "9" * 30, "-1"])
def test_revoking_a_webhook_that_is_not_a_number_is_400_and_revokes_nothing(clerk, section_head, hook):
    channel = make_channel(clerk, section_head, name="防災")
    client = _as(clerk)
    created = client.post(
        f"/api/v1/conversations/{channel.pk}/webhooks",
        {"bot_name": "気象警報"},
        content_type="application/json",
    )
    assert created.status_code == 201
    response = client.post(reverse("chat:info", args=[channel.pk]), {"op": "hook-revoke", "hook": hook})
    assert response.status_code == 400
    assert Webhook.objects.get().revoked_at is None


def test_revoking_an_unknown_webhook_is_404(clerk, section_head):
    channel = make_channel(clerk, section_head, name="防災")
    response = _as(clerk).post(reverse("chat:info", args=[channel.pk]), {"op": "hook-revoke", "hook": "999"})
    assert response.status_code == 404


# --- dms are created by POST only ---------------------------------------------------------------------------


def test_a_get_of_the_dm_url_creates_nothing_and_offers_a_button(clerk, section_head):
    client = browser()
    sign_in(client, clerk.username, PASSWORD)
    page = client.get(reverse("chat:dm", args=[section_head.username]))
    assert page.status_code == 200
    assert Conversation.objects.filter(kind="dm").count() == 0
    html = page.content.decode()
    assert "髙橋 一郎さんとのダイレクトメッセージはまだありません。" in html
    assert section_head.username not in html.replace(f"/chat/dm/{section_head.username}", "")
    assert 'method="post"' in html
    # A POST without the CSRF token (another site's form) is refused and creates nothing.
    assert client.post(reverse("chat:dm", args=[section_head.username])).status_code == 403
    assert Conversation.objects.filter(kind="dm").count() == 0
    # The button (a POST with the page's token) starts it.
    started = post_form(client, reverse("chat:dm", args=[section_head.username]), {})
    dm = Conversation.objects.get(kind="dm")
    assert started.status_code == 302
    assert started["Location"] == reverse("chat:conversation", args=[dm.pk])
    # From then on the GET opens it.
    again = client.get(reverse("chat:dm", args=[section_head.username]))
    assert again["Location"] == reverse("chat:conversation", args=[dm.pk])
    assert Conversation.objects.filter(kind="dm").count() == 1
    assert Message.objects.count() == 0
