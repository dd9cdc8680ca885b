from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

# PostgreSQL event ids: transaction id × ID_SPACING + a counter (events of one transaction stay in order;
# 2^53 / ID_SPACING ≈ 9·10^10 transactions before ids leave JavaScript's exact integers).
ID_SPACING = 100_000


class Event(models.Model):
    """One published event, kept ~15 minutes so clients can catch up (`/api/v1/realtime/events?after=ID`).

    Written once per event, in the transaction of the change it announces (`kiban.realtime.delivery`).
    `recipients` is the list of user ids (what live delivery routes by); `EventRecipient` indexes it per
    person for catch-up (for an event addressed to an `audience`, both are written by the fan-out). `pending` marks a large fan-out whose recipient rows a job still has to write (the
    outbox: recorded with the data, finished after commit, resumed after a crash). `payload` is the event's
    JSON text as sent on the sockets (without `id`), stored as text so it is serialized exactly once.

    The id orders events and is the clients' cursor. SQLite: the autoincrement (writers are serialized, so
    ids commit in order). PostgreSQL: `transaction id × ID_SPACING + a per-connection counter`, so no lock
    is needed; readers stop below the "settled" horizon (`queries.settled_horizon`).
    """

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    recipients = models.JSONField(default=list)
    payload = models.TextField()
    pending = models.BooleanField(default=False)
    # A named audience (`kiban.realtime.audiences`) instead of a list: resolved by the fan-out, which then
    # fills `recipients`.
    audience = models.CharField(max_length=200, blank=True, default="")
    # A copy, above the settled horizon, of an event a late transaction committed below cursors already
    # handed out (`queries._settle_late`, PostgreSQL): sent under the original's id.
    alias_of = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["id"], name="realtime_event_pending", condition=models.Q(pending=True)),
        ]

    def __str__(self) -> str:
        return f"event {self.id}"


class EventRecipient(models.Model):
    """One row per (person, event): a person's catch-up reads exactly their own events by this primary key,
    however many other people's events went by. No foreign key constraint: pruning deletes these rows
    itself, in bulk (a cascade would collect them in Python)."""

    pk = models.CompositePrimaryKey("user_id", "event_id")
    user_id = models.BigIntegerField()
    event_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"event {self.event_id} → {self.user_id}"


class Horizon(models.Model):
    """Named positions in the event table; `pruned` = the highest event id deleted by pruning (a client
    behind it cannot catch up event by event)."""

    name = models.CharField(max_length=20, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


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
