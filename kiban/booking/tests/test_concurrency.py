"""No double booking under real concurrency: threads, each with its own database connection."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test import Client

from kiban.booking import actions
from kiban.booking.models import Booking
from kiban.booking.tests.factories import ResourceFactory, next_weekday, tokyo

THREADS = 30


def run_together(work, count: int) -> list:
    """Run `work(i)` in `count` threads released at the same instant; each closes its connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - recorded and asserted by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


@pytest.mark.django_db(transaction=True)
def test_thirty_concurrent_requests_for_one_slot_make_exactly_one_booking(clerk, other_clerk):
    room = ResourceFactory(name="第1会議室")
    day = next_weekday()
    start, end = tokyo(day, 10), tokyo(day, 11)
    clients = []
    for i in range(THREADS):
        client = Client()
        client.force_login(clerk if i % 2 else other_clerk)
        clients.append(client)
    body = {"resource": room.pk, "start": start.isoformat(), "end": end.isoformat(), "purpose": "係会議"}

    def post(i: int):
        response = clients[i].post("/api/v1/bookings", body, content_type="application/json")
        return response.status_code, response.json()

    results = run_together(post, THREADS)

    statuses = sorted(r[0] for r in results)
    assert statuses == [201] + [409] * (THREADS - 1), results
    assert Booking.objects.filter(resource=room).count() == 1
    for status, data in results:
        if status == 409:
            assert [
                (dt.datetime.fromisoformat(c["start"]), dt.datetime.fromisoformat(c["end"]))
                for c in data["conflicts"]
            ] == [(start, end)]
            assert "既に予約されています" in data["detail"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_series_through_the_action_leave_one_series(clerk):
    """Each thread books a different weekly series that shares one date with all the others."""
    room = ResourceFactory()
    shared = next_weekday(14)

    def book(i: int):
        own = shared + dt.timedelta(days=1 + i)
        ranges = [(tokyo(shared, 9), tokyo(shared, 10)), (tokyo(own, 9), tokyo(own, 10))]
        return actions.reserve(resource_ids=[room.pk], ranges=ranges, booked_by=clerk, purpose=f"{i}")

    results = run_together(book, 10)

    winners = [r for r in results if isinstance(r, list)]
    losers = [r for r in results if isinstance(r, actions.BookingConflict)]
    assert (len(winners), len(losers)) == (1, 9), results
    assert Booking.objects.filter(resource=room).count() == 2
    assert all(loser.conflicts == [(tokyo(shared, 9), tokyo(shared, 10))] for loser in losers)
