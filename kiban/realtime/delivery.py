"""The publishing side: store the event once in the caller's transaction, hand it to the sockets after commit.

`publish()` (kiban/realtime/__init__.py) calls `schedule`, which at once (inside the caller's transaction, so
the event commits or rolls back with the change it announces):

1. writes one `realtime.Event` row (its id orders events and lets clients catch up);
2. for up to INLINE_MAX recipients, bulk-inserts their `EventRecipient` rows (per-person catch-up index);
   for more, marks the event `pending` and enqueues `realtime.jobs.fan_out_events` — the job row is written
   in the same transaction (the outbox), so a crash between commit and fan-out loses nothing: the worker
   writes the recipient rows right after, oldest event first, and resumes after a restart;
3. registers a `Delivery` with `transaction.on_commit`, which builds the frame text `{"id": …, "type": …}`
   once and hands it to the live sockets: embedded (no KIBAN_REDIS_URL), to this process's hub (`hub.py`)
   with `call_soon_threadsafe`; scaled out, one Redis PUBLISH on `kiban:events:<database>` carrying the
   recipient list, which every server process's subscriber routes to its own sockets.

No installation-wide lock: on PostgreSQL the id is `transaction id × ID_SPACING + a counter`, and readers
only read below the settled horizon (`queries.settled_horizon`), so a reader never passes an id that a
transaction still open could commit later. On SQLite writers are serialized (IMMEDIATE transactions), so
the autoincrement commits in order.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from kiban.realtime import hub
from kiban.realtime.events import BaseEvent
from kiban.realtime.fanout import insert_recipients
from kiban.realtime.jobs import fan_out_events
from kiban.realtime.models import ID_SPACING, Event, EventRecipient
from kiban.realtime.wire import encode_redis_message, frame_text, redis_channel

logger = logging.getLogger("kiban.realtime")

# Recipients whose catch-up rows are written in the publishing transaction; a larger audience is fanned
# out by the worker right after commit (live delivery is immediate either way).
INLINE_MAX = 200
_counter = itertools.count()

_captures: list[list] = []
_captures_lock = threading.Lock()


def add_capture(target: list) -> None:
    with _captures_lock:
        _captures.append(target)


def remove_capture(target: list) -> None:
    with _captures_lock:
        _captures.remove(target)


class Delivery:
    """The after-commit callback of one publish: live delivery of the stored event. Runs once."""

    __slots__ = ("body", "done", "event", "event_id", "recipients")

    def __init__(self, recipients: list[int], event: BaseEvent, event_id: int, body: str) -> None:
        self.recipients = recipients
        self.event = event
        self.event_id = event_id
        self.body = body
        self.done = False

    def __call__(self) -> None:
        if self.done:
            return
        self.done = True
        with _captures_lock:
            for target in _captures:
                target.append((self.recipients, self.event))
        try:
            send_live(self.recipients, frame_text(self.event_id, self.body))
        except Exception:
            # The event is stored; hubs' sweeps and clients' catch-up (/api/v1/realtime/events?after=) recover.
            logger.exception(
                "realtime: could not deliver %s to %d people", self.event.type, len(self.recipients)
            )


def schedule(user_ids: Iterable[int], event: BaseEvent) -> None:
    if not isinstance(event, BaseEvent):
        raise TypeError(f"publish() needs an event from kiban.realtime.events, not {type(event).__name__}")
    recipients = sorted({int(user_id) for user_id in user_ids})
    if not recipients:
        return
    body = event.model_dump_json()
    event_id = store(recipients, body)
    transaction.on_commit(Delivery(recipients, event, event_id, body))


def store(recipients: list[int], body: str) -> int:
    """Write the event row (and its recipient rows, or the outbox job for a large audience) in the current
    transaction; return the event's id."""
    pending = len(recipients) > INLINE_MAX
    with transaction.atomic(savepoint=False):  # part of the caller's transaction: no savepoint of its own
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO realtime_event (id, created_at, recipients, payload, pending) "
                    "VALUES (pg_current_xact_id()::text::bigint * %s + %s, %s, %s::jsonb, %s, %s) RETURNING id",
                    [
                        ID_SPACING,
                        next(_counter) % ID_SPACING,
                        timezone.now(),
                        json.dumps(recipients, separators=(",", ":")),
                        body,
                        pending,
                    ],
                )
                event_id = cursor.fetchone()[0]
        else:
            event_id = Event.objects.create(recipients=recipients, payload=body, pending=pending).id
        if pending:
            fan_out_events.enqueue()  # a row in this transaction: the outbox
        elif len(recipients) > 20:
            insert_recipients(event_id, recipients)
        else:
            EventRecipient.objects.bulk_create(
                [EventRecipient(user_id=user_id, event_id=event_id) for user_id in recipients]
            )
    return event_id


def send_live(recipients: list[int], frame: str) -> None:
    if settings.REDIS_URL:
        redis_publish(recipients, frame)
    else:
        hub.deliver_threadsafe(recipients, frame)


def deliver(recipients: list[int], event: BaseEvent) -> int:
    """Store and send at once, outside any transaction of the caller (tests, benchmarks)."""
    body = event.model_dump_json()
    with transaction.atomic():
        event_id = store(recipients, body)
    send_live(recipients, frame_text(event_id, body))
    return event_id


_redis_client = None
_redis_lock = threading.Lock()


def redis_client():
    global _redis_client
    with _redis_lock:
        if _redis_client is None:
            import redis

            _redis_client = redis.Redis.from_url(settings.REDIS_URL)
        return _redis_client


def redis_publish(recipients: list[int], frame: str) -> None:
    redis_client().publish(redis_channel(), encode_redis_message(recipients, frame))
