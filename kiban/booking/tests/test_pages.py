"""Booking pages render for the right people, book through the form, and carry no inline script or style."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from kiban.booking.models import Booking, Resource
from kiban.booking.tests.factories import (
    BookingFactory,
    CarFactory,
    FleetManagerFactory,
    LicenceFactory,
    ResourceFactory,
    next_weekday,
    tokyo,
)
from kiban.core.wareki import wareki

pytestmark = pytest.mark.django_db


def assert_no_inline(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert " style=" not in html


@pytest.mark.parametrize("view", ["day", "week"])
def test_grid_shows_bookings_with_booker_and_purpose_and_wareki_header(client, clerk, other_clerk, view):
    room = ResourceFactory(name="第1会議室")
    day = next_weekday()
    BookingFactory(
        resource=room, booked_by=other_clerk, purpose="道路協議", start=tokyo(day, 10), end=tokyo(day, 11, 30)
    )
    client.force_login(clerk)

    response = client.get(f"/booking/?kind=room&view={view}&date={day.isoformat()}")

    html = response.content.decode()
    assert response.status_code == 200
    assert "第1会議室" in html
    assert "10:00–11:30" in html and "渡邊 健" in html and "道路協議" in html
    assert "令和" in html
    assert_no_inline(html)
    if view == "day":
        assert 'class="bk-busy gs-13 ge-19' in html  # 10:00 is quarter 13 from 07:00; 11:30 ends at 19


def test_grid_marks_holidays(client, clerk):
    ResourceFactory()
    client.force_login(clerk)

    html = client.get("/booking/?kind=room&date=2027-01-01").content.decode()

    assert "元日" in html


def test_htmx_navigation_returns_the_grid_only(client, clerk):
    ResourceFactory(name="第2会議室")
    client.force_login(clerk)

    response = client.get("/booking/?kind=room", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="bk-grid")

    assert "第2会議室" in response.content.decode()
    assert "<html" not in response.content.decode()


def test_booking_through_the_form_and_a_clash_is_explained(client, clerk, other_clerk):
    room = ResourceFactory()
    day = next_weekday()
    BookingFactory(resource=room, booked_by=other_clerk, start=tokyo(day, 10), end=tokyo(day, 11))
    client.force_login(clerk)
    path = f"/booking/resources/{room.pk}/new"
    assert client.get(f"{path}?date={day}&start=13:00").status_code == 200

    clash = client.post(
        path, {"date": day.isoformat(), "start_time": "10:30", "end_time": "11:30", "purpose": "打合せ"}
    )
    made = client.post(
        path,
        {
            "date": day.isoformat(),
            "start_time": "13:00",
            "end_time": "14:00",
            "purpose": "打合せ",
            "repeat": "WEEKLY",
            "repeat_count": "2",
        },
    )

    assert clash.status_code == 200
    # The clash names the time as every page does (和暦), not as 2026-12-10.
    assert f"その時間は既に予約されています: {wareki(day)} 10:00–11:00" in clash.content.decode()
    assert made.status_code == 302
    assert list(Booking.objects.filter(booked_by=clerk).values_list("start", flat=True)) == [
        tokyo(day, 13),
        tokyo(day + dt.timedelta(days=7), 13),
    ]


def test_car_form_needs_destination_and_names_the_field(client, clerk):
    car = CarFactory()
    LicenceFactory(staff=clerk)
    client.force_login(clerk)
    day = next_weekday()

    response = client.post(
        f"/booking/resources/{car.pk}/new",
        {"date": day.isoformat(), "start_time": "09:00", "end_time": "12:00", "driver": "100002"},
    )

    assert "公用車には行先が必要です。" in response.content.decode()
    assert Booking.objects.count() == 0


def test_my_bookings_and_cancel_by_htmx(client, clerk):
    booking = BookingFactory(booked_by=clerk, purpose="係会議")
    client.force_login(clerk)
    assert "係会議" in client.get("/booking/mine").content.decode()

    response = client.post(f"/booking/bookings/{booking.pk}/cancel", HTTP_HX_REQUEST="true")

    assert 'class="status-cancelled"' in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == "cancelled"


def test_approval_queue_lists_pending_bookings_of_the_owning_section(
    client, section_head, other_clerk, org_tree
):
    hall = ResourceFactory(name="大会議室", policy=Resource.Policy.APPROVAL, department=org_tree["jinji"])
    booking = BookingFactory(
        resource=hall, booked_by=other_clerk, status=Booking.Status.PENDING, purpose="説明会"
    )
    client.force_login(section_head)
    assert "説明会" in client.get("/booking/approvals").content.decode()

    client.post(f"/booking/bookings/{booking.pk}/decision", {"action": "approve", "next": "approvals"})

    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_others_cannot_open_a_booking_or_the_fleet_pages(client, clerk, other_clerk):
    booking = BookingFactory(booked_by=other_clerk)
    client.force_login(clerk)

    assert client.get(f"/booking/bookings/{booking.pk}").status_code == 404
    assert client.post(f"/booking/bookings/{booking.pk}/cancel").status_code == 404
    assert client.get("/booking/fleet").status_code == 404
    assert client.get("/booking/fleet/licences").status_code == 404


def test_car_trip_through_the_pages(client, section_head, other_clerk, org_tree):
    car = CarFactory(department=org_tree["jinji"])
    LicenceFactory(staff=other_clerk)
    today = timezone.localdate()
    booking = BookingFactory(
        resource=car,
        booked_by=other_clerk,
        driver=other_clerk,
        destination="西部保健所",
        start=tokyo(today, 0),
        end=tokyo(today, 23),
    )
    client.force_login(section_head)
    path = f"/booking/bookings/{booking.pk}"

    refused = client.post(f"{path}/key-handover", follow=True)
    assert "運転前のアルコールチェックが記録されていないため" in refused.content.decode()
    client.post(
        f"{path}/alcohol-check",
        {
            "kind": "before",
            "method": "face_to_face",
            "detector_used": "on",
            "reading": "0.000",
            "result": "negative",
        },
    )
    client.post(f"{path}/key-handover")
    client.force_login(other_clerk)
    client.post(f"{path}/return", {"odometer_start": "100", "odometer_end": "142", "fuel_added": "10"})

    booking.refresh_from_db()
    assert (booking.key_handed_over_at is not None, booking.mileage) == (True, 42)
    html = client.get(path).content.decode()
    assert "走行 42 km" in html and "酒気帯びなし" in html
    assert_no_inline(html)


def test_fleet_manager_sees_log_and_licences(client, clerk, other_clerk):
    FleetManagerFactory(staff=clerk, department=None)
    LicenceFactory(staff=other_clerk, expires_on=timezone.localdate() + dt.timedelta(days=5))
    client.force_login(clerk)

    log = client.get("/booking/fleet")
    licences = client.get("/booking/fleet/licences")
    saved = client.post(
        "/booking/fleet/licences", {"username": "100002", "expires_on": "2031-01-31", "number_last4": "0001"}
    )

    assert log.status_code == 200 and "alcohol-checks.csv?from=" in log.content.decode()
    assert "まもなく期限" in licences.content.decode()
    assert saved.status_code == 302
    assert clerk.licence.expires_on == dt.date(2031, 1, 31)


def test_week_grid_costs_the_same_queries_for_many_rooms_and_bookings(
    client, clerk, other_clerk, django_assert_max_num_queries
):
    day = next_weekday()
    day -= dt.timedelta(days=day.weekday())  # a Monday: five days of bookings in one week
    rooms = [ResourceFactory() for _ in range(12)]
    for i, room in enumerate(rooms):
        for d in range(5):
            BookingFactory(
                resource=room,
                booked_by=other_clerk if i % 2 else clerk,
                start=tokyo(day + dt.timedelta(days=d), 9),
                end=tokyo(day + dt.timedelta(days=d), 10),
            )
    client.force_login(clerk)

    client.get("/booking/")  # the first page of a session also records the device session
    # The grid: resources, bookings with their bookers, memberships, the pending count; the shell: session,
    # user, the notifications badge.
    with django_assert_max_num_queries(7):
        response = client.get(f"/booking/?kind=room&view=week&date={day.isoformat()}")

    assert response.content.decode().count('class="bk-busy') == 60


def test_licence_register_breadcrumb_leads_only_to_pages_the_reader_may_open(client, clerk, it_admin):
    client.force_login(it_admin)
    html = client.get("/booking/fleet/licences").content.decode()
    crumbs = re.search(r'<nav class="crumbs">(.*?)</nav>', html, re.S).group(1)
    links = re.findall(r'href="([^"]+)"', crumbs)
    assert links == ["/booking/?kind=car"]
    assert [client.get(link.replace("&amp;", "&")).status_code for link in links] == [200]
    # A fleet manager also reads the alcohol-check log: the crumb leads there too.
    FleetManagerFactory(staff=clerk, department=None)
    client.force_login(clerk)
    html = client.get("/booking/fleet/licences").content.decode()
    crumbs = re.search(r'<nav class="crumbs">(.*?)</nav>', html, re.S).group(1)
    links = re.findall(r'href="([^"]+)"', crumbs)
    assert links == ["/booking/?kind=car", "/booking/fleet"]
    assert [client.get(link).status_code for link in links] == [200, 200]
