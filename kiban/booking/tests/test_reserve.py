"""Reserving: all or nothing, recurring series, pending holds, cancellation frees, the database refuses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from kiban.booking import actions, queries
from kiban.booking.models import Booking, Resource
from kiban.booking.tests.factories import BookingFactory, ResourceFactory, next_weekday, tokyo
from kiban.core.wareki import wareki

pytestmark = pytest.mark.django_db
ON_POSTGRESQL = "postgresql" in settings.DATABASES["default"]["ENGINE"]


def test_second_booking_of_same_slot_is_refused_naming_the_first(clerk, other_clerk):
    room = ResourceFactory()
    day = next_weekday()
    actions.reserve(resource_ids=[room.pk], ranges=[(tokyo(day, 10), tokyo(day, 11))], booked_by=clerk)

    with pytest.raises(actions.BookingConflict) as refused:
        actions.reserve(
            resource_ids=[room.pk], ranges=[(tokyo(day, 10, 30), tokyo(day, 12))], booked_by=other_clerk
        )

    assert refused.value.conflicts == [(tokyo(day, 10), tokyo(day, 11))]
    assert list(Booking.objects.values_list("booked_by", flat=True)) == [clerk.pk]


def test_back_to_back_bookings_do_not_clash(clerk):
    room = ResourceFactory()
    day = next_weekday()
    actions.reserve(resource_ids=[room.pk], ranges=[(tokyo(day, 10), tokyo(day, 11))], booked_by=clerk)
    actions.reserve(resource_ids=[room.pk], ranges=[(tokyo(day, 11), tokyo(day, 12))], booked_by=clerk)

    assert Booking.objects.filter(resource=room).count() == 2


def test_recurring_booking_colliding_on_one_date_is_refused_whole(client, clerk, other_clerk):
    room = ResourceFactory()
    first = next_weekday(7)
    while first.weekday() != 0:
        first += dt.timedelta(days=1)
    taken_day = first + dt.timedelta(days=14)  # the third Monday
    BookingFactory(
        resource=room, booked_by=other_clerk, start=tokyo(taken_day, 9, 30), end=tokyo(taken_day, 10, 30)
    )
    client.force_login(clerk)

    response = client.post(
        "/api/v1/bookings",
        {
            "resource": room.pk, "start": tokyo(first, 9).isoformat(), "end": tokyo(first, 10).isoformat(),
            "rrule": "FREQ=WEEKLY;COUNT=6", "purpose": "定例会",
        },
        content_type="application/json",
    )  # fmt: skip

    assert response.status_code == 409
    assert response.json()["conflicts"] == [
        {"start": tokyo(taken_day, 9, 30).isoformat(), "end": tokyo(taken_day, 10, 30).isoformat()}
    ]
    assert f"{wareki(taken_day)} 09:30–10:30" in response.json()["detail"]  # the date as people read it
    assert Booking.objects.filter(booked_by=clerk).count() == 0


def test_recurring_booking_books_every_occurrence_as_one_series(client, clerk):
    room = ResourceFactory()
    first = next_weekday(7)
    client.force_login(clerk)

    response = client.post(
        "/api/v1/bookings",
        {
            "resource": room.pk, "start": tokyo(first, 9).isoformat(), "end": tokyo(first, 10).isoformat(),
            "rrule": "FREQ=DAILY;COUNT=3",
        },
        content_type="application/json",
    )  # fmt: skip

    assert response.status_code == 201
    data = response.json()
    assert [o["start"] for o in data["occurrences"]] == [
        tokyo(first + dt.timedelta(days=i), 9).isoformat() for i in range(3)
    ]
    assert Booking.objects.filter(series=data["series"]).count() == 3


def test_pending_booking_holds_the_slot(clerk, other_clerk, org_tree):
    hall = ResourceFactory(name="大会議室", policy=Resource.Policy.APPROVAL, department=org_tree["soumu"])
    day = next_weekday()
    (pending,) = actions.reserve(
        resource_ids=[hall.pk], ranges=[(tokyo(day, 13), tokyo(day, 15))], booked_by=other_clerk
    )
    assert pending.status == Booking.Status.PENDING

    with pytest.raises(actions.BookingConflict):
        actions.reserve(resource_ids=[hall.pk], ranges=[(tokyo(day, 14), tokyo(day, 16))], booked_by=clerk)


@pytest.mark.parametrize("status", [Booking.Status.CANCELLED, Booking.Status.REJECTED])
def test_cancelled_or_rejected_booking_frees_the_slot_at_once(clerk, other_clerk, status):
    room = ResourceFactory()
    day = next_weekday()
    (first,) = actions.reserve(
        resource_ids=[room.pk], ranges=[(tokyo(day, 10), tokyo(day, 11))], booked_by=clerk
    )
    if status == Booking.Status.CANCELLED:
        actions.do_cancel_booking(clerk, first)
    else:
        Booking.objects.filter(pk=first.pk).update(status=status)

    (second,) = actions.reserve(
        resource_ids=[room.pk], ranges=[(tokyo(day, 10), tokyo(day, 11))], booked_by=other_clerk
    )

    assert second.status == Booking.Status.CONFIRMED
    assert queries.busy_ranges([room.pk], tokyo(day, 0), tokyo(day, 23)) == {
        room.pk: [(tokyo(day, 10), tokyo(day, 11))]
    }


def test_booking_two_resources_is_all_or_nothing(clerk, other_clerk):
    room, projector = ResourceFactory(), ResourceFactory(kind=Resource.Kind.EQUIPMENT, name="プロジェクター")
    day = next_weekday()
    BookingFactory(resource=projector, booked_by=other_clerk, start=tokyo(day, 10), end=tokyo(day, 11))

    with pytest.raises(actions.BookingConflict):
        actions.reserve(
            resource_ids=[room.pk, projector.pk], ranges=[(tokyo(day, 10), tokyo(day, 11))], booked_by=clerk
        )

    assert Booking.objects.filter(resource=room).count() == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"resource_ids": []}, "resource"),
        ({"resource_ids": [999999]}, "resource"),
        ({"ranges": []}, "ranges"),
        ({"ranges": "reversed"}, "end"),
        ({"resource_ids": "retired"}, "resource"),
    ],
)
def test_bad_reserve_input_raises_validation_error_naming_the_field(clerk, kwargs, field):
    room = ResourceFactory()
    retired = ResourceFactory(active=False)
    day = next_weekday()
    args = {"resource_ids": [room.pk], "ranges": [(tokyo(day, 10), tokyo(day, 11))], "booked_by": clerk}
    args.update(kwargs)
    if args["ranges"] == "reversed":
        args["ranges"] = [(tokyo(day, 11), tokyo(day, 10))]
    if args["resource_ids"] == "retired":
        args["resource_ids"] = [retired.pk]

    with pytest.raises(ValidationError) as refused:
        actions.reserve(**args)

    assert list(refused.value.message_dict) == [field]
    assert Booking.objects.count() == 0


def test_standalone_bookings_are_listed_for_the_bookers_calendar(clerk, other_clerk):
    room = ResourceFactory()
    day = next_weekday()
    mine = BookingFactory(resource=room, booked_by=clerk, start=tokyo(day, 9), end=tokyo(day, 10))
    BookingFactory(
        resource=room,
        booked_by=clerk,
        start=tokyo(day, 10),
        end=tokyo(day, 11),
        status=Booking.Status.CANCELLED,
    )
    BookingFactory(resource=room, booked_by=other_clerk, start=tokyo(day, 11), end=tokyo(day, 12))

    assert queries.bookings_of([clerk.pk], tokyo(day, 0), tokyo(day, 23, 59)) == [mine]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the exclusion constraint is PostgreSQL's")
def test_database_itself_refuses_an_overlapping_booking_on_postgresql(clerk):
    room = ResourceFactory()
    day = next_weekday()
    BookingFactory(resource=room, booked_by=clerk, start=tokyo(day, 10), end=tokyo(day, 11))

    with pytest.raises(IntegrityError, match="booking_no_overlap"), transaction.atomic():
        Booking.objects.create(resource=room, booked_by=clerk, start=tokyo(day, 10, 59), end=tokyo(day, 12))
    # Cancelled rows do not hold the slot, so the constraint lets them overlap.
    Booking.objects.create(
        resource=room,
        booked_by=clerk,
        start=tokyo(day, 10),
        end=tokyo(day, 11),
        status=Booking.Status.CANCELLED,
    )


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the exclusion constraint is PostgreSQL's")
def test_a_race_lost_at_the_constraint_is_a_conflict_naming_the_winner(clerk, other_clerk, monkeypatch):
    """The check before the insert saw nothing (the winner had not committed yet): the constraint refuses
    the insert and the conflict still names the winner's time."""
    room = ResourceFactory()
    day = next_weekday()
    BookingFactory(resource=room, booked_by=other_clerk, start=tokyo(day, 10), end=tokyo(day, 11))
    real = actions.find_conflicts
    calls = []

    def blind_first(*args, **kwargs):
        calls.append(1)
        return [] if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(actions, "find_conflicts", blind_first)

    with pytest.raises(actions.BookingConflict) as refused:
        actions.reserve(
            resource_ids=[room.pk], ranges=[(tokyo(day, 10, 30), tokyo(day, 11, 30))], booked_by=clerk
        )

    assert refused.value.conflicts == [(tokyo(day, 10), tokyo(day, 11))]
    assert Booking.objects.filter(booked_by=clerk).count() == 0
