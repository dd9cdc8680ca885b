"""The minute job: announce derived presence changes (a meeting began, a status set by hand lapsed, 退庁) to
those watching. Manual changes are announced by the action itself, at once."""

from __future__ import annotations

import datetime as dt

from kiban.core.jobs import job
from kiban.presence.actions import publish_changes


@job(retries=1, every=dt.timedelta(minutes=1))
def publish_presence_changes() -> int:
    return publish_changes()
