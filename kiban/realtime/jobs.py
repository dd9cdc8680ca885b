"""Housekeeping: forget published events after EVENT_RETENTION (clients further behind refetch anyway)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max
from django.utils import timezone

from kiban.core.jobs import job
from kiban.realtime.models import Event

EVENT_RETENTION = dt.timedelta(minutes=15)


def prune_events(now: dt.datetime | None = None) -> int:
    """Delete events older than EVENT_RETENTION, always keeping the newest (it tells readers where ids are)."""
    cutoff = (now or timezone.now()) - EVENT_RETENTION
    newest = Event.objects.aggregate(m=Max("id"))["m"]
    if newest is None:
        return 0
    deleted, _ = Event.objects.filter(created_at__lt=cutoff, id__lt=newest).delete()
    return deleted


@job(retries=2, every=dt.timedelta(minutes=5))
def prune_realtime_events() -> None:
    prune_events()
