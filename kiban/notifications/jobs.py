"""Repeating work of the notification centre."""

from __future__ import annotations

import datetime as dt
import json

from kiban.core.jobs import job
from kiban.notifications import digest
from kiban.notifications.bulk import create_many

# How often people who went offline are looked for: the digest goes out at most this long after the
# offline threshold (NotificationPolicy.digest_after_minutes) has passed.
DIGEST_EVERY = dt.timedelta(minutes=5)


@job(retries=2, every=DIGEST_EVERY)
def send_email_digests() -> dict[str, int]:
    """Mail a summary of unread DMs and mentions to each person offline longer than the policy says."""
    return digest.send_email_digests()


@job(retries=10, backoff=5.0, max_backoff=300.0)
def create_notifications(ids: list[int] | str, **fields) -> int:
    """A large audience's notifications, written right after the commit that enqueued this job (the job row
    is part of that transaction: nothing is lost if the process dies in between)."""
    return len(create_many(json.loads(ids) if isinstance(ids, str) else ids, **fields))
