"""The notification centre's live events (found by `kiban.realtime.catalogue`)."""

from __future__ import annotations

from typing import Literal

from kiban.notifications.schemas import NotificationOut
from kiban.realtime.events import BaseEvent


class NotificationCreated(BaseEvent):
    """A new notification for the recipient: the same object `GET /api/v1/notifications` lists."""

    type: Literal["notification.created"] = "notification.created"
    notification: NotificationOut


class NotificationRead(BaseEvent):
    """The reader's own devices learn that notifications were read (one, all, or a conversation's): the
    bell's badge shows `unread`, the person's unread count after the change."""

    type: Literal["notification.read"] = "notification.read"
    ids: list[int] | None = None  # the ones marked read; None when "all of them" or a whole group
    unread: int
