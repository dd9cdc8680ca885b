"""The notification object as the API and the `notification.created` event carry it."""

from __future__ import annotations

from kiban.notifications.models import Notification


def notification_dict(n: Notification, actor_username: str | None = None) -> dict:
    """`actor_username`: pass it when known, to spare a query per row (else read from `n.actor`)."""
    if actor_username is None and n.actor_id is not None:
        actor_username = n.actor.username
    return {
        "id": n.pk,
        "kind": n.kind,
        "title": n.title,
        "body": n.body,
        "url": n.url,
        "actor": actor_username,
        "group_key": n.group_key,
        "seq": n.seq,
        "created_at": n.created_at.isoformat(),
        "read_at": n.read_at.isoformat() if n.read_at else None,
    }
