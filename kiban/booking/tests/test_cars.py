"""Official cars: destination and driver, licences, alcohol checks before the key, the fleet log."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kiban.booking import fleet
from kiban.booking.models import AlcoholCheck, Booking
from kiban.booking.tests.factories import (
    BookingFactory,
    CarFactory,
    FleetManagerFactory,
    LicenceFactory,
    next_weekday,
    tokyo,
)
from kiban.core.jobs import run_pending_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def car(org_tree):
    # 総務部 keeps the cars: its members (the section head's 人事課 is below it, not in it) hand over keys.
    return CarFactory(name="公用車1号", department=org_tree["jinji"])


def car_body(car, day, **extra) -> dict:
    body = {
        "resource": car.pk, "start": tokyo(day, 9).isoformat(), "end": tokyo(day, 17).isoformat(),
        "purpose": "現地調査", "destination": "東部土木事務所", "driver": "500001", "passengers": ["100002"],
    }  # fmt: skip
    body.update(extra)
    return {k: v for k, v in body.items() if v is not None}


def post(client, path, body):
    return client.post(path, body, content_type="application/json")


def test_car_booking_records_destination_driver_and_passengers(client, car, clerk, other_clerk):
    LicenceFactory(staff=other_clerk)
    client.force_login(clerk)
    day = next_weekday()

    response = post(client, "/api/v1/bookings", car_body(car, day))

    assert response.status_code == 201
    data = response.json()
    assert (data["destination"], data["driver"], data["passengers"]) == (
        "東部土木事務所",
        "500001",
        ["100002"],
    )
    assert data["status"] == "confirmed"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"destination": ""}, "destination"),
        ({"driver": None}, "driver"),
        ({"driver": "no-such-person"}, "driver"),
        ({"passengers": ["nobody"]}, "passengers"),
    ],
)
def test_car_booking_without_destination_or_driver_is_refused(client, car, clerk, other_clerk, extra, field):
    LicenceFactory(staff=other_clerk)
    client.force_login(clerk)

    response = post(client, "/api/v1/bookings", car_body(car, next_weekday(), **extra))

    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{field}: ")
    assert Booking.objects.count() == 0


def test_driver_without_valid_licence_on_the_booking_date_cannot_book(client, car, clerk, other_clerk):
    day = next_weekday(10)
    LicenceFactory(staff=other_clerk, expires_on=day - dt.timedelta(days=1))
    client.force_login(clerk)

    response = post(client, "/api/v1/bookings", car_body(car, day))

    assert response.status_code == 400
    assert response.json()["detail"].startswith("driver: ")
    assert "有効期限" in response.json()["detail"]
    assert Booking.objects.count() == 0


def test_driver_without_registered_licence_cannot_book(client, car, clerk, other_clerk):
    client.force_login(clerk)

    response = post(client, "/api/v1/bookings", car_body(car, next_weekday()))

    assert response.status_code == 400
    assert "運転免許が登録されていません" in response.json()["detail"]


@pytest.fixture
def car_booking(car, clerk, other_clerk):
    LicenceFactory(staff=other_clerk)
    day = timezone.localdate()
    return BookingFactory(
        resource=car, booked_by=other_clerk, driver=other_clerk, destination="西部保健所",
        start=tokyo(day, 0, 0), end=tokyo(day, 23, 59),
    )  # fmt: skip


def check_body(**extra) -> dict:
    return {"kind": "before", "method": "face_to_face", "result": "negative", "reading": "0.000", **extra}


def test_key_handover_is_refused_without_a_pre_drive_check(client, car_booking, section_head):
    client.force_login(section_head)

    response = post(client, f"/api/v1/bookings/{car_booking.pk}/key-handover", {})

    assert response.status_code == 409
    assert "運転前のアルコールチェックが記録されていない" in response.json()["detail"]
    car_booking.refresh_from_db()
    assert car_booking.key_handed_over_at is None


def test_key_handover_is_refused_after_a_positive_check(client, car_booking, section_head):
    client.force_login(section_head)
    assert (
        post(
            client,
            f"/api/v1/bookings/{car_booking.pk}/alcohol-checks",
            check_body(result="positive", reading="0.200"),
        ).status_code
        == 201
    )

    response = post(client, f"/api/v1/bookings/{car_booking.pk}/key-handover", {})

    assert response.status_code == 409
    assert "酒気帯びが確認された" in response.json()["detail"]
    car_booking.refresh_from_db()
    assert car_booking.key_handed_over_at is None


def test_key_is_handed_over_after_a_negative_check_and_the_return_records_mileage(
    client, car_booking, section_head, other_clerk
):
    client.force_login(section_head)
    check = post(client, f"/api/v1/bookings/{car_booking.pk}/alcohol-checks", check_body(method="video"))
    assert check.status_code == 201
    assert (check.json()["checker"], check.json()["driver"], check.json()["method"]) == (
        "100001",
        "500001",
        "video",
    )

    handed = post(client, f"/api/v1/bookings/{car_booking.pk}/key-handover", {"odometer_start": 12000})
    assert handed.status_code == 200
    assert handed.json()["key_handed_over_at"] is not None
    assert post(client, f"/api/v1/bookings/{car_booking.pk}/key-handover", {}).status_code == 409

    client.force_login(other_clerk)
    returned = post(
        client, f"/api/v1/bookings/{car_booking.pk}/return",
        {"odometer_end": 12086, "fuel_added": "20.5", "notes": "異常なし"},
    )  # fmt: skip
    assert returned.status_code == 200
    assert (returned.json()["mileage"], returned.json()["fuel_added"]) == (86, 20.5)


def test_a_reading_at_the_legal_threshold_cannot_be_recorded_as_negative(client, car_booking, section_head):
    client.force_login(section_head)

    response = post(client, f"/api/v1/bookings/{car_booking.pk}/alcohol-checks", check_body(reading="0.150"))

    assert response.status_code == 400
    assert response.json()["detail"].startswith("result: ")
    assert AlcoholCheck.objects.count() == 0


def test_a_driver_cannot_check_themself(client, car_booking, other_clerk, org_tree):
    FleetManagerFactory(staff=other_clerk, department=None)
    client.force_login(other_clerk)

    response = post(client, f"/api/v1/bookings/{car_booking.pk}/alcohol-checks", check_body())

    assert response.status_code == 400
    assert response.json()["detail"].startswith("checker: ")
    assert AlcoholCheck.objects.count() == 0


def test_someone_outside_the_owning_section_cannot_record_checks(
    client, car_booking, it_admin, clerk, org_tree
):
    client.force_login(clerk)  # not the driver, not the booker, a member of the owning section? no: of 人事課
    car_booking.resource.department = org_tree["douro"]
    car_booking.resource.save()

    response = post(client, f"/api/v1/bookings/{car_booking.pk}/alcohol-checks", check_body())

    assert response.status_code == 404
    assert AlcoholCheck.objects.count() == 0


def record_checks(booking, checker):
    fleet.do_record_alcohol_check(
        checker,
        booking,
        kind="before",
        method="face_to_face",
        result="negative",
        reading=Decimal("0"),
        notes='=HYPERLINK("x")',
    )
    fleet.do_record_alcohol_check(
        checker, booking, kind="after", method="video", result="negative", reading=Decimal("0.010")
    )


def test_alcohol_checks_are_seen_by_driver_checker_and_fleet_manager_only(
    client, car_booking, section_head, clerk, other_clerk, it_admin
):
    record_checks(car_booking, section_head)
    FleetManagerFactory(staff=it_admin, department=None)
    path = f"/api/v1/bookings/{car_booking.pk}/alcohol-checks"

    seen = {}
    for person in (other_clerk, section_head, it_admin, clerk):
        client.force_login(person)
        response = client.get(path)
        seen[person.username] = (
            response.status_code,
            [c["kind"] for c in response.json()] if response.status_code == 200 else None,
        )

    assert seen == {
        "500001": (200, ["before", "after"]),
        "100001": (200, ["before", "after"]),
        "100009": (200, ["before", "after"]),
        "100002": (404, None),
    }


def test_fleet_log_is_for_fleet_managers_and_exports_csv_for_excel(
    client, car_booking, section_head, clerk, it_admin
):
    record_checks(car_booking, section_head)
    today = timezone.localdate().isoformat()
    client.force_login(clerk)
    assert client.get(f"/api/v1/fleet/alcohol-checks?from={today}&to={today}").status_code == 404

    FleetManagerFactory(staff=clerk, department=None)
    log = client.get(f"/api/v1/fleet/alcohol-checks?from={today}&to={today}")
    csv = client.get(f"/api/v1/fleet/alcohol-checks.csv?from={today}&to={today}")

    assert [(c["kind"], c["driver"], c["checker"]) for c in log.json()["results"]] == [
        ("before", "500001", "100001"),
        ("after", "500001", "100001"),
    ]
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    assert csv.content.startswith(b"\xef\xbb\xbf")
    lines = csv.content.decode("utf-8-sig").split("\r\n")
    assert (
        lines[0]
        == "確認日時,区分,運転者職員番号,運転者氏名,確認者職員番号,確認者氏名,確認方法,検知器使用,測定値(mg/L),結果,公用車,登録番号,行先,備考"
    )
    assert lines[1].split(",")[1:11] == [
        "運転前",
        "500001",
        "渡邊 健",
        "100001",
        "髙橋 一郎",
        "対面",
        "有",
        "0.000",
        "酒気帯びなし",
        "公用車1号",
    ]
    assert lines[1].endswith(',西部保健所,"\'=HYPERLINK(""x"")"')
    assert lines[2].split(",")[1] == "運転後"
    assert len([line for line in lines if line]) == 3


def test_fleet_manager_of_one_department_sees_only_its_cars(
    client, car_booking, section_head, clerk, org_tree
):
    record_checks(car_booking, section_head)
    FleetManagerFactory(staff=clerk, department=org_tree["douro"])
    today = timezone.localdate().isoformat()
    client.force_login(clerk)

    assert client.get(f"/api/v1/fleet/alcohol-checks?from={today}&to={today}").json() == {
        "results": [],
        "more": False,
    }


def aged_check(booking, checker, days: int) -> AlcoholCheck:
    return AlcoholCheck.objects.create(
        booking=booking, driver=booking.driver, checker=checker, kind="before", method="face_to_face",
        reading=Decimal("0"), result="negative", checked_at=timezone.now() - dt.timedelta(days=days),
    )  # fmt: skip


def test_retention_job_deletes_checks_only_after_more_than_a_year(car_booking, section_head):
    aged_check(car_booking, section_head, 365 + 32)
    recent = aged_check(car_booking, section_head, 365 + 20)
    younger = aged_check(car_booking, section_head, 300)

    assert fleet.prune_alcohol_checks() == 1  # kept a year and a month
    assert sorted(AlcoholCheck.objects.values_list("pk", flat=True)) == [recent.pk, younger.pk]
    assert fleet.prune_alcohol_checks(keep=dt.timedelta(days=30)) == 1  # never less than the legal year
    assert list(AlcoholCheck.objects.values_list("pk", flat=True)) == [younger.pk]


def test_database_refuses_to_change_an_alcohol_check(car_booking, section_head):
    from django.db import DatabaseError, transaction

    check = aged_check(car_booking, section_head, 1)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AlcoholCheck.objects.filter(pk=check.pk).update(result="positive")

    check.refresh_from_db()
    assert check.result == "negative"


def test_licence_registry_is_kept_by_fleet_managers(client, clerk, other_clerk):
    client.force_login(clerk)
    body = {"expires_on": "2030-03-31", "number_last4": "4321"}
    assert (
        client.put("/api/v1/drivers/500001/licence", body, content_type="application/json").status_code == 404
    )

    FleetManagerFactory(staff=clerk, department=None)
    response = client.put("/api/v1/drivers/500001/licence", body, content_type="application/json")

    assert response.status_code == 200
    assert (response.json()["expires_on"], response.json()["number_last4"], response.json()["valid"]) == (
        "2030-03-31",
        "4321",
        True,
    )
    client.force_login(other_clerk)
    assert client.get("/api/v1/drivers/500001/licence").json()["checked_by"] == "100002"


def test_periodic_retention_job_runs(car_booking, section_head):
    from kiban.booking.jobs import prune_old_alcohol_checks

    aged_check(car_booking, section_head, 800)
    prune_old_alcohol_checks.enqueue()
    run_pending_jobs()

    assert AlcoholCheck.objects.count() == 0


def test_key_is_refused_after_a_positive_check_even_if_a_later_one_is_negative(
    client, car_booking, section_head
):
    client.force_login(section_head)
    path = f"/api/v1/bookings/{car_booking.pk}"
    post(client, f"{path}/alcohol-checks", check_body(result="positive", reading="0.180"))
    post(client, f"{path}/alcohol-checks", check_body())

    response = post(client, f"{path}/key-handover", {})

    assert response.status_code == 409
    assert "酒気帯びが確認された" in response.json()["detail"]


def test_key_is_refused_when_the_pre_drive_check_is_stale(client, car_booking, section_head):
    from kiban.booking.models import FleetPolicy

    FleetPolicy.objects.create(pre_drive_check_valid_hours=2)
    AlcoholCheck.objects.create(
        booking=car_booking, driver=car_booking.driver, checker=section_head, kind="before", method="face_to_face",
        reading=Decimal("0"), result="negative", checked_at=timezone.now() - dt.timedelta(hours=2, minutes=1),
    )  # fmt: skip
    client.force_login(section_head)

    response = post(client, f"/api/v1/bookings/{car_booking.pk}/key-handover", {})

    assert response.status_code == 409
    assert "2時間以上経っています" in response.json()["detail"]


def test_retention_follows_the_policy_but_never_below_a_year(car_booking, section_head):
    from kiban.booking.models import FleetPolicy

    FleetPolicy.objects.create(alcohol_check_retention_days=700)
    kept = aged_check(car_booking, section_head, 500)
    aged_check(car_booking, section_head, 701)

    assert fleet.prune_alcohol_checks() == 1
    assert list(AlcoholCheck.objects.values_list("pk", flat=True)) == [kept.pk]


def test_alcohol_log_csv_neutralises_every_text_cell_a_spreadsheet_would_run(
    client, car_booking, section_head, clerk, other_clerk
):
    import csv
    import io

    # A name from the HR file, a car's registration, a destination and notes typed by people: any of them
    # can start a formula, also behind a tab, a line break, a space or in full width.
    other_clerk.family_name = "=cmd|' /C calc'!A0"
    other_clerk.save(update_fields=["family_name"])
    car_booking.resource.plate_number = "@SUM(1+1)"
    car_booking.resource.save(update_fields=["plate_number"])
    car_booking.destination = '\r=HYPERLINK("http://x")'
    car_booking.save(update_fields=["destination"])
    for kind, notes in [("before", "\t=1+1"), ("after", "　＝SUM(A1:A9)")]:
        fleet.do_record_alcohol_check(
            section_head, car_booking, kind=kind, method="face_to_face", result="negative",
            reading=Decimal("0.010"), notes=notes,
        )  # fmt: skip
    FleetManagerFactory(staff=clerk, department=None)
    client.force_login(clerk)
    today = timezone.localdate().isoformat()
    response = client.get(f"/api/v1/fleet/alcohol-checks.csv?from={today}&to={today}")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 3
    for row in rows[1:]:
        driver_name, reading, plate, destination, notes = row[3], row[8], row[11], row[12], row[13]
        assert driver_name == "'=cmd|' /C calc'!A0 健"
        assert reading == "0.010"  # a number stays a number
        assert plate == "'@SUM(1+1)"
        assert destination == '\'\r=HYPERLINK("http://x")'
    assert [row[13] for row in rows[1:]] == ["'\t=1+1", "'　＝SUM(A1:A9)"]
    # No cell of the file starts a formula.
    assert not [cell for row in rows[1:] for cell in row if cell.lstrip(" \u3000")[:1] in "=+@＝＋＠\t\r"]
