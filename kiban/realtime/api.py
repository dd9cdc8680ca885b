"""`GET /api/v1/realtime/events?after=ID`: the caller's live events after ID (catch-up after a reconnect, and
the polling fallback when a proxy blocks WebSockets; `&wait=S` long-polls, see kiban.realtime.longpoll).

Its own path: `GET /api/v1/events` is the calendar's (CONTRACT.md)."""

from __future__ import annotations

import json
from typing import Any

from ninja import Query, Router, Schema
from pydantic import Field

from kiban.realtime.presence import polled
from kiban.realtime.queries import events_for
from kiban.realtime.wire import frame_text

router = Router(tags=["realtime"])


class EventsIn(Schema):
    after: int | None = Field(
        None, ge=0, description="The last event id the client has seen; without it, just learn last_id."
    )


class EventsOut(Schema):
    events: list[dict[str, Any]] = Field(
        description="The caller's events after `after`, oldest first, each as sent on /ws (with its `id`)."
    )
    last_id: int = Field(description="Continue with `?after=last_id`.")
    truncated: bool = Field(
        description="Too far behind to catch up event by event: refetch what you show, then continue "
        "from last_id."
    )


class WaitIn(EventsIn):
    wait: float | None = Field(
        None,
        ge=0,
        le=25,
        description="Long poll: hold the request up to this many seconds until there is an event for you.",
    )


@router.get("/realtime/events", response=EventsOut, summary="Live events after an id (catch-up, polling)")
def list_events(request, params: Query[WaitIn]) -> dict:
    """The caller's events after `after` (a long-poll wait, if any, happened before Django saw the request)."""
    mine, last_id, truncated = events_for(request.auth.pk, params.after)
    polled(request.auth.pk)
    return {
        "events": [json.loads(frame_text(event_id, body)) for event_id, body in mine],
        "last_id": last_id,
        "truncated": truncated,
    }
