"""PostgreSQL: a transaction left open elsewhere (a forgotten session, a long import) must not hold every
client's catch-up back, and what it publishes when it finally commits — below cursors handed out
meanwhile — must still reach its recipients by catch-up, exactly once, under its own id."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import connection, connections, transaction

from kiban.accounts.tests.factories import StaffFactory
from kiban.chat.events import ConversationRead
from kiban.realtime import publish, queries
from kiban.realtime.models import Event
from kiban.realtime.queries import events_for


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("transaction ids and pg_stat_activity: PostgreSQL only (KIBAN_DATABASE_URL)")


def _read(person, after: int) -> tuple[list[tuple[int, int]], int]:
    got, last_id, truncated = events_for(person.pk, after)
    assert not truncated
    return [(event_id, json.loads(body)["conversation"]) for event_id, body in got], last_id


@pytest.mark.django_db(transaction=True)
def test_a_long_open_transaction_neither_holds_catch_up_back_nor_loses_its_events(monkeypatch):
    monkeypatch.setattr(queries, "LATE_AFTER", 0.3)
    person = StaffFactory()
    _none, cursor, _ = events_for(person.pk, None)
    opened, finish = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def long_transaction():
        try:
            with transaction.atomic():
                publish([person.pk], ConversationRead(conversation=1, seq=1))  # its id: this xid × spacing
                opened.set()
                assert finish.wait(30)
        except BaseException as exc:  # noqa: BLE001  (reported by the test)
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=long_transaction)
    thread.start()
    try:
        assert opened.wait(20)
        time.sleep(1.0)  # the transaction is now older than LATE_AFTER
        with transaction.atomic():
            publish([person.pk], ConversationRead(conversation=2, seq=1))
        # Not held back by the open transaction: the event committed since is there now.
        got, cursor = _read(person, cursor)
        assert [conv for _id, conv in got] == [2]
        got, cursor = _read(person, cursor)
        assert got == []
    finally:
        finish.set()
        thread.join(30)
    assert errors == []
    original = Event.objects.get(payload__contains='"conversation":1', alias_of__isnull=True)
    assert original.pk < cursor  # committed below the cursor the client holds
    # The late event comes once, under its own id (a client that had it live drops it by id) …
    got, cursor = _read(person, cursor)
    assert got == [(original.pk, 1)]
    # … and never again.
    got, cursor = _read(person, cursor)
    assert got == []
    assert Event.objects.filter(alias_of=original.pk).count() == 1
