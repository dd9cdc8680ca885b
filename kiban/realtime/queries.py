"""Reading the event table (catch-up after a disconnect, the polling fallback, the hub's replay)."""

from __future__ import annotations

from django.db import connection
from django.db.models import Max, Min

from kiban.realtime.models import Event

# Rows a single catch-up reads at most. A client further behind gets `truncated` and refetches what it shows.
CATCH_UP_LIMIT = 500


def max_event_id() -> int:
    """The newest event id; with no row (a new installation, a flushed table), the id sequence's position,
    so that a client told "0" never mistakes the next event for a gap."""
    newest = Event.objects.aggregate(m=Max("id"))["m"]
    return newest if newest is not None else _sequence_position()


def _sequence_position() -> int:
    table = Event._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            return row[0] if row else 0
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608 - a name from the catalog
            last_value, is_called = cursor.fetchone()
            return last_value if is_called else 0
    return 0


def events_after_all(after: int, limit: int = 1000, *, with_time: bool = False) -> list[tuple]:
    """(id, recipients, body[, created_at]) of everyone's events after `after`, oldest first (the hub's
    sweep)."""
    fields = ("id", "recipients", "payload", "created_at") if with_time else ("id", "recipients", "payload")
    return list(Event.objects.filter(id__gt=after).order_by("id").values_list(*fields)[:limit])


def events_for(
    user_id: int, after: int, limit: int = CATCH_UP_LIMIT
) -> tuple[list[tuple[int, str]], int, bool]:
    """The events of `user_id` after id `after`: `([(id, body)], last_id, truncated)`.

    Reads at most `limit` rows of everyone's events after `after` and keeps the person's own in Python: one
    row per event, so the few rows since a client's last poll are cheap to scan. `truncated` says the client
    cannot catch up event by event: it is too far behind (more than `limit` rows), the events it needs were
    pruned, or its id is unknown here (a restored database). Then it must refetch what it shows and
    continue from `last_id`, the current maximum. `after=None` (a client without history) just learns
    `last_id`.
    """
    if after is None:
        return [], max_event_id(), False
    rows = list(
        Event.objects.filter(id__gt=after)
        .order_by("id")
        .values_list("id", "recipients", "payload")[: limit + 1]
    )
    if len(rows) > limit:
        return [], max_event_id(), True
    bounds = Event.objects.aggregate(lo=Min("id"), hi=Max("id"))
    if bounds["lo"] is None:
        # No row (the pruning job always keeps the newest, so: nothing published since a flush or ever).
        position = _sequence_position()
        return ([], position, True) if after > position else ([], after, False)
    # Ids have no gaps except after a failed insert, so a first kept row beyond after + 1 means events the
    # client never saw were pruned (a rare false alarm only costs a refetch).
    if bounds["lo"] > after + 1 or after > bounds["hi"]:
        return [], bounds["hi"], True
    mine = [(event_id, body) for event_id, recipients, body in rows if user_id in recipients]
    last_id = rows[-1][0] if rows else after
    return mine, last_id, False
