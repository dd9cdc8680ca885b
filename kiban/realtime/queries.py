"""Reading the event table (catch-up after a disconnect, the polling fallback, the hub's sweep).

Every reader stops below the **settled horizon** (`settled_horizon()`): an id below it can never appear
later, so a cursor taken from below it never skips an event. Two things can still add an id below the
newest visible one:

- PostgreSQL: an event's id is its transaction's id × ID_SPACING (+ a counter), fixed when it is inserted,
  visible when the transaction commits. The horizon is the smallest transaction id still open in this
  database (or the next one to be handed out): every transaction below it has ended, so all its events are
  visible, and any transaction that commits later has an id at or above it. It is read in its own statement
  before the rows, so the rows' snapshot is newer. (It needs the database's other sessions to run as
  Kiban's role, whose `backend_xid` pg_stat_activity shows.)

  A transaction open for longer than LATE_AFTER seconds no longer holds the horizon back (a forgotten
  session or a long import would otherwise hold every client's catch-up back while it stays open). It is
  noted as *late* (a `Horizon` row `late:<xid>`); once it has ended, the first reader copies the events it
  committed — their ids are below cursors already handed out — as new rows above the horizon that carry
  the original id (`Event.alias_of`), so catch-up returns each of them once more, under the id the client
  may have had live; clients drop ids they have seen (realtime.js keeps the last 2,000).
- Both engines: a large event still `pending` its recipient rows (the outbox) holds the horizon at its id
  until the worker has written them.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import BigIntegerField
from django.db.models.functions import Coalesce

from kiban.realtime.models import ID_SPACING, Event, Horizon

# A person's own events a single catch-up returns at most. Further behind → `truncated`, refetch.
CATCH_UP_LIMIT = 500


def _sqlite_sequence() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [Event._meta.db_table])
        row = cursor.fetchone()
    return int(row[0]) if row else 0


# Seconds after which an open transaction stops holding the settled horizon back (PostgreSQL).
LATE_AFTER = 5.0
LATE_PREFIX = "late:"


def _pg_open_horizon() -> tuple[int, set[int]]:
    """The smallest transaction id that may still commit in this database (PostgreSQL), as a full xid8,
    ignoring transactions open for longer than LATE_AFTER — and the set of those late ones, which are noted
    (their events are copied above the horizon once they end, `_settle_late`)."""
    with connection.cursor() as cursor:
        # pg_stat_activity is cached per transaction: start from a fresh copy.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint, "
            "ARRAY(SELECT backend_xid::text::bigint FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_xid IS NOT NULL "
            "AND xact_start >= clock_timestamp() - make_interval(secs => %s)), "
            "ARRAY(SELECT backend_xid::text::bigint FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_xid IS NOT NULL "
            "AND xact_start < clock_timestamp() - make_interval(secs => %s)), "
            "ARRAY(SELECT value FROM realtime_horizon WHERE name LIKE %s)",
            [LATE_AFTER, LATE_AFTER, LATE_PREFIX + "%"],
        )
        xmax, young, old, noted = cursor.fetchone()
    epoch, low = xmax >> 32, xmax & 0xFFFFFFFF

    def full(xids) -> list[int]:
        # backend_xid has no epoch: an xid above the next one's low bits belongs to the previous epoch.
        return [((epoch - (1 if xid > low else 0)) << 32) | xid for xid in xids or ()]

    horizon = min([xmax, *full(young)])
    late = {xid for xid in full(old) if xid < horizon}
    noted = set(noted or ())
    for xid in late - noted:
        Horizon.objects.get_or_create(name=f"{LATE_PREFIX}{xid}", defaults={"value": xid})
    settled = [_settle_late(xid) for xid in noted - late if xid < horizon]  # ended: settle what it committed
    if any(settled):
        return _pg_open_horizon()  # again: the copies are committed now, below the next horizon
    return horizon, late


def _settle_late(xid: int) -> bool:
    """Copy the events a late transaction committed (ids xid × ID_SPACING …) as new rows above the horizon
    carrying their original id; once, by whoever claims the note."""
    from kiban.realtime.delivery import _counter  # cycle: delivery → jobs → queries

    with transaction.atomic():
        claimed, _ = Horizon.objects.filter(name=f"{LATE_PREFIX}{xid}").delete()
        if not claimed:
            return False  # another reader settled it
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM realtime_event WHERE id >= %s AND id < %s AND alias_of IS NULL ORDER BY id",
                [xid * ID_SPACING, (xid + 1) * ID_SPACING],
            )
            committed = cursor.fetchall()
            for (event_id,) in committed:
                cursor.execute(
                    "INSERT INTO realtime_event "
                    "(id, created_at, recipients, payload, pending, audience, alias_of) "
                    "SELECT pg_current_xact_id()::text::bigint * %s + %s, created_at, recipients, payload, "
                    "pending, audience, id FROM realtime_event WHERE id = %s RETURNING id",
                    [ID_SPACING, next(_counter) % ID_SPACING, event_id],
                )
                alias = cursor.fetchone()[0]
                cursor.execute(
                    "INSERT INTO realtime_eventrecipient (user_id, event_id) "
                    "SELECT user_id, %s FROM realtime_eventrecipient WHERE event_id = %s",
                    [alias, event_id],
                )
                # The copy is fanned out (if still pending) and read in its place.
                cursor.execute("UPDATE realtime_event SET pending = false WHERE id = %s", [event_id])
    return bool(committed)


def settled_horizon() -> int:
    """Every event with an id below this is visible now (and fanned out) or will never exist — except
    those of late transactions (PostgreSQL, see above), which are copied above it once they end."""
    late: set[int] = set()
    if connection.vendor == "postgresql":
        open_xid, late = _pg_open_horizon()
        horizon = open_xid * ID_SPACING
    else:
        horizon = _sqlite_sequence() + 1
    # Read after the horizon: a pending event below it committed before, so it is seen here. (A late
    # transaction's pending event is fanned out as its copy.)
    pending = Event.objects.filter(pending=True).order_by("id").values_list("id", flat=True)
    for event_id in pending[:50] if late else pending[:1]:
        if event_id // ID_SPACING not in late:
            horizon = min(horizon, event_id)
            break
    return horizon


def max_event_id() -> int:
    """The position a client without history starts from: the highest settled id (maybe unused)."""
    return settled_horizon() - 1


def pruned_up_to() -> int:
    return Horizon.objects.filter(name="pruned").values_list("value", flat=True).first() or 0


def events_after_all(
    after: int, limit: int = 1000, *, before: int | None = None, with_time: bool = False
) -> list[tuple]:
    """(id, recipients, body[, created_at, frame id]) of everyone's events after `after` (and below
    `before`), oldest first (the hub's sweep; the frame id differs from the row's for a late event's copy)."""
    fields = ("id", "recipients", "payload")
    if with_time:
        fields += ("created_at", Coalesce("alias_of", "id", output_field=BigIntegerField()))
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
            "SELECT COALESCE(e.alias_of, e.id), e.payload FROM realtime_eventrecipient r "
            "JOIN realtime_event e ON e.id = r.event_id "
            "WHERE r.user_id = %s AND r.event_id > %s AND r.event_id < %s "
            "ORDER BY r.event_id LIMIT %s",
            [user_id, after, horizon, limit + 1],
        )
        rows = cursor.fetchall()
    if len(rows) > limit:
        return [], last_id, True
    return [(int(event_id), body) for event_id, body in rows], last_id, False
