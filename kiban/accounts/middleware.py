"""Keeps the per-device session list (DeviceSession) in step with Django's sessions."""

from __future__ import annotations

import datetime as dt

from django.db import OperationalError
from django.utils import timezone

from kiban.accounts.actions import touch_device_session
from kiban.core import busy

TOUCH_EVERY = dt.timedelta(minutes=5)
# When this browser's device row was last refreshed, kept in its own session: between refreshes a request
# costs no query (an UPDATE on every page view would also take SQLite's write lock every time).
SEEN_KEY = "kiban_device_seen"


class DeviceSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is None or not user.is_authenticated or session is None or not session.session_key:
            return response
        now = timezone.now()
        seen = session.get(SEEN_KEY)
        if seen is not None and now.timestamp() - seen < TOUCH_EVERY.total_seconds():
            return response
        try:
            touch_device_session(request, user, session.session_key, TOUCH_EVERY, now)
        except OperationalError as exc:
            # Bookkeeping only: a busy database (another writer holds the lock) must not turn a request
            # that succeeded, or was answered 503 already, into an error. The next request refreshes it.
            if not busy.is_busy(exc):
                raise
            return response
        session[SEEN_KEY] = now.timestamp()
        return response
