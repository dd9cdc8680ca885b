"""Background work of realtime: the fan-out of large events (the outbox) and housekeeping."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from kiban.core.jobs import job
from kiban.realtime.models import Event, EventRecipient, Horizon
from kiban.realtime.queries import settled_horizon

EVENT_RETENTION = dt.timedelta(minutes=15)


@job(retries=10, backoff=1.0, max_backoff=60.0)
def fan_out_events() -> None:
    """Write the recipient rows of every pending event, oldest first (enqueued in the publishing
    transaction; several runs at once share the work)."""
    from kiban.realtime.delivery import fan_out_pending  # cycle: delivery enqueues this job

    fan_out_pending()


@job(retries=2, every=dt.timedelta(minutes=1))
def resume_fan_out() -> None:
    """Safety net: finish any pending event whose job was lost (e.g. a worker killed mid-job)."""
    from kiban.realtime.delivery import fan_out_pending  # cycle: delivery enqueues fan_out_events

    fan_out_pending()


def prune_events(now: dt.datetime | None = None) -> int:
    """Delete settled events older than EVENT_RETENTION (and their recipient rows); remember the highest
    id deleted, so a client behind it is told to refetch."""
    cutoff = (now or timezone.now()) - EVENT_RETENTION
    horizon = settled_horizon()
    upto = Event.objects.filter(created_at__lt=cutoff, id__lt=horizon).aggregate(m=Max("id"))["m"]
    if upto is None:
        return 0
    with transaction.atomic():
        EventRecipient.objects.filter(event_id__lte=upto).delete()
        deleted, _ = Event.objects.filter(id__lte=upto).delete()
        Horizon.objects.update_or_create(name="pruned", defaults={"value": upto})
    return deleted


@job(retries=2, every=dt.timedelta(minutes=5))
def prune_realtime_events() -> None:
    prune_events()
