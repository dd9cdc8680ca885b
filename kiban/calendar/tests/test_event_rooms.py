"""Events with rooms: booked for every occurrence through kiban.booking in the same transaction; a clash is
409 and writes nothing; moving or deleting the event moves or frees its rooms."""

from __future__ import annotations

import pytest

from kiban.booking.models import Booking
from kiban.booking.tests.factories import ResourceFactory
from kiban.calendar.models import Attendee, Event
from kiban.calendar.tests.factories import tokyo
from kiban.core.models import OutgoingEmail

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(db):
    return ResourceFactory(name="第1会議室")


def _create(client, **data):
    body = {
        "title": "課内会議",
        "start": "2026-12-01T10:00:00+09:00",
        "end": "2026-12-01T11:00:00+09:00",
        **data,
    }
    return client.post("/api/v1/events", body, content_type="application/json")


def _held(room):
    return list(
        Booking.objects.filter(resource=room, status__in=Booking.HOLDING)
        .order_by("start")
        .values_list("start", "end", "event_id")
    )


def test_event_with_a_room_books_it(api_as, clerk, room):
    response = _create(api_as(clerk), resources=[room.pk])
    assert response.status_code == 201, response.content
    assert response.json()["resources"] == [room.pk]
    assert _held(room) == [(tokyo(2026, 12, 1, 10), tokyo(2026, 12, 1, 11), response.json()["id"])]


def test_clash_is_409_naming_the_time_and_nothing_is_written(api_as, clerk, section_head, other_clerk, room):
    first = _create(api_as(clerk), resources=[room.pk]).json()
    response = _create(
        api_as(other_clerk),
        start="2026-12-01T10:30:00+09:00",
        end="2026-12-01T12:00:00+09:00",
        attendees=[section_head.username],
        resources=[room.pk],
    )
    assert response.status_code == 409
    assert response.json()["conflicts"] == [
        {"start": "2026-12-01T10:00:00+09:00", "end": "2026-12-01T11:00:00+09:00"}
    ]
    assert list(Event.objects.values_list("pk", flat=True)) == [first["id"]]
    assert Attendee.objects.count() == 0
    assert OutgoingEmail.objects.count() == 0


def test_recurring_event_that_clashes_on_one_date_is_refused_whole(api_as, clerk, other_clerk, room):
    _create(
        api_as(clerk), start="2026-12-15T10:00:00+09:00", end="2026-12-15T11:00:00+09:00", resources=[room.pk]
    )
    response = _create(api_as(other_clerk), title="係会議", rrule="FREQ=WEEKLY;COUNT=4", resources=[room.pk])
    assert response.status_code == 409
    assert response.json()["conflicts"] == [
        {"start": "2026-12-15T10:00:00+09:00", "end": "2026-12-15T11:00:00+09:00"}
    ]
    assert not Event.objects.filter(title="係会議").exists()
    assert len(_held(room)) == 1


def test_recurring_event_books_every_occurrence(api_as, clerk, room):
    created = _create(api_as(clerk), rrule="FREQ=WEEKLY;COUNT=3", resources=[room.pk]).json()
    assert [s for s, _e, _ev in _held(room)] == [tokyo(2026, 12, d, 10) for d in (1, 8, 15)]
    assert {ev for _s, _e, ev in _held(room)} == {created["id"]}


def test_moving_the_event_moves_its_booking(api_as, clerk, room):
    client = api_as(clerk)
    created = _create(client, resources=[room.pk]).json()
    response = client.patch(
        f"/api/v1/events/{created['id']}",
        {"start": "2026-12-02T15:00:00+09:00"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert _held(room) == [(tokyo(2026, 12, 2, 15), tokyo(2026, 12, 2, 16), created["id"])]


def test_moving_one_occurrence_moves_only_its_booking(api_as, clerk, room):
    client = api_as(clerk)
    created = _create(client, rrule="FREQ=WEEKLY;COUNT=3", resources=[room.pk]).json()
    response = client.patch(
        f"/api/v1/events/{created['id']}?scope=this&occurrence=2026-12-08T10:00:00%2B09:00",
        {"start": "2026-12-09T13:00:00+09:00", "end": "2026-12-09T14:00:00+09:00"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert [(s, e) for s, e, _ev in _held(room)] == [
        (tokyo(2026, 12, 1, 10), tokyo(2026, 12, 1, 11)),
        (tokyo(2026, 12, 9, 13), tokyo(2026, 12, 9, 14)),
        (tokyo(2026, 12, 15, 10), tokyo(2026, 12, 15, 11)),
    ]


def test_move_onto_a_taken_slot_is_409_and_changes_nothing(api_as, clerk, other_clerk, room):
    _create(
        api_as(other_clerk),
        start="2026-12-02T15:00:00+09:00",
        end="2026-12-02T16:00:00+09:00",
        resources=[room.pk],
    )
    client = api_as(clerk)
    created = _create(client, resources=[room.pk]).json()
    response = client.patch(
        f"/api/v1/events/{created['id']}",
        {"start": "2026-12-02T15:30:00+09:00"},
        content_type="application/json",
    )
    assert response.status_code == 409
    event = Event.objects.get(pk=created["id"])
    assert (event.start, event.sequence) == (tokyo(2026, 12, 1, 10), 0)
    assert (tokyo(2026, 12, 1, 10), tokyo(2026, 12, 1, 11), created["id"]) in _held(room)


def test_deleting_the_event_frees_the_room(api_as, clerk, other_clerk, room):
    created = _create(api_as(clerk), resources=[room.pk]).json()
    assert api_as(clerk).delete(f"/api/v1/events/{created['id']}").status_code == 204
    assert _held(room) == []
    assert _create(api_as(other_clerk), resources=[room.pk]).status_code == 201


def test_deleting_one_occurrence_frees_that_date_only(api_as, clerk, room):
    client = api_as(clerk)
    created = _create(client, rrule="FREQ=WEEKLY;COUNT=3", resources=[room.pk]).json()
    assert (
        client.delete(
            f"/api/v1/events/{created['id']}?scope=this&occurrence=2026-12-08T10:00:00%2B09:00"
        ).status_code
        == 204
    )
    assert [s for s, _e, _ev in _held(room)] == [tokyo(2026, 12, 1, 10), tokyo(2026, 12, 15, 10)]


def test_this_and_following_moves_the_later_bookings_to_the_new_series(api_as, clerk, room):
    client = api_as(clerk)
    created = _create(client, rrule="FREQ=WEEKLY;COUNT=4", resources=[room.pk]).json()
    response = client.patch(
        f"/api/v1/events/{created['id']}?scope=following&occurrence=2026-12-15T10:00:00%2B09:00",
        {"start": "2026-12-15T14:00:00+09:00", "end": "2026-12-15T15:00:00+09:00"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    new_id = response.json()["id"]
    assert response.json()["resources"] == [room.pk]
    assert _held(room) == [
        (tokyo(2026, 12, 1, 10), tokyo(2026, 12, 1, 11), created["id"]),
        (tokyo(2026, 12, 8, 10), tokyo(2026, 12, 8, 11), created["id"]),
        (tokyo(2026, 12, 15, 14), tokyo(2026, 12, 15, 15), new_id),
        (tokyo(2026, 12, 22, 14), tokyo(2026, 12, 22, 15), new_id),
    ]
