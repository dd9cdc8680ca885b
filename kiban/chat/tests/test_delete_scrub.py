"""Deleting a message removes its text from everywhere it was copied: the notifications that quoted it and
the stored events that clients catch up from."""

from __future__ import annotations

import pytest

from kiban.accounts.tests.factories import StaffFactory
from kiban.chat import actions
from kiban.chat.tests.factories import make_group, post
from kiban.notifications.models import Notification
from kiban.realtime.models import Event
from kiban.realtime.testing import capture_events

SECRET = "人事異動の内示は金曜日です、口外しないでください"


@pytest.mark.django_db(transaction=True)
def test_deleting_a_message_scrubs_its_text_from_notifications_and_stored_events():
    author, reader, other = StaffFactory(), StaffFactory(), StaffFactory()
    conv = make_group(author, reader, other)
    with capture_events():
        message = post(author, conv, f"@{reader.username} {SECRET}")
        kept = post(author, conv, "別件: 会議室を予約しました")
    assert SECRET in Notification.objects.get(recipient=reader, seq=message.seq).body
    assert Event.objects.filter(payload__contains=SECRET).exists()

    with capture_events():
        actions.do_delete_message(author, actions.access_message(author, message.pk))

    assert Notification.objects.get(recipient=reader, seq=message.seq).body == ""
    assert not Event.objects.filter(payload__contains=SECRET).exists(), list(
        Event.objects.filter(payload__contains=SECRET).values_list("payload", flat=True)
    )
    assert not Event.objects.filter(payload__contains=SECRET[:20]).exists()
    # Other messages' events and notifications are untouched.
    assert Event.objects.filter(payload__contains="会議室を予約しました").exists()
    assert kept.body == "別件: 会議室を予約しました"
