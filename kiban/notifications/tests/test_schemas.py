"""One schema per notification: `notification.created` carries exactly the object the API lists."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kiban.notifications import actions
from kiban.notifications.events import NotificationCreated
from kiban.notifications.schemas import NotificationOut
from kiban.realtime.testing import capture_events

pytestmark = pytest.mark.django_db


def test_event_payload_is_the_api_object(client, clerk, section_head):
    with capture_events() as events:
        actions.notify(
            [clerk.pk],
            kind="chat.mention",
            title="会議の件",
            body="@佐藤 さん",
            url="/chat/",
            actor=section_head,
        )
    ((_ids, event),) = events.of_type("notification.created")
    assert isinstance(event.notification, NotificationOut)
    client.force_login(clerk)
    listed = client.get("/api/v1/notifications").json()["results"]
    assert listed == [event.model_dump(mode="json")["notification"]]
    assert listed[0]["actor"] == section_head.username


def test_notification_event_refuses_an_untyped_payload():
    with pytest.raises(ValidationError):
        NotificationCreated(notification={"id": 1})
