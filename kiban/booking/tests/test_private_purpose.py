"""A room booked for a private event carries the event's title as its purpose: everyone but the booker and the
event's organiser and attendees reads 予定あり, wherever the booking is shown (as the calendar shows the event)."""

from __future__ import annotations

import pytest
from django.test import Client

from kiban.booking.models import Booking
from kiban.booking.tests.factories import ResourceFactory, next_weekday, tokyo

pytestmark = pytest.mark.django_db

SECRET = "人事評価面談 山田さん"


def _private_event_with_room(clerk, section_head, *, visibility="private"):
    room = ResourceFactory(name="第3会議室")
    day = next_weekday()
    organizer = Client()
    organizer.force_login(clerk)
    response = organizer.post(
        "/api/v1/events",
        {
            "title": SECRET, "start": tokyo(day, 10).isoformat(), "end": tokyo(day, 11).isoformat(),
            "visibility": visibility, "attendees": [section_head.username], "resources": [room.pk],
        },
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    booking = Booking.objects.get(resource=room)
    assert booking.purpose == SECRET
    return room, day, booking


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _availability_purposes(client, room, day) -> list[str]:
    response = client.get(
        f"/api/v1/resources/{room.pk}/availability",
        {"start": tokyo(day, 0).isoformat(), "end": tokyo(day, 23).isoformat()},
    )
    assert response.status_code == 200
    return [busy["purpose"] for busy in response.json()["busy"]]


def test_a_colleague_reads_busy_instead_of_a_private_events_title_in_the_availability_api(
    clerk, section_head, other_clerk
):
    room, day, _booking = _private_event_with_room(clerk, section_head)
    assert _availability_purposes(_as(other_clerk), room, day) == ["予定あり"]
    # The organiser (the booker) and an attendee read the title.
    assert _availability_purposes(_as(clerk), room, day) == [SECRET]
    assert _availability_purposes(_as(section_head), room, day) == [SECRET]


def test_a_public_events_booking_still_shows_its_purpose_to_everyone(clerk, section_head, other_clerk):
    room, day, _booking = _private_event_with_room(clerk, section_head, visibility="public")
    assert _availability_purposes(_as(other_clerk), room, day) == [SECRET]


def test_the_booking_grid_and_the_booking_forms_busy_list_do_not_show_the_title(
    clerk, section_head, other_clerk
):
    room, day, _booking = _private_event_with_room(clerk, section_head)
    colleague = _as(other_clerk)
    grid = colleague.get("/booking/", {"kind": "room", "date": day.isoformat()}).content.decode()
    assert "第3会議室" in grid
    assert SECRET not in grid  # neither the block's text nor its tooltip
    assert "予定あり" in grid
    form = colleague.get(f"/booking/resources/{room.pk}/new", {"date": day.isoformat()}).content.decode()
    assert "10:00–11:00" in form
    assert SECRET not in form
    assert "予定あり" in form
    # The organiser still reads it on the grid.
    assert SECRET in _as(clerk).get("/booking/", {"kind": "room", "date": day.isoformat()}).content.decode()


def test_a_rooms_manager_reads_busy_in_the_booking_and_the_resources_list(clerk, section_head, it_admin):
    room, day, booking = _private_event_with_room(clerk, section_head)
    manager = _as(it_admin)  # IT administrators manage every resource
    response = manager.get(f"/api/v1/bookings/{booking.pk}")
    assert response.status_code == 200
    assert response.json()["purpose"] == "予定あり"
    listed = manager.get("/api/v1/bookings", {"resource": room.pk, "mine": "false"}).json()["results"]
    assert [b["purpose"] for b in listed] == ["予定あり"]
    page = manager.get(f"/booking/bookings/{booking.pk}").content.decode()
    assert SECRET not in page
    assert "予定あり" in page
    # The booker's own view is unchanged.
    assert _as(clerk).get(f"/api/v1/bookings/{booking.pk}").json()["purpose"] == SECRET


def test_a_manager_deciding_a_private_events_booking_reads_busy_in_the_answer(clerk, section_head, it_admin):
    room, day, booking = _private_event_with_room(clerk, section_head)
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.PENDING)
    approvals = _as(it_admin).get("/booking/approvals").content.decode()
    assert "第3会議室" in approvals
    assert SECRET not in approvals
    assert "予定あり" in approvals
    response = _as(it_admin).post(
        f"/api/v1/bookings/{booking.pk}/decision", {"action": "approve", "comment": ""},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["purpose"] == "予定あり"
