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

An event for an **audience** (`kiban.realtime.audiences.Audience`, e.g. "the members of conversation 7 as
of member row 1234") costs the request the same whatever the audience's size: the row names the audience
instead of listing ids, is `pending`, and its outbox job is enqueued. After the commit the server process
runs the fan-out at once (`kick_fan_out`: on its hub's loop, in a worker thread), which resolves the ids,
writes the recipient rows and only then hands the frame to the sockets (so live delivery and catch-up see
the same people); without a hub in the process (a management command, `kiban worker`) the job does it.

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
from kiban.realtime.audiences import Audience, resolve
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


def schedule(user_ids: Iterable[int] | Audience, event: BaseEvent) -> None:
    if not isinstance(event, BaseEvent):
        raise TypeError(f"publish() needs an event from kiban.realtime.events, not {type(event).__name__}")
    if isinstance(user_ids, Audience):
        store([], event.model_dump_json(), audience=user_ids.spec())
        transaction.on_commit(kick_fan_out)
        return
    recipients = sorted({int(user_id) for user_id in user_ids})
    if not recipients:
        return
    body = event.model_dump_json()
    event_id = store(recipients, body)
    transaction.on_commit(Delivery(recipients, event, event_id, body))


def store(recipients: list[int], body: str, *, audience: str = "") -> int:
    """Write the event row (and its recipient rows, or the outbox job for a large or named audience) in the
    current transaction; return the event's id."""
    pending = bool(audience) or len(recipients) > INLINE_MAX
    with transaction.atomic(savepoint=False):  # part of the caller's transaction: no savepoint of its own
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO realtime_event (id, created_at, recipients, payload, pending, audience) "
                    "VALUES (pg_current_xact_id()::text::bigint * %s + %s, %s, %s::jsonb, %s, %s, %s) "
                    "RETURNING id",
                    [
                        ID_SPACING,
                        next(_counter) % ID_SPACING,
                        timezone.now(),
                        json.dumps(recipients, separators=(",", ":")),
                        body,
                        pending,
                        audience,
                    ],
                )
                event_id = cursor.fetchone()[0]
        else:
            event_id = Event.objects.create(
                recipients=recipients, payload=body, pending=pending, audience=audience
            ).id
        if pending:
            fan_out_events.enqueue()  # a row in this transaction: the outbox
        elif len(recipients) > 20:
            insert_recipients(event_id, recipients)
        else:
            EventRecipient.objects.bulk_create(
                [EventRecipient(user_id=user_id, event_id=event_id) for user_id in recipients]
            )
    return event_id


def fan_out_pending(limit: int | None = None) -> int:
    """Write the recipient rows of pending (large) events, oldest first, each in its own transaction;
    returns how many events were fanned out. An audience's ids are resolved first (a read: no write lock
    to wait for) and its frame goes to the sockets at once — an explicit list was handed over at its
    commit. Safe to run twice at once: the rows are claimed, and a frame delivered twice is dropped by id
    (hubs and clients)."""
    done, after = 0, 0
    while limit is None or done < limit:
        row = (
            Event.objects.filter(pending=True, id__gt=after)
            .order_by("id")
            .values_list("id", "recipients", "audience", "payload", "alias_of")
            .first()
        )
        if row is None:
            break
        event_id, recipients, audience, body, alias_of = row
        after = event_id
        if audience:
            recipients = _resolve(event_id, audience)
            if recipients:
                Delivery(recipients, _event_of(body), alias_of or event_id, body)()
        else:
            recipients = [int(user_id) for user_id in recipients]
        with transaction.atomic():
            claim = Event.objects.filter(pk=event_id, pending=True)
            if connection.vendor == "postgresql":
                claim = claim.select_for_update(skip_locked=True)
            if not claim.values_list("pk").first():
                continue  # done meanwhile, or being done by another run
            if audience:
                Event.objects.filter(pk=event_id).update(pending=False, recipients=recipients)
            else:
                Event.objects.filter(pk=event_id).update(pending=False)
            insert_recipients(event_id, recipients)
        done += 1
    return done


def _resolve(event_id: int, audience: str) -> list[int]:
    try:
        return resolve(audience)
    except LookupError:
        # No app claims this audience any more: nobody to tell, and a pending row would hold every
        # reader's catch-up back for good.
        logger.error("realtime: event %s has an unknown audience %s", event_id, audience)
        return []


def _event_of(body: str) -> BaseEvent:
    """The event object of a stored payload (for the log and for tests' `capture_events`)."""
    if not _captures:
        return _Stored(body)
    from kiban.realtime.catalogue import event_types

    kind = json.loads(body)["type"]
    return event_types()[kind].model_validate_json(body)


class _Stored:
    """Stands for the event when nobody captures it: only its type is looked at (in the log)."""

    __slots__ = ("body",)

    def __init__(self, body: str) -> None:
        self.body = body

    @property
    def type(self) -> str:
        return self.body.split('"type":"', 1)[-1].split('"', 1)[0]


def kick_fan_out() -> None:
    """After the commit of an audience's event: fan it out now in this process, if it serves sockets (its
    hub runs `fan_out_pending` in a worker thread, so neither this request nor the event loop waits);
    otherwise the outbox job does it within the worker's polling interval."""
    hub.fan_out_threadsafe()


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
