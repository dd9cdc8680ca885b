"""The publishing side: after commit, store the event once, serialize it once, hand it to the sockets.

`publish()` (kiban/realtime/__init__.py) registers a `Delivery` with `transaction.on_commit`. When it runs:

1. one `realtime.Event` row is written (its id orders events and lets clients catch up);
2. the frame text `{"id": …, "type": …, …}` is built once;
3. embedded (no KIBAN_REDIS_URL): handed to this process's hub (`hub.py`) with `call_soon_threadsafe`,
   since publishers are threads (request threads, the background worker) and the sockets live on the event
   loop; scaled out: one Redis PUBLISH on `kiban:events:<database>`, which every server process's subscriber routes
   to its own sockets (the publisher's own process included, so there is one path, not two).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction

from kiban.realtime.events import BaseEvent

logger = logging.getLogger("kiban.realtime")

REDIS_CHANNEL_PREFIX = "kiban:events:"
# Serializes event inserts on PostgreSQL so ids become visible in increasing order: a reader that saw id 11
# must never later discover a 10 committed after it (a sequence hands ids out before commit).
PG_LOCK_KEY = 0x6B6962616E  # "kiban"

_captures: list[list] = []
_captures_lock = threading.Lock()


def add_capture(target: list) -> None:
    with _captures_lock:
        _captures.append(target)


def remove_capture(target: list) -> None:
    with _captures_lock:
        _captures.remove(target)


class Delivery:
    """The after-commit callback of one publish. Runs once, even if a test helper calls it again."""

    __slots__ = ("done", "event", "recipients")

    def __init__(self, recipients: list[int], event: BaseEvent) -> None:
        self.recipients = recipients
        self.event = event
        self.done = False

    def __call__(self) -> None:
        if self.done:
            return
        self.done = True
        with _captures_lock:
            for target in _captures:
                target.append((self.recipients, self.event))
        try:
            deliver(self.recipients, self.event)
        except Exception:
            # The data is committed; clients that missed the event catch up with /api/v1/realtime/events?after=.
            logger.exception(
                "realtime: could not deliver %s to %d people", self.event.type, len(self.recipients)
            )


def schedule(user_ids: Iterable[int], event: BaseEvent) -> None:
    if not isinstance(event, BaseEvent):
        raise TypeError(f"publish() needs an event from kiban.realtime.events, not {type(event).__name__}")
    recipients = sorted({int(user_id) for user_id in user_ids})
    if recipients:
        transaction.on_commit(Delivery(recipients, event))


def store(recipients: list[int], body: str) -> int:
    """Write the event row and return its id."""
    from kiban.realtime.models import Event

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PG_LOCK_KEY])
        return Event.objects.create(recipients=recipients, payload=body).id


def frame_text(event_id: int, body: str) -> str:
    """`{"id": N, …the event's fields…}` from the event's JSON text, without parsing it again."""
    return '{"id":' + str(event_id) + "," + body[1:]


def deliver(recipients: list[int], event: BaseEvent) -> int:
    body = event.model_dump_json()
    event_id = store(recipients, body)
    frame = frame_text(event_id, body)
    if settings.REDIS_URL:
        redis_publish(recipients, frame)
    else:
        from kiban.realtime.hub import deliver_threadsafe

        deliver_threadsafe(recipients, frame)
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


def encode_redis_message(recipients: list[int], frame: str) -> str:
    """Recipients, a newline, then the frame: the subscriber routes without parsing the event."""
    return json.dumps(recipients, separators=(",", ":")) + "\n" + frame


def decode_redis_message(data: bytes | str) -> tuple[list[int], str]:
    text = data.decode() if isinstance(data, bytes) else data
    head, _, frame = text.partition("\n")
    return json.loads(head), frame


def redis_channel() -> str:
    """The pub/sub channel of this installation: named after its database, so two Kiban installations (or
    two test runs) sharing one Redis never see each other's events (user ids would collide)."""
    db = connection.settings_dict
    return REDIS_CHANNEL_PREFIX + f"{db.get('HOST') or ''}:{db.get('PORT') or ''}/{db['NAME']}"


def redis_publish(recipients: list[int], frame: str) -> None:
    redis_client().publish(redis_channel(), encode_redis_message(recipients, frame))
