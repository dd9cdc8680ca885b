"""Housekeeping of online meetings (the worker imports this module)."""

from __future__ import annotations

import datetime as dt

from kiban.core.jobs import job


@job(every=dt.timedelta(minutes=1))
def sweep_stale_participants() -> int:
    """Peers whose page stopped sending heartbeats (a crashed browser, a lost phone network) leave their
    rooms, and the others are told."""
    from kiban.meetings.actions import sweep_stale

    return sweep_stale()
