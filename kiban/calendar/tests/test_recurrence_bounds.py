"""Recurrence bombs (issue 9 item 2): rules denser than hourly are refused on every path, RDATE/EXDATE lists
are bounded, an expansion of one series is capped, and occurrences do not repeat the series' lists."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from kiban.booking.models import Booking
from kiban.booking.tests.factories import ResourceFactory
from kiban.calendar.models import Event
from kiban.calendar.tests.factories import make_event, tokyo
from kiban.core import recurrence

pytestmark = pytest.mark.django_db

BOMB = "FREQ=HOURLY;BYMINUTE=" + ",".join(map(str, range(60))) + ";BYSECOND=" + ",".join(map(str, range(60)))
# The densest rule accepted: every hour, every day.
WORST = "FREQ=HOURLY"


def _week_rdates(count: int) -> list[str]:
    base = tokyo(2026, 11, 23, 0)
    return [recurrence.iso(base + dt.timedelta(minutes=10 * i + 5)) for i in range(count)]


@pytest.mark.parametrize(
    "rule",
    [
        BOMB,
        "FREQ=HOURLY;BYMINUTE=0,30",
        "FREQ=DAILY;BYHOUR=" + ",".join(map(str, range(24))) + ";BYMINUTE=0,15",
        "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=" + ",".join(map(str, range(0, 60, 2))),
        "FREQ=HOURLY;BYSECOND=0,1",
    ],
)
def test_rule_denser_than_hourly_is_refused_by_the_api_naming_rrule(api_as, clerk, rule):
    response = api_as(clerk).post(
        "/api/v1/events",
        {"title": "爆弾", "start": "2026-11-23T09:00:00+09:00", "rrule": rule},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert "rrule" in response.json()["detail"]
    assert "1日24回まで" in response.json()["detail"]
    assert not Event.objects.exists()


def test_hourly_and_daily_lists_up_to_24_a_day_are_accepted():
    assert recurrence.normalize_rrule("FREQ=HOURLY") == "FREQ=HOURLY"
    assert recurrence.normalize_rrule("FREQ=HOURLY;INTERVAL=2;BYMINUTE=0,30") is not None
    assert recurrence.normalize_rrule("FREQ=DAILY;BYHOUR=9,12,15;BYMINUTE=0,20,40") is not None
    with pytest.raises(recurrence.TooDense):
        recurrence.normalize_rrule("FREQ=HOURLY;INTERVAL=2;BYMINUTE=0,20,40")


def test_event_form_refuses_a_rule_denser_than_hourly(api_as, clerk):
    response = api_as(clerk).post(
        "/calendar/events/new/",
        {"title": "爆弾", "start_date": "2026-11-23", "start_time": "09:00", "end_date": "2026-11-23",
         "end_time": "10:00", "repeat": "custom", "rrule_text": BOMB, "visibility": "public", "color": "blue"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "繰り返しは1日24回までです" in response.content.decode()
    assert not Event.objects.exists()


def test_room_booking_refuses_a_rule_denser_than_hourly(api_as, clerk):
    room = ResourceFactory(name="第1会議室")
    response = api_as(clerk).post(
        "/api/v1/bookings",
        {"resource": room.pk, "start": "2026-11-23T09:00:00+09:00", "end": "2026-11-23T09:00:01+09:00",
         "purpose": "爆弾", "rrule": BOMB},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 400, response.content
    assert "rrule" in response.json()["detail"]
    assert not Booking.objects.exists()


def test_ics_import_of_a_rule_denser_than_hourly_is_refused_naming_the_line(api_as, clerk):
    body = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:bomb@x\r\n"
        "DTSTART:20261123T000000Z\r\nDTEND:20261123T000001Z\r\nSUMMARY:爆弾\r\n"
        f"RRULE:{BOMB}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("bomb.ics", body.encode(), content_type="text/calendar")
    response = api_as(clerk).post("/api/v1/calendar/import", {"file": upload})
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert "RRULE" in detail and "4行目" in detail
    assert not Event.objects.exists()


def test_more_than_500_rdates_are_refused_by_the_api(api_as, clerk):
    response = api_as(clerk).post(
        "/api/v1/events",
        {"title": "多すぎ", "start": "2026-11-23T09:00:00+09:00", "rdates": _week_rdates(501)},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert "rdates" in response.json()["detail"]
    assert not Event.objects.exists()


def test_one_expansion_of_a_series_is_capped():
    start = tokyo(2026, 1, 1, 0)
    starts = recurrence.occurrence_starts(
        WORST, start, dt.timedelta(minutes=30), start, start + dt.timedelta(days=400)
    )
    assert len(starts) == recurrence.MAX_PER_WINDOW
    assert starts[0] == start and starts[-1] == start + dt.timedelta(hours=recurrence.MAX_PER_WINDOW - 1)


def test_occurrences_in_the_api_do_not_repeat_the_series_rdates(api_as, clerk):
    event = make_event(
        clerk, tokyo(2026, 11, 23, 9), tokyo(2026, 11, 23, 9, 5), title="点検", rdates=_week_rdates(500)
    )
    response = api_as(clerk).get(
        "/api/v1/events", {"start": "2026-11-23T00:00:00+09:00", "end": "2026-11-30T00:00:00+09:00"}
    )
    assert response.status_code == 200
    occurrences = response.json()
    assert len(occurrences) == 501
    assert all("rdates" not in o and "exdates" not in o for o in occurrences)
    assert len(response.content) < 600_000
    series = api_as(clerk).get(f"/api/v1/events/{event.pk}").json()
    assert len(series["rdates"]) == 500


def test_worst_accepted_series_renders_a_colleagues_week_in_bounded_size_and_time(
    api_as, org_tree, section_head, clerk
):
    """The worst a colleague can store: an hourly series plus 500 RDATEs in the same week."""
    make_event(
        clerk, tokyo(2026, 1, 5, 0), tokyo(2026, 1, 5, 0, 30), title="毎時", rrule=WORST,
        rdates=_week_rdates(500),
    )  # fmt: skip
    client = api_as(section_head)
    began = time.perf_counter()
    api = client.get(
        "/api/v1/schedules/group", {"department": org_tree["jinji"].pk, "start": "2026-11-23", "days": 7}
    )
    page = client.get("/calendar/group/", {"department": org_tree["jinji"].pk, "date": "2026-11-23"})
    elapsed = time.perf_counter() - began
    assert api.status_code == 200 and page.status_code == 200
    clerk_row = next(r for r in api.json()["rows"] if r["username"] == clerk.username)
    # An occurrence crossing midnight shows on both days: count the occurrences, not the cells.
    assert len({o["start"] for day in clerk_row["days"] for o in day}) == 7 * 24 + 500
    assert len(api.content) < 1_000_000
    assert len(page.content) < 3_000_000
    assert elapsed < 30
