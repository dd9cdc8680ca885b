from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Event(models.Model):
    """One published event, kept ~15 minutes so clients can catch up (`/api/v1/realtime/events?after=ID`).

    Written once per event, not once per recipient: `recipients` is the list of user ids and readers filter
    it in Python over the few rows after their last id. `payload` is the event's JSON text as sent on the
    sockets (without `id`), stored as text so it is serialized exactly once.
    """

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    recipients = models.JSONField(default=list)
    payload = models.TextField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"event {self.id}"


class Seen(models.Model):
    """When a person was last connected by WebSocket, for the email digest (`presence.last_seen`).

    Written when a server process gets its first socket of the person, when it loses its last one, and
    otherwise at most once a minute per process while connected (one UPDATE for all its people), never per
    frame. `connections` counts server processes holding a socket of the person; a process that died leaves
    it too high, which is why "connected" also needs a fresh `last_seen_at`.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_seen_at = models.DateTimeField(default=timezone.now)
    connections = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"seen {self.user_id} {self.last_seen_at:%Y-%m-%d %H:%M}"
