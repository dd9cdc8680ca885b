"""Files housekeeping: the trash is emptied of what has been there 30 days."""

from __future__ import annotations

import datetime as dt

from kiban.core.jobs import job
from kiban.files import actions


@job(retries=3, every=dt.timedelta(hours=6))
def purge_trash() -> dict[str, int]:
    return actions.purge_trash()
