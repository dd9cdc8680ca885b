"""Rate limiting of failed sign-ins, shared by every sign-in path (web form, API token, DAV Basic auth).

Failures are rows in LoginFailure, so the count is the same for every process and server. Only failures
count: a correct password never adds a row. The limits are SecurityPolicy data an administrator edits.
"""

from __future__ import annotations

import datetime as dt
import math

from django.utils import timezone

from kiban.accounts.models import LoginFailure, SecurityPolicy

# Failures older than this are never needed for any window an administrator may reasonably set.
KEEP_FAILURES_FOR = dt.timedelta(days=1)


class LoginBlocked(Exception):
    """Too many recent failures: the caller must answer 429 with `Retry-After: retry_after` (seconds).
    `scope` is "account" or "address"."""

    def __init__(self, retry_after: int, scope: str) -> None:
        super().__init__(retry_after, scope)
        self.retry_after = retry_after
        self.scope = scope

    def __str__(self) -> str:
        return f"sign-in blocked for {self.retry_after} s ({self.scope})"


def _seconds_until_below_limit(filters: dict, limit: int, window: dt.timedelta, now: dt.datetime) -> int:
    """0 when fewer than `limit` failures fall in the window, else the seconds until one drops out."""
    if limit <= 0:
        return 0
    recent = list(
        LoginFailure.objects.filter(at__gt=now - window, **filters)
        .order_by("-at")
        .values_list("at", flat=True)[:limit]
    )
    if len(recent) < limit:
        return 0
    # When the limit-th most recent failure leaves the window, fewer than `limit` remain.
    return max(1, math.ceil((recent[-1] + window - now).total_seconds()))


def check_login_allowed(username: str, ip: str | None, *, now: dt.datetime | None = None) -> None:
    """Raise LoginBlocked if this account or this address has too many recent failures.

    Call it before checking the password, on every sign-in path."""
    now = now or timezone.now()
    policy = SecurityPolicy.current()
    waits = []
    if username:
        account_wait = _seconds_until_below_limit(
            {"username": username.strip()},
            policy.account_max_failures,
            dt.timedelta(minutes=policy.account_window_minutes),
            now,
        )
        if account_wait:
            waits.append((account_wait, "account"))
    if ip:
        address_wait = _seconds_until_below_limit(
            {"ip": ip},
            policy.address_max_failures,
            dt.timedelta(minutes=policy.address_window_minutes),
            now,
        )
        if address_wait:
            waits.append((address_wait, "address"))
    if waits:
        retry_after, scope = max(waits)
        raise LoginBlocked(retry_after=retry_after, scope=scope)


def record_login_failure(
    username: str, ip: str | None, channel: str, *, now: dt.datetime | None = None
) -> None:
    """Count one failed sign-in, and prune failures too old to matter (cheap: `at` is indexed)."""
    now = now or timezone.now()
    LoginFailure.objects.create(username=username.strip()[:150], ip=ip, at=now, channel=channel)
    LoginFailure.objects.filter(at__lt=now - KEEP_FAILURES_FOR).delete()


def wait_in_words(seconds: int) -> str:
    """「約N分」 or 「N秒」, for the sign-in page."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    if seconds < 60:
        return ngettext("%(n)d秒", "%(n)d秒", seconds) % {"n": seconds}
    minutes = math.ceil(seconds / 60)
    return _("約%(n)d分") % {"n": minutes}
