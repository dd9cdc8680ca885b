"""Builds the notification schema (`kiban.notifications.schemas.NotificationOut`) from the model."""

from __future__ import annotations

from kiban.notifications.models import Notification
from kiban.notifications.schemas import NotificationOut


def notification_out(n: Notification, actor_username: str | None = None) -> NotificationOut:
    """`actor_username`: pass it when known, to spare a query per row (else read from `n.actor`)."""
    if actor_username is None and n.actor_id is not None:
        actor_username = n.actor.username
    return NotificationOut(
        id=n.pk,
        kind=n.kind,
        title=n.title,
        body=n.body,
        url=n.url,
        actor=actor_username,
        group_key=n.group_key,
        seq=n.seq,
        created_at=n.created_at,
        read_at=n.read_at,
    )
