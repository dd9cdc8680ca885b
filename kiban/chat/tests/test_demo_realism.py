"""Issue 9 item 27: demo chat that looks lived-in — written in office hours and never in the future, the
administrator notified of the dm and the mention addressed to them, and only features that exist."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from kiban.chat.demo import OFFICE_END, OFFICE_START, is_working_day, office_times
from kiban.chat.models import Mention, Message
from kiban.notifications.models import Notification
from kiban.org import demo as org_demo

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def chat_demo(monkeypatch):
    monkeypatch.setattr("kiban.core.modules.demo_loaders", lambda: ["kiban.chat.demo.load_demo"])
    before = timezone.now()
    org_demo.load_demo(staff=120)
    return before


def in_office_hours(at: dt.datetime) -> bool:
    local = at.astimezone(TOKYO)
    return is_working_day(local.date()) and OFFICE_START <= local.time() <= OFFICE_END


def test_messages_are_written_in_office_hours_and_never_in_the_future(chat_demo):
    times = list(Message.objects.values_list("created_at", flat=True))
    assert len(times) >= 200
    assert max(times) <= timezone.now()
    assert [t for t in times if not in_office_hours(t)] == []
    # Within a conversation, later seqs are later in time (replies after their root).
    for conv_id in set(Message.objects.values_list("conversation_id", flat=True)):
        ordered = list(
            Message.objects.filter(conversation_id=conv_id)
            .order_by("seq")
            .values_list("created_at", flat=True)
        )
        assert ordered == sorted(ordered)


def test_the_administrator_is_notified_of_the_dm_and_the_mention(chat_demo):
    kinds = sorted(Notification.objects.filter(recipient__username="admin").values_list("kind", flat=True))
    assert kinds == ["chat.dm", "chat.mention"]
    mention = Mention.objects.get(staff__username="admin")
    assert mention.message.body.startswith("@admin ")
    for notification in Notification.objects.filter(recipient__username="admin"):
        assert in_office_hours(notification.created_at)
        assert notification.created_at <= timezone.now()


def test_messages_mention_only_features_that_exist(chat_demo):
    bodies = "\n".join(Message.objects.values_list("body", flat=True))
    for missing in ("ワークフロー", "掲示板", "安否確認", "MDM", "ポータルのアカウント設定"):
        assert missing not in bodies


@pytest.mark.parametrize(
    ("now", "latest"),
    [
        # A Wednesday afternoon: the latest message is now.
        (dt.datetime(2026, 6, 10, 14, 7, tzinfo=TOKYO), dt.datetime(2026, 6, 10, 14, 7, tzinfo=TOKYO)),
        # Monday before opening: last Friday at closing.
        (dt.datetime(2026, 6, 8, 7, 0, tzinfo=TOKYO), dt.datetime(2026, 6, 5, 17, 15, tzinfo=TOKYO)),
        # Wednesday night: that day at closing.
        (dt.datetime(2026, 6, 10, 22, 30, tzinfo=TOKYO), dt.datetime(2026, 6, 10, 17, 15, tzinfo=TOKYO)),
        # 4 January 2027 (Monday) morning: 年末年始 and the weekend are skipped, back to Monday 28 December.
        (dt.datetime(2027, 1, 4, 8, 0, tzinfo=TOKYO), dt.datetime(2026, 12, 28, 17, 15, tzinfo=TOKYO)),
    ],
)
def test_office_times_end_at_the_last_office_moment(now, latest):
    times = office_times(400, now, random.Random(1))
    assert times[-1] == latest
    assert times == sorted(times)
    assert all(in_office_hours(t) for t in times)
