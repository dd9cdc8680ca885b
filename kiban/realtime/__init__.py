"""Live events to connected clients: `publish(user_ids, event)`.

    from kiban.realtime import publish
    from kiban.chat.events import MessageCreated

    publish(member_ids, MessageCreated(message=message_out(message)))

Design (docs/ARCHITECTURE.md, "Realtime"): the event is stored once in `realtime.Event`, in the caller's
transaction, with its recipients indexed for catch-up (`GET /api/v1/realtime/events?after=ID`; a large audience's
index rows are written by a job right after commit — the outbox); after the commit it is serialized once and
each server process hands it to the sockets of the recipients it holds: through an in-process hub when Kiban
runs as one process, through one Redis PUBLISH per event (every process subscribes once) when KIBAN_REDIS_URL
is set.
"""

from __future__ import annotations

from collections.abc import Iterable

from kiban.realtime.events import BaseEvent

__all__ = ["BaseEvent", "publish"]


def publish(user_ids: Iterable[int], event: BaseEvent) -> None:
    """Send `event` to every connected device of the people `user_ids`, in every server process.

    Call it from an action, inside or outside a transaction: the event row is written at once (so it commits
    or rolls back with the change), delivery happens after the commit (`transaction.on_commit`), so a client
    is never told about something it cannot read yet, and nothing is sent if the transaction rolls back. Duplicate ids are sent once; an empty list sends nothing. Safe to call
    from any thread (request threads, the background worker, `kiban worker`, management commands). Delivery
    never raises into the caller: a failure is logged, and clients recover through `/api/v1/realtime/events?after=`.

    Tests: `kiban.realtime.testing.capture_events()` records what was published and committed.
    """
    # Imported here: this package is imported while apps load, before models can be.
    from kiban.realtime.delivery import schedule

    schedule(user_ids, event)
