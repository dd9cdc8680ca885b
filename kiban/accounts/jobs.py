"""Background upkeep of security records."""

from __future__ import annotations

import datetime as dt

from kiban.accounts.models import LoginFailure
from kiban.accounts.ratelimit import KEEP_FAILURES_FOR
from kiban.core.audit import prune_expired_entries
from kiban.core.jobs import job


@job(retries=3, every=dt.timedelta(days=1))
def prune_security_records() -> dict[str, int]:
    """Delete sign-in failures too old to count and audit entries past their retention (365 days).

    Failures are also pruned whenever one is written; this catches quiet periods."""
    from django.utils import timezone

    failures, _ = LoginFailure.objects.filter(at__lt=timezone.now() - KEEP_FAILURES_FOR).delete()
    return {"login_failures": failures, "audit_entries": prune_expired_entries()}
