"""Client → server messages over `/ws`: a frame `{"type": "meeting.signal", "ref"?: …, …}` is parsed into the
module's `ClientMessage` model of that type (`kiban.realtime.catalogue.client_message_types`) and handed to its
`handle(user_id)` in a worker thread; the handler authorises the sender for that one message.

Why over the socket and not a POST: a WebRTC negotiation is a burst of small messages (an offer, an answer,
a dozen ICE candidates per peer) whose latency adds up before people see each other; on the socket each
costs no HTTP request, no middleware, session or CSRF work (`benchmarks/meeting.py` measures both).
Clients whose socket is blocked post the same message to the owning module's HTTP endpoint.

A socket's messages are handled one after another, in the order sent (an answer never overtakes its
offer). A frame larger than MAX_FRAME or more than RATE_MAX in RATE_WINDOW seconds is refused with an error
reply, so one client cannot occupy the server. Replies: `{"type": "reply", "ref": …, "ok": true, …}` when the
client gave a `ref`, and `{"type": "reply", "ref": …, "ok": false, "status": 400|404|429|500, "detail": …}`
whenever the message was refused.
"""

from __future__ import annotations

import json
import logging
import time

from asgiref.sync import sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections
from django.http import Http404
from pydantic import ValidationError as ModelError

from kiban.realtime.catalogue import client_message_types

logger = logging.getLogger("kiban.realtime")

MAX_FRAME = 64 * 1024  # an SDP offer with screen share is a few kilobytes
RATE_WINDOW = 10.0
RATE_MAX = 300


class Limiter:
    """Messages per socket in a fixed window: enough for a 12-peer mesh negotiating at once."""

    __slots__ = ("count", "started")

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.count = 0

    def allow(self) -> bool:
        now = time.monotonic()
        if now - self.started > RATE_WINDOW:
            self.started, self.count = now, 0
        self.count += 1
        return self.count <= RATE_MAX


def _error(ref, status: int, detail: str) -> str:
    return json.dumps({"type": "reply", "ref": ref, "ok": False, "status": status, "detail": detail})


def _run(message, user_id: int) -> dict | None:
    # A worker thread of its own (not the one thread Django's sync code shares): close what the ORM opened,
    # as the end of a request would, so connections go back to PostgreSQL's pool.
    close_old_connections()
    try:
        return message.handle(user_id)
    finally:
        close_old_connections()


async def dispatch(conn, data: dict, limiter: Limiter, size: int) -> None:
    """Handle one parsed frame of `conn` (not a ping); the answer, if any, goes to `conn`'s queue."""
    ref = data.get("ref")
    if not isinstance(ref, (str, int)) or isinstance(ref, bool):
        ref = None
    if size > MAX_FRAME:
        conn.push(_error(ref, 413, "message too large"))
        return
    if not limiter.allow():
        conn.push(_error(ref, 429, "too many messages"))
        return
    model = client_message_types().get(data.get("type"))
    if model is None:
        conn.push(_error(ref, 400, "type: unknown message type"))
        return
    fields = {key: value for key, value in data.items() if key != "ref"}
    try:
        message = model.model_validate(fields)
    except ModelError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "message"
        conn.push(_error(ref, 400, f"{where}: {first.get('msg', 'invalid')}"))
        return
    try:
        reply = await sync_to_async(_run, thread_sensitive=False)(message, conn.user_id)
    except Http404:
        conn.push(_error(ref, 404, "Not found."))
        return
    except PermissionDenied as exc:
        conn.push(_error(ref, 403, str(exc) or "Permission denied."))
        return
    except ValidationError as exc:
        detail = (
            "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
            if hasattr(exc, "message_dict")
            else " ".join(exc.messages)
        )
        conn.push(_error(ref, 400, detail))
        return
    except Exception:
        logger.exception("realtime: %s from user %s failed", data.get("type"), conn.user_id)
        conn.push(_error(ref, 500, "server error"))
        return
    if ref is not None:
        conn.push(json.dumps({"type": "reply", "ref": ref, "ok": True, **(reply or {})}))
