"""Read marks move forward only; unread and mention counts follow them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from kiban.chat import actions, queries
from kiban.chat.tests.factories import as_member, make_channel, make_group, member, post
from kiban.notifications.models import Notification
from kiban.realtime.testing import capture_events

pytestmark = pytest.mark.django_db


def test_read_moves_forward_clamps_and_tells_only_the_readers_devices(clerk, section_head):
    conv = make_group(clerk, section_head)
    for _ in range(3):
        post(clerk, conv)
    with capture_events() as events:
        assert actions.do_mark_read(section_head, as_member(section_head, conv), 2) == 2
        assert actions.do_mark_read(section_head, as_member(section_head, conv), 1) == 2
        assert actions.do_mark_read(section_head, as_member(section_head, conv), 99) == 3
    assert member(section_head, conv).last_read_seq == 3
    assert [(ids, e.type, e.seq) for ids, e in events] == [
        ([section_head.pk], "conversation.read", 2),
        ([section_head.pk], "conversation.read", 3),
    ]


def test_negative_seq_is_refused(clerk, section_head):
    conv = make_group(clerk, section_head)
    with pytest.raises(ValidationError) as exc:
        actions.do_mark_read(section_head, as_member(section_head, conv), -1)
    assert list(exc.value.message_dict) == ["seq"]


def test_reading_marks_the_conversations_notifications_read(clerk, section_head):
    conv = make_group(clerk, section_head)
    post(clerk, conv, "@100001 一")
    post(clerk, conv, "@100001 二")
    actions.do_mark_read(section_head, as_member(section_head, conv), 1)
    rows = Notification.objects.order_by("seq")
    assert [(n.seq, n.read_at is not None) for n in rows] == [(1, True), (2, False)]


def test_unread_and_mention_totals(clerk, section_head, other_clerk):
    group = make_group(clerk, section_head)
    channel = make_channel(clerk, section_head, other_clerk)
    post(clerk, group, "一")
    post(clerk, group, "@100001 二")
    post(clerk, channel, "@channel 三")
    assert queries.unread_totals(section_head).__dict__ == {"conversations": 2, "messages": 3, "mentions": 2}
    actions.do_set_muted(section_head, as_member(section_head, channel), True)
    assert queries.unread_totals(section_head).__dict__ == {"conversations": 1, "messages": 2, "mentions": 2}
    actions.do_mark_read(section_head, as_member(section_head, group), 2)
    assert queries.unread_totals(section_head).__dict__ == {"conversations": 0, "messages": 0, "mentions": 1}
    assert queries.unread_totals(clerk).__dict__ == {"conversations": 0, "messages": 0, "mentions": 0}


def test_conversation_list_counts_per_conversation(client, clerk, section_head):
    group = make_group(clerk, section_head, name="人事")
    post(clerk, group, "一")
    post(clerk, group, "@100001 二")
    client.force_login(section_head)
    [conv] = client.get("/api/v1/conversations").json()["results"]
    assert (conv["id"], conv["unread"], conv["mentions"], conv["last_seq"], conv["last_read_seq"]) == (
        group.pk,
        2,
        1,
        2,
        0,
    )
    response = client.post(
        f"/api/v1/conversations/{group.pk}/read", {"seq": 5}, content_type="application/json"
    )
    assert response.json() == {"conversation": group.pk, "seq": 2, "unread": 0}
    assert client.get("/api/v1/chat/unread").json() == {"conversations": 0, "messages": 0, "mentions": 0}
