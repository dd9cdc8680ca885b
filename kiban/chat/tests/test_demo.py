"""The chat demo: teams, channels, conversations and messages with consistent seqs."""

from __future__ import annotations

import pytest
from django.db.models import Count, Max

from kiban.accounts.models import Staff
from kiban.chat.models import Conversation, Member, Message, Team
from kiban.org import demo as org_demo

pytestmark = pytest.mark.django_db


def test_demo_loads_consistent_chat(monkeypatch):
    monkeypatch.setattr("kiban.core.modules.demo_loaders", lambda: ["kiban.chat.demo.load_demo"])
    counts = org_demo.load_demo(staff=120)

    assert counts["chat_messages"] == Message.objects.count()
    assert 200 <= counts["chat_messages"] <= 2000
    assert set(Conversation.objects.filter(kind="channel").values_list("name", flat=True)) >= {
        "全庁お知らせ", "防災", "情報システム相談", "人事異動準備", "一般",
    }  # fmt: skip
    assert Team.objects.filter(department__isnull=False).count() == 4
    assert Conversation.objects.filter(kind="dm").count() >= 10
    assert Conversation.objects.filter(kind="group").count() >= 5
    # Gapless seqs 1..last_seq in every conversation.
    for conv in Conversation.objects.annotate(n=Count("messages"), top=Max("messages__seq")):
        assert (conv.n, conv.top or 0) == (conv.last_seq, conv.last_seq), conv
    assert Message.objects.filter(thread_root__isnull=False).count() >= 6
    roots = Message.objects.filter(reply_count__gt=0)
    assert all(r.reply_count == r.replies.count() for r in roots)
    assert Member.objects.filter(conversation__name="人事異動準備", staff__username="admin").exists()
    # The all-staff channels hold every person.
    staff = Staff.objects.count()
    for name in ("全庁お知らせ", "防災"):
        assert Member.objects.filter(conversation__name=name).count() == staff
    assert "<script" not in "".join(Message.objects.values_list("html", flat=True))


def test_all_staff_channels_hold_everyone_beyond_500(monkeypatch):
    monkeypatch.setattr("kiban.core.modules.demo_loaders", lambda: ["kiban.chat.demo.load_demo"])
    org_demo.load_demo(staff=620)
    staff = Staff.objects.count()
    assert staff > 600
    for name in ("全庁お知らせ", "防災"):
        assert Member.objects.filter(conversation__name=name).count() == staff
