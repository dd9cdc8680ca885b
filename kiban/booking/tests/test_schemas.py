"""One schema per booking object: the API answers with `kiban.booking.schemas`, built by the serializers."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kiban.booking.models import Booking
from kiban.booking.schemas import BookingCreated, BookingOut
from kiban.booking.serializers import booking_out
from kiban.booking.tests.factories import CarFactory, LicenceFactory, ResourceFactory, next_weekday, tokyo
from kiban.core.schemas import dump

pytestmark = pytest.mark.django_db


def test_api_booking_is_the_schema_dump(client, clerk):
    room = ResourceFactory()
    day = next_weekday()
    client.force_login(clerk)
    created = client.post(
        "/api/v1/bookings",
        {"resource": room.pk, "start": tokyo(day, 10).isoformat(), "end": tokyo(day, 11).isoformat()},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    booking = Booking.objects.get(pk=created.json()["id"])
    expected = dump(booking_out(booking))
    assert set(created.json()) == set(BookingCreated.model_fields)
    assert created.json() == {**expected, "occurrences": [expected]}
    assert client.get(f"/api/v1/bookings/{booking.pk}").json() == expected
    assert expected["start"] == tokyo(day, 10).isoformat()  # Asia/Tokyo, as people read it


def test_a_car_booking_has_the_same_fields_with_the_trip_filled_in(client, clerk):
    car = CarFactory()
    LicenceFactory(staff=clerk)
    day = next_weekday()
    client.force_login(clerk)
    created = client.post(
        "/api/v1/bookings",
        {
            "resource": car.pk,
            "start": tokyo(day, 9).isoformat(),
            "end": tokyo(day, 12).isoformat(),
            "destination": "東部土木事務所",
            "driver": clerk.username,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    shown = client.get(f"/api/v1/bookings/{created.json()['id']}").json()
    assert set(shown) == set(BookingOut.model_fields)
    assert (shown["destination"], shown["driver"]) == ("東部土木事務所", clerk.username)


def test_booking_schema_refuses_a_field_it_does_not_declare():
    with pytest.raises(ValidationError, match="extra"):
        BookingOut.model_validate({**dict.fromkeys(BookingOut.model_fields), "colour": "red"})
