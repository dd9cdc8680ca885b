"""Long polling for the HTTP fallback: `GET /api/v1/realtime/events?after=ID&wait=S` holds the request up to S seconds
(at most MAX_WAIT) until the caller has an event, then lets Django answer it as usual.

Clients behind a proxy that blocks WebSockets would otherwise ask every few seconds: 5,000 people polling
every 2.5 s is 2,000 requests a second. Waiting must not hold one of Django's threads (sync views share one
per process under ASGI), so it happens here, as ASGI middleware on the event loop, before the request
reaches Django: a future per waiting request, resolved by the process's hub when an event for that person
passes through it (live delivery or the sweep).
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import parse_cookie

from kiban.realtime.auth import bearer_token, header, user_from_session, user_from_token
from kiban.realtime.hub import get_hub
from kiban.realtime.queries import events_for

PATH = "/api/v1/realtime/events"
MAX_WAIT = 25.0


def _wanted(scope) -> tuple[int, float] | None:
    if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "GET":
        return None
    query = parse_qs(scope.get("query_string", b"").decode("latin1"))
    try:
        after = int(query["after"][0])
        wait = min(float(query["wait"][0]), MAX_WAIT)
    except (KeyError, ValueError, IndexError):
        return None
    if after < 0 or not wait > 0:
        return None
    return after, wait


def _who(scope) -> int | None:
    """The caller, as the API would authenticate them (Bearer token or session cookie)."""
    token = bearer_token(scope)
    if token is not None:
        found = user_from_token(token)
    else:
        cookies = parse_cookie(header(scope, b"cookie") or "")
        found = user_from_session(cookies.get(settings.SESSION_COOKIE_NAME))
    return found[0] if found else None


def _has_news(user_id: int, after: int) -> bool:
    mine, _last_id, truncated = events_for(user_id, after)
    return bool(mine) or truncated


class LongPoll:
    """ASGI middleware in front of Django's HTTP application."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        wanted = _wanted(scope)
        if wanted is not None:
            after, wait = wanted
            with contextlib.suppress(Exception):  # any doubt: answer at once, as a plain poll
                await self._wait(scope, after, wait)
        return await self.app(scope, receive, send)

    async def _wait(self, scope, after: int, wait: float) -> None:
        user_id = await sync_to_async(_who)(scope)
        if user_id is None:
            return  # Django answers 401
        hub = await get_hub()
        waiter = hub.loop.create_future()
        hub.waiters.setdefault(user_id, set()).add(waiter)
        try:
            # Registered before looking, so an event committed in between wakes us.
            if await sync_to_async(_has_news)(user_id, after):
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter, wait)
        finally:
            waiters = hub.waiters.get(user_id)
            if waiters is not None:
                waiters.discard(waiter)
                if not waiters:
                    del hub.waiters[user_id]
