"""Writes about identity: sign-in, sessions, tokens, two-factor. Each records its audit entry."""

from __future__ import annotations

import datetime as dt

from kiban.accounts.models import DeviceSession
from kiban.core.audit import client_ip


def touch_device_session(request, user, session_key: str, every: dt.timedelta, now: dt.datetime) -> None:
    updated = DeviceSession.objects.filter(
        session_key=session_key, user=user, last_seen_at__lt=now - every
    ).update(last_seen_at=now, ip=client_ip(request))
    if not updated and not DeviceSession.objects.filter(session_key=session_key).exists():
        DeviceSession.objects.create(
            user=user,
            session_key=session_key,
            user_agent=request.headers.get("User-Agent", "")[:300],
            ip=client_ip(request),
            created_at=now,
            last_seen_at=now,
        )
