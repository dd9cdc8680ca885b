"""Reads about identity: a person's live sessions and tokens, and the audit log for IT administrators."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.utils import timezone

from kiban.accounts.models import ApiToken, DeviceSession, Staff
from kiban.core.audit_labels import action_label
from kiban.core.models import AuditEntry
from kiban.core.templatetags.kiban import wareki_datetime_filter

PAGE_SIZE = 50


def live_device_sessions(user) -> QuerySet[DeviceSession]:
    """The person's browser sessions that can still be used (their Django session exists and is unexpired)."""
    live_keys = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    return DeviceSession.objects.filter(user=user, session_key__in=live_keys).order_by("-last_seen_at", "-pk")


def tokens_of(user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


# Actions offered in the audit log filter; "admin.*" selects every Django-admin change.
AUDIT_ACTIONS = [
    "auth.login",
    "auth.login_failed",
    "auth.rate_limited",
    "auth.logout",
    "auth.token_created",
    "auth.token_revoked",
    "auth.session_revoked",
    "auth.2fa_enabled",
    "auth.2fa_disabled",
    "auth.recovery_code_used",
    "auth.recovery_codes_regenerated",
    "admin.*",
]


@dataclass(frozen=True)
class AuditFilter:
    person: str = ""
    action: str = ""
    ip: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def audit_entries(audit_filter: AuditFilter) -> QuerySet[AuditEntry]:
    """Audit entries matching the filter, newest first. Dates are whole days in the server's time zone."""
    entries = AuditEntry.objects.all()
    if audit_filter.person:
        entries = entries.filter(actor_username=audit_filter.person)
    if audit_filter.action.endswith(".*"):
        entries = entries.filter(action__startswith=audit_filter.action[:-1])
    elif audit_filter.action:
        entries = entries.filter(action=audit_filter.action)
    if audit_filter.ip:
        entries = entries.filter(ip=audit_filter.ip)
    tz = timezone.get_current_timezone()
    if audit_filter.date_from:
        start = dt.datetime.combine(audit_filter.date_from, dt.time.min, tzinfo=tz)
        entries = entries.filter(at__gte=start)
    if audit_filter.date_to:
        end = dt.datetime.combine(audit_filter.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        entries = entries.filter(at__lt=end)
    return entries.order_by("-at", "-id")


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    action_label: str
    actor_name: str  # empty when the username belongs to nobody (a failed sign-in, a retired account)
    detail: list[tuple[str, str]]


def _detail_value(value) -> str:
    """Times in details are stored as ISO text in UTC: shown in local time, 和暦, like the 日時 column."""
    if isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and "T" in value:
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(moment):
            return wareki_datetime_filter(moment)
    return str(value)


def audit_rows(entries) -> list[AuditRow]:
    """The page's entries with the action in words and the actor by name (one query for all names)."""
    entries = list(entries)
    usernames = {e.actor_username for e in entries if e.actor_username}
    names = {
        username: f"{family} {given}".strip()
        for username, family, given in Staff.objects.filter(username__in=usernames).values_list(
            "username", "family_name", "given_name"
        )
    }
    return [
        AuditRow(
            entry=e,
            action_label=action_label(e.action),
            actor_name=names.get(e.actor_username, ""),
            detail=[(str(k), _detail_value(v)) for k, v in (e.detail or {}).items()],
        )
        for e in entries
    ]
