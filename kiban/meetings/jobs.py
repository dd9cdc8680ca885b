"""Housekeeping of online meetings (the worker imports this module)."""

from __future__ import annotations

import datetime as dt

from kiban.core.jobs import job
from kiban.meetings.actions import sweep_stale
from kiban.meetings.models import GuestInbox

INBOX_KEPT = dt.timedelta(hours=1)


@job(every=dt.timedelta(minutes=1))
def sweep_stale_participants() -> int:
    """Peers whose page stopped sending heartbeats (a crashed browser, a lost phone network) leave their
    rooms, and the others are told."""
    from django.utils import timezone

    # A guest's page reads its inbox every second or so: what is older than this was read long ago.
    GuestInbox.objects.filter(created_at__lt=timezone.now() - INBOX_KEPT).delete()
    return sweep_stale()
