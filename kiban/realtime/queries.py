"""Reading the event table (catch-up after a disconnect, the polling fallback, the hub's sweep).

Every reader stops below the **settled horizon** (`settled_horizon()`): an id below it can never appear
later, so a cursor taken from below it never skips an event. Two things can still add an id below the
newest visible one:

- PostgreSQL: an event's id is its transaction's id × ID_SPACING (+ a counter), fixed when it is inserted,
  visible when the transaction commits. The horizon is the smallest transaction id still open in this
  database (or the next one to be handed out): every transaction below it has ended, so all its events are
  visible, and any transaction that commits later has an id at or above it. It is read in its own statement
  before the rows, so the rows' snapshot is newer. (A transaction left open for long holds the horizon —
  and so catch-up, not live delivery — back while it stays open; it needs the database's other sessions
  to run as Kiban's role, whose `backend_xid` pg_stat_activity shows.)
- Both engines: a large event still `pending` its recipient rows (the outbox) holds the horizon at its id
  until the worker has written them.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Min

from kiban.realtime.models import ID_SPACING, Event, Horizon

# A person's own events a single catch-up returns at most. Further behind → `truncated`, refetch.
CATCH_UP_LIMIT = 500


def _sqlite_sequence() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [Event._meta.db_table])
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _pg_open_horizon() -> int:
    """The smallest transaction id that may still commit in this database (PostgreSQL), as a full xid8."""
    with connection.cursor() as cursor:
        # pg_stat_activity is cached per transaction: start from a fresh copy.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint, "
            "ARRAY(SELECT backend_xid::text::bigint FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_xid IS NOT NULL)"
        )
        xmax, xids = cursor.fetchone()
    epoch, low = xmax >> 32, xmax & 0xFFFFFFFF
    # backend_xid has no epoch: an xid above the next one's low bits belongs to the previous epoch.
    full = [((epoch - (1 if xid > low else 0)) << 32) | xid for xid in xids or ()]
    return min([xmax, *full])


def settled_horizon() -> int:
    """Every event with an id below this is visible now (and fanned out) or will never exist."""
    pg = connection.vendor == "postgresql"
    horizon = _pg_open_horizon() * ID_SPACING if pg else _sqlite_sequence() + 1
    # Read after the horizon: a pending event below it committed before, so it is seen here.
    pending = Event.objects.filter(pending=True).aggregate(m=Min("id"))["m"]
    if pending is not None:
        horizon = min(horizon, pending)
    return horizon


def max_event_id() -> int:
    """The position a client without history starts from: the highest settled id (maybe unused)."""
    return settled_horizon() - 1


def pruned_up_to() -> int:
    return Horizon.objects.filter(name="pruned").values_list("value", flat=True).first() or 0


def events_after_all(
    after: int, limit: int = 1000, *, before: int | None = None, with_time: bool = False
) -> list[tuple]:
    """(id, recipients, body[, created_at]) of everyone's events after `after` (and below `before`),
    oldest first (the hub's sweep)."""
    fields = ("id", "recipients", "payload", "created_at") if with_time else ("id", "recipients", "payload")
    rows = Event.objects.filter(id__gt=after)
    if before is not None:
        rows = rows.filter(id__lt=before)
    return list(rows.order_by("id").values_list(*fields)[:limit])


def events_for(
    user_id: int, after: int | None, limit: int = CATCH_UP_LIMIT
) -> tuple[list[tuple[int, str]], int, bool]:
    """The events of `user_id` after id `after`: `([(id, body)], last_id, truncated)`.

    Exactly the person's own events (by the `EventRecipient` index), however many other people's went by,
    up to the settled horizon; `last_id` is the horizon − 1, a safe cursor. `truncated` says the client
    cannot catch up event by event: more than `limit` of its own events, events after `after` were pruned,
    or `after` is beyond anything settled here (a restored database). Then it refetches what it shows and
    continues from `last_id`. `after=None` (a client without history) just learns `last_id`.
    """
    horizon = settled_horizon()
    last_id = horizon - 1
    if after is None:
        return [], last_id, False
    if after > last_id or after < pruned_up_to():
        return [], last_id, True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.id, e.payload FROM realtime_eventrecipient r "
            "JOIN realtime_event e ON e.id = r.event_id "
            "WHERE r.user_id = %s AND r.event_id > %s AND r.event_id < %s "
            "ORDER BY r.event_id LIMIT %s",
            [user_id, after, horizon, limit + 1],
        )
        rows = cursor.fetchall()
    if len(rows) > limit:
        return [], last_id, True
    return [(int(event_id), body) for event_id, body in rows], last_id, False
