"""`GET /api/v1/events?after=ID`: the caller's live events after ID (catch-up after a reconnect, and the
polling fallback when a proxy blocks WebSockets).

CONTRACT.md gives `GET /api/v1/events` to the calendar (`?start=&end=`), and Django routes a path to one
view: the calendar's view answers a request without `start`/`end` by calling `list_events` below, and its
query schema documents `after`. So this router registers no route of its own (a second GET on the same path
would replace the calendar's operation in the OpenAPI schema).
"""

from __future__ import annotations

import json
from typing import Any

from ninja import Router, Schema
from pydantic import Field

from kiban.realtime.queries import events_for

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


def list_events(request, params: EventsIn) -> dict:
    """The realtime answer (shaped as EventsOut) for the calendar's GET /api/v1/events without a window."""
    from kiban.realtime.delivery import frame_text
    from kiban.realtime.presence import polled

    mine, last_id, truncated = events_for(request.auth.pk, params.after)
    polled(request.auth.pk)
    return {
        "events": [json.loads(frame_text(event_id, body)) for event_id, body in mine],
        "last_id": last_id,
        "truncated": truncated,
    }
