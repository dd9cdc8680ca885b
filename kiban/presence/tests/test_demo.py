from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from kiban.presence.models import PhoneMemo, Presence


@pytest.mark.django_db
def test_demo_has_statuses_with_destinations_and_memos_for_the_administrator(monkeypatch):
    from kiban.org import demo

    monkeypatch.setattr("kiban.core.modules.demo_loaders", lambda: ["kiban.presence.demo.load_demo"])
    counts = demo.load_demo(staff=300)

    assert counts["presence"] == Presence.objects.exclude(status="").count() > 10
    statuses = set(Presence.objects.values_list("status", flat=True))
    assert {"out", "trip", "remote", "leave"} <= statuses
    assert Presence.objects.filter(status="out").exclude(destination="").exists()
    admin = get_user_model().objects.get(username="admin")
    memos = PhoneMemo.objects.filter(to=admin)
    assert memos.count() == 2 and all(m.chat_message_id for m in memos)
    assert counts["phone_memos"] == PhoneMemo.objects.count() >= 4
    assert PhoneMemo.objects.filter(read_at__isnull=False).exists()
