from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count
from django.utils import timezone

from kiban.booking.models import AlcoholCheck, Booking, DriverLicence, FleetManager, Resource


@pytest.mark.django_db
def test_demo_has_rooms_cars_equipment_licensed_drivers_and_bookings(monkeypatch):
    from kiban.org import demo

    monkeypatch.setattr("kiban.core.modules.demo_loaders", lambda: ["kiban.booking.demo.load_demo"])
    counts = demo.load_demo(staff=300)

    kinds = dict(Resource.objects.values_list("kind").annotate(n=Count("id")))
    assert kinds == {"room": 12, "car": 8, "equipment": 7}
    assert set(Resource.objects.filter(policy="approval").values_list("name", flat=True)) == {
        "大会議室", "特別会議室", "東部保健所 研修室",
    }  # fmt: skip
    assert Resource.objects.filter(department__isnull=True).count() == 0
    today = timezone.localdate()
    assert DriverLicence.objects.filter(expires_on__lt=today).count() == 0
    assert DriverLicence.objects.filter(expires_on__lte=today + dt.timedelta(days=30)).count() == 1
    assert FleetManager.objects.filter(department__isnull=True).count() == 1
    assert counts["bookings"] == Booking.objects.count() > 100
    assert Booking.objects.filter(status="pending").exists()
    car_drivers = set(Booking.objects.filter(resource__kind="car").values_list("driver", flat=True))
    assert car_drivers <= set(DriverLicence.objects.values_list("staff", flat=True))
    assert sorted(AlcoholCheck.objects.values_list("kind", flat=True)) == ["after", "before"]
