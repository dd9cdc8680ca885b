"""Repeating work of the notification centre."""

from __future__ import annotations

import datetime as dt

from kiban.core.jobs import job
from kiban.notifications import digest

# How often people who went offline are looked for: the digest goes out at most this long after the
# offline threshold (NotificationPolicy.digest_after_minutes) has passed.
DIGEST_EVERY = dt.timedelta(minutes=5)


@job(retries=2, every=DIGEST_EVERY)
def send_email_digests() -> dict[str, int]:
    """Mail a summary of unread DMs and mentions to each person offline longer than the policy says."""
    return digest.send_email_digests()
