"""The booking API: resource objects, bad input, others' bookings, approval."""

from __future__ import annotations

import pytest

from kiban.booking.models import Booking, Resource
from kiban.booking.tests.factories import BookingFactory, CarFactory, ResourceFactory, next_weekday, tokyo
from kiban.notifications.models import Notification

pytestmark = pytest.mark.django_db


def post(client, path, body):
    return client.post(path, body, content_type="application/json")


def test_resources_are_listed_by_kind_with_the_contract_fields(client, clerk, org_tree):
    room = ResourceFactory(name="第1会議室", location="本庁舎3階", capacity=12, department=org_tree["soumu"])
    CarFactory(name="公用車1号")
    ResourceFactory(name="廃止室", active=False)
    client.force_login(clerk)

    response = client.get("/api/v1/resources?kind=room")

    assert response.status_code == 200
    assert response.json()["more"] is False
    assert response.json()["results"] == [
        {
            "id": room.pk, "kind": "room", "name": "第1会議室", "location": "本庁舎3階", "capacity": 12,
            "policy": "first_come", "notes": "", "department": org_tree["soumu"].pk, "photo_url": None,
            "plate_number": None, "vehicle_type": None, "seats": None, "fuel_type": None,
        }
    ]  # fmt: skip
    assert [r["name"] for r in client.get("/api/v1/resources?kind=car").json()["results"]] == ["公用車1号"]
    assert client.get("/api/v1/resources?kind=boat").status_code == 400


def test_availability_shows_busy_blocks_with_booker_and_purpose(client, clerk, other_clerk):
    room = ResourceFactory()
    day = next_weekday()
    booking = BookingFactory(
        resource=room,
        booked_by=other_clerk,
        purpose="道路計画打合せ",
        start=tokyo(day, 10),
        end=tokyo(day, 11),
    )
    BookingFactory(
        resource=room,
        booked_by=other_clerk,
        start=tokyo(day, 13),
        end=tokyo(day, 14),
        status=Booking.Status.CANCELLED,
    )
    client.force_login(clerk)

    response = client.get(
        f"/api/v1/resources/{room.pk}/availability",
        {"start": tokyo(day, 0).isoformat(), "end": tokyo(day, 23).isoformat()},
    )

    assert response.json()["busy"] == [
        {
            "start": tokyo(day, 10).isoformat(), "end": tokyo(day, 11).isoformat(), "status": "confirmed",
            "booking": booking.pk, "booked_by": "500001", "booked_by_name": "渡邊 健", "purpose": "道路計画打合せ",
        }
    ]  # fmt: skip


BAD = [
    ({"resource": 0}, "resource"),
    ({"resource": 999999}, "resource"),
    ({"start": "tomorrow"}, "start"),
    ({"end": None}, "end"),
    ({"end": "START"}, "end"),
    ({"purpose": "x" * 201}, "purpose"),
    ({"rrule": "FREQ=SOMETIMES"}, "rrule"),
    ({"rrule": "FREQ=DAILY;COUNT=500"}, "rrule"),
    ({"occurrences": [{"start": "2030-01-01T10:00:00+09:00"}]}, "occurrences.0.end"),
    ({"resource": "retired"}, "resource"),
]


@pytest.mark.parametrize(("change", "field"), BAD)
def test_bad_booking_input_is_400_naming_the_field_and_writes_nothing(client, clerk, change, field):
    room = ResourceFactory()
    retired = ResourceFactory(active=False)
    day = next_weekday()
    body = {"resource": room.pk, "start": tokyo(day, 10).isoformat(), "end": tokyo(day, 11).isoformat()}
    body.update(change)
    if body["resource"] == "retired":
        body["resource"] = retired.pk
    if body.get("end") == "START":
        body["end"] = body["start"]
    body = {k: v for k, v in body.items() if v is not None}
    client.force_login(clerk)

    response = post(client, "/api/v1/bookings", body)

    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith(f"{field}: ")
    assert Booking.objects.count() == 0


def test_naive_times_are_read_as_asia_tokyo(client, clerk):
    room = ResourceFactory()
    day = next_weekday()
    client.force_login(clerk)

    response = post(
        client, "/api/v1/bookings", {"resource": room.pk, "start": f"{day}T10:00", "end": f"{day}T11:00"}
    )

    assert response.status_code == 201
    assert Booking.objects.get().start == tokyo(day, 10)


def test_another_persons_booking_is_404_to_read_change_and_cancel(client, clerk, other_clerk):
    booking = BookingFactory(booked_by=other_clerk, purpose="協議")
    client.force_login(clerk)
    path = f"/api/v1/bookings/{booking.pk}"

    assert client.get(path).status_code == 404
    assert client.patch(path, {"purpose": "横取り"}, content_type="application/json").status_code == 404
    assert client.delete(path).status_code == 404
    booking.refresh_from_db()
    assert (booking.purpose, booking.status) == ("協議", "confirmed")


def test_booker_moves_a_booking_but_not_onto_another(client, clerk, other_clerk):
    room = ResourceFactory()
    day = next_weekday()
    mine = BookingFactory(resource=room, booked_by=clerk, start=tokyo(day, 9), end=tokyo(day, 10))
    BookingFactory(resource=room, booked_by=other_clerk, start=tokyo(day, 13), end=tokyo(day, 14))
    client.force_login(clerk)
    path = f"/api/v1/bookings/{mine.pk}"

    refused = client.patch(
        path,
        {"start": tokyo(day, 13, 30).isoformat(), "end": tokyo(day, 14, 30).isoformat()},
        content_type="application/json",
    )
    moved = client.patch(
        path,
        {"start": tokyo(day, 11).isoformat(), "end": tokyo(day, 12).isoformat(), "purpose": "移動"},
        content_type="application/json",
    )

    assert refused.status_code == 409
    assert refused.json()["conflicts"] == [
        {"start": tokyo(day, 13).isoformat(), "end": tokyo(day, 14).isoformat()}
    ]
    assert moved.status_code == 200
    assert (moved.json()["start"], moved.json()["purpose"]) == (tokyo(day, 11).isoformat(), "移動")


def test_cancelling_frees_the_slot_at_once(client, clerk, other_clerk):
    room = ResourceFactory()
    day = next_weekday()
    mine = BookingFactory(resource=room, booked_by=clerk, start=tokyo(day, 9), end=tokyo(day, 10))
    client.force_login(clerk)

    assert client.delete(f"/api/v1/bookings/{mine.pk}").status_code == 204
    client.force_login(other_clerk)
    response = post(
        client,
        "/api/v1/bookings",
        {"resource": room.pk, "start": tokyo(day, 9).isoformat(), "end": tokyo(day, 10).isoformat()},
    )

    assert response.status_code == 201
    assert list(Booking.objects.order_by("id").values_list("status", flat=True)) == ["cancelled", "confirmed"]


def test_approval_resource_booking_waits_for_the_owning_section(
    client, clerk, other_clerk, section_head, org_tree
):
    hall = ResourceFactory(name="大会議室", policy=Resource.Policy.APPROVAL, department=org_tree["jinji"])
    day = next_weekday()
    client.force_login(other_clerk)
    created = post(
        client,
        "/api/v1/bookings",
        {"resource": hall.pk, "start": tokyo(day, 13).isoformat(), "end": tokyo(day, 15).isoformat()},
    )
    assert created.status_code == 201
    assert created.json()["status"] == "pending"
    booking_id = created.json()["id"]
    assert set(
        Notification.objects.filter(kind="booking.approval").values_list("recipient__username", flat=True)
    ) == {"100001", "100002"}

    # The booker cannot approve their own booking; someone with no link to it does not see it.
    assert post(client, f"/api/v1/bookings/{booking_id}/decision", {"action": "approve"}).status_code == 403
    client.force_login(section_head)
    approved = post(
        client, f"/api/v1/bookings/{booking_id}/decision", {"action": "approve", "comment": "了解"}
    )
    again = post(client, f"/api/v1/bookings/{booking_id}/decision", {"action": "reject"})

    assert approved.status_code == 200
    assert approved.json()["status"] == "confirmed"
    assert again.status_code == 400
    note = Notification.objects.get(recipient=other_clerk)
    assert (note.kind, note.title) == ("booking.approval", "大会議室の予約が承認されました")


def test_outsider_cannot_decide_or_see_a_pending_booking(client, other_clerk, it_admin, org_tree):
    from kiban.accounts.tests.factories import StaffFactory

    hall = ResourceFactory(policy=Resource.Policy.APPROVAL, department=org_tree["jinji"])
    booking = BookingFactory(resource=hall, booked_by=other_clerk, status=Booking.Status.PENDING)
    client.force_login(StaffFactory(username="900001"))

    response = post(client, f"/api/v1/bookings/{booking.pk}/decision", {"action": "approve"})

    assert response.status_code == 404
    booking.refresh_from_db()
    assert booking.status == "pending"
    assert post(client, f"/api/v1/bookings/{booking.pk}/decision", {"action": "maybe"}).status_code == 400


def test_my_bookings_list_holds_mine_only(client, clerk, other_clerk):
    mine = BookingFactory(booked_by=clerk)
    BookingFactory(booked_by=other_clerk)
    client.force_login(clerk)

    assert [b["id"] for b in client.get("/api/v1/bookings?mine=1").json()["results"]] == [mine.pk]


def test_api_requires_sign_in(client):
    assert client.get("/api/v1/resources").status_code == 401


def test_rrule_until_in_utc_is_understood(client, clerk):
    room = ResourceFactory()
    client.force_login(clerk)
    first = tokyo(next_weekday(7), 10)
    until = (first + __import__("datetime").timedelta(days=14, hours=1)).astimezone(
        __import__("datetime").UTC
    )

    response = post(client, "/api/v1/bookings", {
        "resource": room.pk, "start": first.isoformat(), "end": first.replace(hour=11).isoformat(),
        "rrule": f"FREQ=WEEKLY;UNTIL={until:%Y%m%dT%H%M%SZ}",
    })  # fmt: skip

    assert response.status_code == 201
    assert len(response.json()["occurrences"]) == 3


def test_moving_an_approved_booking_asks_for_approval_again(client, other_clerk, org_tree):
    hall = ResourceFactory(policy=Resource.Policy.APPROVAL, department=org_tree["jinji"])
    day = next_weekday()
    booking = BookingFactory(resource=hall, booked_by=other_clerk, start=tokyo(day, 10), end=tokyo(day, 11))
    client.force_login(other_clerk)

    response = client.patch(
        f"/api/v1/bookings/{booking.pk}",
        {"start": tokyo(day, 15).isoformat(), "end": tokyo(day, 16).isoformat()},
        content_type="application/json",
    )

    assert response.json()["status"] == "pending"
    purpose_only = client.patch(
        f"/api/v1/bookings/{booking.pk}", {"purpose": "題名"}, content_type="application/json"
    )
    assert purpose_only.json()["status"] == "pending"


def test_booking_paths_are_in_the_openapi_schema(client, clerk):
    client.force_login(clerk)

    paths = client.get("/api/v1/openapi.json").json()["paths"]

    assert {
        "/api/v1/resources", "/api/v1/resources/{resource_id}/availability", "/api/v1/bookings",
        "/api/v1/bookings/{booking_id}", "/api/v1/bookings/{booking_id}/decision",
        "/api/v1/bookings/{booking_id}/alcohol-checks", "/api/v1/bookings/{booking_id}/key-handover",
        "/api/v1/bookings/{booking_id}/return", "/api/v1/drivers/{username}/licence",
        "/api/v1/fleet/alcohol-checks", "/api/v1/fleet/alcohol-checks.csv",
    } <= set(paths)  # fmt: skip


def test_the_owning_section_lists_all_bookings_of_its_resource(client, section_head, other_clerk, org_tree):
    from kiban.accounts.tests.factories import StaffFactory

    room = ResourceFactory(department=org_tree["jinji"])
    theirs = BookingFactory(resource=room, booked_by=other_clerk)
    path = f"/api/v1/bookings?resource={room.pk}&mine=0"
    client.force_login(section_head)
    managed = client.get(path).json()
    client.force_login(StaffFactory(username="900002"))
    outsider = client.get(path).json()

    assert [b["id"] for b in managed["results"]] == [theirs.pk]
    assert outsider == {"results": [], "more": False}
