"""Keeps the per-device session list (DeviceSession) in step with Django's sessions."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

TOUCH_EVERY = dt.timedelta(minutes=5)


class DeviceSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is not None and user.is_authenticated and session is not None and session.session_key:
            from kiban.accounts.actions import touch_device_session

            touch_device_session(request, user, session.session_key, TOUCH_EVERY, timezone.now())
        return response
