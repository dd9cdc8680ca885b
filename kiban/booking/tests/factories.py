from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from kiban.booking.models import Booking, DriverLicence, FleetManager, Resource

TOKYO = dt.timezone(dt.timedelta(hours=9))


def tokyo(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TOKYO)


def next_weekday(days_ahead: int = 7) -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    kind = Resource.Kind.ROOM
    name = factory.Sequence(lambda n: f"第{n}会議室")
    location = "本庁舎3階"
    capacity = 10


class CarFactory(ResourceFactory):
    kind = Resource.Kind.CAR
    name = factory.Sequence(lambda n: f"公用車{n}号")
    location = "本庁舎駐車場"
    capacity = 5
    seats = 5
    plate_number = factory.Sequence(lambda n: f"架空 300 さ {1000 + n}")
    vehicle_type = "プリウス"
    fuel_type = "ハイブリッド"


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    resource = factory.SubFactory(ResourceFactory)
    start = factory.LazyFunction(lambda: tokyo(next_weekday(), 10))
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(hours=1))
    purpose = "打合せ"
    status = Booking.Status.CONFIRMED


class LicenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DriverLicence

    expires_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=700))
    number_last4 = "1234"


class FleetManagerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FleetManager
