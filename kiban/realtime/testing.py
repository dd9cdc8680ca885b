"""Test helper: `capture_events()` records what was published and committed.

    from kiban.realtime.testing import capture_events

    with capture_events() as events:
        do_post_message(...)
    assert events.types() == ["message.created"]
    user_ids, event = events[0]          # user_ids: sorted list of unique ints

An event is recorded when its after-commit callback runs, so a rolled-back publish is never recorded. That
works in both kinds of tests:

- `@pytest.mark.django_db(transaction=True)` (real commits): recorded at commit.
- the default `@pytest.mark.django_db` (each test inside one transaction that never commits): on leaving the
  `with` block, the publishes still waiting for the test's outer transaction are run, as
  `django_capture_on_commit_callbacks(execute=True)` would run them. Publishes inside an inner
  `transaction.atomic()` that rolled back were already discarded by Django and are not recorded. Using
  `django_capture_on_commit_callbacks(execute=True)` around or inside the block also works (each publish
  runs once).

The events are really delivered too (stored in `realtime.Event`, handed to the sockets), as in production.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connections

from kiban.realtime import delivery
from kiban.realtime.events import BaseEvent


class CapturedEvents(list):
    """A list of `(user_ids, event)` pairs, in the order they were committed."""

    def types(self) -> list[str]:
        return [event.type for _user_ids, event in self]

    def of_type(self, event_type: str) -> list[tuple[list[int], BaseEvent]]:
        return [(user_ids, event) for user_ids, event in self if event.type == event_type]


@contextlib.contextmanager
def capture_events(using: str = "default") -> Iterator[CapturedEvents]:
    captured = CapturedEvents()
    connection = connections[using]
    start = len(connection.run_on_commit)
    delivery.add_capture(captured)
    try:
        yield captured
        if connection.in_atomic_block:
            # Inside the test's transaction: run our publishes that are still waiting for a commit.
            for _sids, func, _robust in list(connection.run_on_commit[start:]):
                if isinstance(func, delivery.Delivery):
                    func()
    finally:
        delivery.remove_capture(captured)
