"""The interface the calendar uses: rooms held for an event, moved with it, released when it goes."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.apps import apps

from kiban.booking import actions
from kiban.booking.models import AlcoholCheck, Booking, Resource
from kiban.booking.tests.factories import (
    BookingFactory,
    CarFactory,
    LicenceFactory,
    ResourceFactory,
    next_weekday,
    tokyo,
)

pytestmark = pytest.mark.django_db


def make_event(organizer, start, end):
    # Through the app registry: booking code does not import the calendar (calendar → booking, one way).
    Event = apps.get_model("calendar", "Event")
    return Event.objects.create(
        organizer=organizer, title="課内会議", start=start, end=end, uid=str(uuid.uuid4())
    )


def test_event_holds_a_room_and_moving_it_moves_the_booking(clerk, other_clerk):
    room = ResourceFactory()
    day = next_weekday()
    event = make_event(clerk, tokyo(day, 10), tokyo(day, 11))
    actions.reserve(
        resource_ids=[room.pk], ranges=[(tokyo(day, 10), tokyo(day, 11))], booked_by=clerk, event_id=event.pk
    )

    actions.rebook_event(
        event.pk,
        [(tokyo(day, 14), tokyo(day, 15))],
        resource_ids=[room.pk],
        booked_by=clerk,
        purpose="課内会議",
    )

    assert list(Booking.objects.filter(event=event, status="confirmed").values_list("start", flat=True)) == [
        tokyo(day, 14)
    ]
    # The old slot is free at once.
    actions.reserve(resource_ids=[room.pk], ranges=[(tokyo(day, 10), tokyo(day, 11))], booked_by=other_clerk)


def test_moving_an_event_onto_a_taken_slot_changes_nothing(clerk, other_clerk):
    room = ResourceFactory()
    day = next_weekday()
    event = make_event(clerk, tokyo(day, 10), tokyo(day, 11))
    (held,) = actions.reserve(
        resource_ids=[room.pk], ranges=[(tokyo(day, 10), tokyo(day, 11))], booked_by=clerk, event_id=event.pk
    )
    BookingFactory(resource=room, booked_by=other_clerk, start=tokyo(day, 14), end=tokyo(day, 15))

    with pytest.raises(actions.BookingConflict) as refused:
        actions.rebook_event(
            event.pk, [(tokyo(day, 14, 30), tokyo(day, 15, 30))], resource_ids=[room.pk], booked_by=clerk
        )

    assert refused.value.conflicts == [(tokyo(day, 14), tokyo(day, 15))]
    held.refresh_from_db()
    assert (held.status, held.start) == ("confirmed", tokyo(day, 10))


def test_editing_an_event_without_moving_it_keeps_an_approved_booking(clerk, org_tree, section_head):
    hall = ResourceFactory(policy=Resource.Policy.APPROVAL, department=org_tree["soumu"])
    day = next_weekday()
    event = make_event(clerk, tokyo(day, 10), tokyo(day, 11))
    (held,) = actions.reserve(
        resource_ids=[hall.pk], ranges=[(tokyo(day, 10), tokyo(day, 11))], booked_by=clerk, event_id=event.pk
    )
    Booking.objects.filter(pk=held.pk).update(status="confirmed")

    kept = actions.rebook_event(
        event.pk,
        [(tokyo(day, 10), tokyo(day, 11))],
        resource_ids=[hall.pk],
        booked_by=clerk,
        purpose="新しい件名",
    )

    assert [b.pk for b in kept] == [held.pk]
    held.refresh_from_db()
    assert (held.status, held.purpose) == ("confirmed", "新しい件名")


def test_releasing_from_an_occurrence_on_frees_the_later_ones(clerk):
    room = ResourceFactory()
    day = next_weekday()
    event = make_event(clerk, tokyo(day, 10), tokyo(day, 11))
    ranges = [
        (tokyo(day + dt.timedelta(days=7 * i), 10), tokyo(day + dt.timedelta(days=7 * i), 11))
        for i in range(3)
    ]
    actions.reserve(resource_ids=[room.pk], ranges=ranges, booked_by=clerk, event_id=event.pk)

    assert actions.release_event_bookings(event.pk, from_start=ranges[1][0]) == 2

    assert list(Booking.objects.filter(event=event).order_by("start").values_list("status", flat=True)) == [
        "confirmed",
        "cancelled",
        "cancelled",
    ]


def test_deleting_an_event_keeps_a_cars_alcohol_checks(clerk, other_clerk, section_head, org_tree):
    from kiban.booking import fleet

    car = CarFactory(department=org_tree["jinji"])
    LicenceFactory(staff=other_clerk)
    day = next_weekday()
    event = make_event(other_clerk, tokyo(day, 9), tokyo(day, 17))
    (trip,) = actions.reserve(
        resource_ids=[car.pk], ranges=[(tokyo(day, 9), tokyo(day, 17))], booked_by=other_clerk, event_id=event.pk,
        car={"destination": "東部", "driver": other_clerk},
    )  # fmt: skip
    fleet.do_record_alcohol_check(
        section_head, trip, kind="before", method="video", result="negative", detector_used=False
    )

    actions.release_event_bookings(event.pk)
    event.delete()

    trip.refresh_from_db()
    assert (trip.event_id, trip.status, AlcoholCheck.objects.filter(booking=trip).count()) == (
        None,
        "cancelled",
        1,
    )
