"""Background upkeep of booking records."""

from __future__ import annotations

import datetime as dt

from kiban.booking.fleet import prune_alcohol_checks
from kiban.core.jobs import job


@job(retries=3, every=dt.timedelta(days=1))
def prune_old_alcohol_checks() -> dict[str, int]:
    """Alcohol-check records must be kept one year; delete those past the retention (1 year + a month)."""
    return {"alcohol_checks": prune_alcohol_checks()}
