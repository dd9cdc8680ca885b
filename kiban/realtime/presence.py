"""Who is connected, for the email digest: `last_seen(user_ids)` and `is_connected(user_id)`.

Bookkeeping lives in `realtime.Seen` (one row per person), written by the server processes: when a process
gets its first socket of a person (`connections + 1`), when it loses its last one (`connections - 1`), and
once a minute for everyone it holds (`touch`, one UPDATE). Never per frame. Works across processes because
it is in the database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from kiban.realtime.models import Seen

# A connected person's row is refreshed every hub tick (60 s); a row older than this belongs to a process
# that died without saying goodbye.
FRESH = dt.timedelta(seconds=150)
TICK = dt.timedelta(seconds=60)


def last_seen(user_ids: Iterable[int]) -> dict[int, dt.datetime | None]:
    """When each person was last connected (a socket, or polling /api/v1/realtime/events): within the last minute
    or two while connected, None if never seen."""
    ids = list({int(user_id) for user_id in user_ids})
    result: dict[int, dt.datetime | None] = dict.fromkeys(ids)
    for user_id, seen_at in Seen.objects.filter(user_id__in=ids).values_list("user_id", "last_seen_at"):
        result[user_id] = seen_at
    return result


def is_connected(user_id: int, now: dt.datetime | None = None) -> bool:
    """Whether a socket of the person is open in any server process (as of the last minute)."""
    now = now or timezone.now()
    return Seen.objects.filter(user_id=user_id, connections__gt=0, last_seen_at__gte=now - FRESH).exists()


def connected(user_ids: Iterable[int], now: dt.datetime | None = None) -> set[int]:
    """The subset of `user_ids` connected now (one query)."""
    now = now or timezone.now()
    return set(
        Seen.objects.filter(
            user_id__in=list(user_ids), connections__gt=0, last_seen_at__gte=now - FRESH
        ).values_list("user_id", flat=True)
    )


def arrived(user_id: int) -> None:
    """A server process got its first socket of the person."""
    now = timezone.now()
    if Seen.objects.filter(user_id=user_id).update(connections=F("connections") + 1, last_seen_at=now):
        return
    try:
        with transaction.atomic():
            Seen.objects.create(user_id=user_id, connections=1, last_seen_at=now)
    except IntegrityError:  # another process created it meanwhile
        Seen.objects.filter(user_id=user_id).update(connections=F("connections") + 1, last_seen_at=now)


def left(user_id: int) -> None:
    """A server process closed its last socket of the person."""
    Seen.objects.filter(user_id=user_id).update(
        connections=Greatest(F("connections") - 1, 0), last_seen_at=timezone.now()
    )


_polled_at: dict[int, float] = {}


def polled(user_id: int) -> None:
    """A client of the person asked /api/v1/realtime/events (the polling fallback): they are present, even without a
    socket. Written at most once a minute per person and process (the throttle is in memory: no read)."""
    now = time.monotonic()
    if now - _polled_at.get(user_id, -FRESH.total_seconds()) < TICK.total_seconds():
        return
    _polled_at[user_id] = now
    if not Seen.objects.filter(user_id=user_id).update(last_seen_at=timezone.now()):
        with contextlib.suppress(IntegrityError), transaction.atomic():
            Seen.objects.create(user_id=user_id, connections=0, last_seen_at=timezone.now())


def touch(user_ids: list[int]) -> None:
    """Still connected (the hub's minute tick): one UPDATE for all of them."""
    Seen.objects.filter(user_id__in=user_ids).update(last_seen_at=timezone.now())
