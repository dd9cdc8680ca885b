"""Group schedule, free/busy, the meeting-time finder, holidays, iCalendar export and the private feed;
private events hidden in each."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest

from kiban.booking.models import Booking
from kiban.booking.tests.factories import ResourceFactory
from kiban.calendar.models import CalendarPolicy, FeedToken
from kiban.calendar.tests.factories import make_event, tokyo

pytestmark = pytest.mark.django_db


def test_group_schedule_lists_members_in_organisation_order_with_their_week(
    api_as, org_tree, section_head, clerk, other_clerk
):
    make_event(clerk, tokyo(2026, 11, 24, 10), title="窓口当番")
    make_event(section_head, tokyo(2026, 11, 23, 9), title="朝礼", rrule="FREQ=WEEKLY;BYDAY=MO,TH")
    make_event(other_clerk, tokyo(2026, 11, 24, 10), title="道路パトロール")
    response = api_as(other_clerk).get(
        "/api/v1/schedules/group", {"department": org_tree["jinji"].pk, "start": "2026-11-23", "days": 7}
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert [(r["username"], r["title"]) for r in data["rows"]] == [("100001", "課長"), ("100002", "主事")]
    assert [d["date"] for d in data["days"]] == [f"2026-11-{d}" for d in range(23, 30)]
    assert data["days"][0]["holiday"] == "勤労感謝の日"
    assert data["days"][5]["weekend"] is True
    head, clerk_row = data["rows"]
    assert [[o["title"] for o in day] for day in head["days"]] == [["朝礼"], [], [], ["朝礼"], [], [], []]
    assert [[o["title"] for o in day] for day in clerk_row["days"]] == [[], ["窓口当番"], [], [], [], [], []]


def test_group_schedule_shows_someone_elses_private_event_as_busy_only(api_as, org_tree, section_head, clerk):
    make_event(clerk, tokyo(2026, 11, 25, 13), title="通院", location="市民病院", visibility="private")
    data = (
        api_as(section_head)
        .get("/api/v1/schedules/group", {"department": org_tree["jinji"].pk, "start": "2026-11-23"})
        .json()
    )
    (occurrence,) = data["rows"][1]["days"][2]
    assert occurrence["title"] == "予定あり"
    assert set(occurrence) == {"id", "start", "end", "all_day", "visibility", "title"}
    assert "通院" not in str(data) and "市民病院" not in str(data)


def test_group_schedule_shows_standalone_bookings_as_busy_blocks(api_as, org_tree, section_head, clerk):
    room = ResourceFactory(name="第3会議室")
    Booking.objects.create(
        resource=room, start=tokyo(2026, 11, 26, 15), end=tokyo(2026, 11, 26, 16), booked_by=clerk,
        status=Booking.Status.CONFIRMED, purpose="面談",
    )  # fmt: skip
    data = (
        api_as(section_head)
        .get("/api/v1/schedules/group", {"department": org_tree["jinji"].pk, "start": "2026-11-23"})
        .json()
    )
    assert data["rows"][1]["bookings"][3] == [
        {"start": "2026-11-26T15:00:00+09:00", "end": "2026-11-26T16:00:00+09:00"}
    ]


def test_group_schedule_unknown_department_is_400(api_as, clerk):
    response = api_as(clerk).get("/api/v1/schedules/group", {"department": 999999})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("department:")


def test_freebusy_merges_busy_time_and_reveals_nothing_else(api_as, section_head, clerk, other_clerk):
    make_event(clerk, tokyo(2026, 12, 1, 9), tokyo(2026, 12, 1, 10), title="通院", visibility="private")
    make_event(clerk, tokyo(2026, 12, 1, 9, 30), tokyo(2026, 12, 1, 11), title="課内会議")
    declined = make_event(section_head, tokyo(2026, 12, 1, 14), attendees=[clerk])
    declined.attendees.update(status="declined")
    response = api_as(other_clerk).get(
        "/api/v1/freebusy",
        {"users": f"{clerk.username},{section_head.username}", "start": "2026-12-01", "end": "2026-12-02"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["users"] == [
        {"username": clerk.username, "busy": [{"start": "2026-12-01T09:00:00+09:00", "end": "2026-12-01T11:00:00+09:00"}]},
        {"username": section_head.username, "busy": [{"start": "2026-12-01T14:00:00+09:00", "end": "2026-12-01T15:00:00+09:00"}]},
    ]  # fmt: skip
    assert "通院" not in response.content.decode()


def test_freebusy_with_unknown_person_names_the_field(api_as, clerk):
    response = api_as(clerk).get(
        "/api/v1/freebusy", {"users": "nobody", "start": "2026-12-01", "end": "2026-12-02"}
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("users:")


def test_meeting_finder_skips_busy_time_weekends_holidays_and_a_busy_room(api_as, section_head, clerk):
    room = ResourceFactory(name="第1会議室")
    # Friday 2026-11-20: both busy in the morning, the room taken 13:00–15:00.
    make_event(clerk, tokyo(2026, 11, 20, 8, 30), tokyo(2026, 11, 20, 12))
    make_event(section_head, tokyo(2026, 11, 20, 11), tokyo(2026, 11, 20, 12, 30))
    Booking.objects.create(
        resource=room, start=tokyo(2026, 11, 20, 13), end=tokyo(2026, 11, 20, 15), booked_by=clerk,
        status=Booking.Status.CONFIRMED,
    )  # fmt: skip
    response = api_as(clerk).get(
        "/api/v1/freebusy/find",
        {
            "users": f"{clerk.username},{section_head.username}",
            "duration": 90,
            "start": "2026-11-20T00:00:00+09:00",
            "end": "2026-11-25T00:00:00+09:00",
            "resource": room.pk,
            "limit": 4,
        },
    )
    assert response.status_code == 200, response.content
    starts = [s["start"] for s in response.json()["slots"]]
    # 12:30–14:00 clashes with the room; 15:00 and 15:30 fit before 17:15; the weekend and Monday
    # 2026-11-23 (勤労感謝の日) are skipped; Tuesday starts at 8:30.
    assert starts == [
        "2026-11-20T15:00:00+09:00",
        "2026-11-20T15:30:00+09:00",
        "2026-11-24T08:30:00+09:00",
        "2026-11-24T09:00:00+09:00",
    ]


def test_meeting_finder_follows_the_working_hours_policy(api_as, clerk):
    CalendarPolicy.objects.create(work_start=dt.time(9), work_end=dt.time(12))
    response = api_as(clerk).get(
        "/api/v1/freebusy/find",
        {"users": clerk.username, "duration": 120, "start": "2026-11-24", "end": "2026-11-26", "limit": 3},
    )
    assert [s["start"] for s in response.json()["slots"]] == [
        "2026-11-24T09:00:00+09:00",
        "2026-11-24T09:30:00+09:00",
        "2026-11-24T10:00:00+09:00",
    ]


def test_holidays_include_substitute_and_citizens_holidays(api_as, clerk):
    data = api_as(clerk).get("/api/v1/holidays", {"year": 2025}).json()
    assert {"date": "2025-11-24", "name": "勤労感謝の日 振替休日"} in data
    assert len(data) == 19
    citizens = api_as(clerk).get("/api/v1/holidays", {"year": 2026}).json()
    assert {"date": "2026-09-22", "name": "国民の休日"} in citizens
    assert api_as(clerk).get("/api/v1/holidays", {"year": 1800}).status_code == 400


def test_own_calendar_export_has_timezone_recurrence_exceptions_and_all_day(api_as, clerk, section_head):
    series = make_event(clerk, tokyo(2026, 11, 2, 9), title="朝礼", rrule="FREQ=WEEKLY;BYDAY=MO",
                        exdates=["2026-11-09T00:00:00Z"], attendees=[section_head])  # fmt: skip
    make_event(
        clerk, tokyo(2026, 11, 24), tokyo(2026, 11, 25), title="年次休暇", all_day=True, visibility="private"
    )
    response = api_as(clerk).get("/api/v1/calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    cal = icalendar.Calendar.from_ical(response.content)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Asia/Tokyo"]
    events = {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}
    morning = events["朝礼"]
    assert str(morning["UID"]) == series.uid
    assert morning["DTSTART"].params["TZID"] == "Asia/Tokyo"
    assert morning["RRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=MO"
    assert [d.dt for d in morning["EXDATE"].dts] == [tokyo(2026, 11, 9, 9)]
    assert str(morning["ATTENDEE"]) == f"mailto:{section_head.email}"
    leave = events["年次休暇"]
    assert leave["DTSTART"].to_ical() == b"20261124"
    assert leave["DTEND"].to_ical() == b"20261125"
    assert str(leave["CLASS"]) == "PRIVATE"


def test_export_contains_only_ones_own_calendar(api_as, clerk, other_clerk):
    make_event(other_clerk, tokyo(2026, 11, 25, 10), title="他課の予定")
    make_event(clerk, tokyo(2026, 11, 25, 10), title="自分の予定")
    body = api_as(clerk).get("/api/v1/calendar.ics").content.decode()
    assert "自分の予定" in body and "他課の予定" not in body


def test_private_feed_serves_the_calendar_without_session_and_rotates(api_as, client, clerk):
    make_event(clerk, tokyo(2026, 11, 25, 10), title="自分の予定")
    url = api_as(clerk).post("/api/v1/calendar/feed-token").json()["url"]
    path = url.split("://", 1)[-1].split("/", 1)[1]
    feed = client.get("/" + path)
    assert feed.status_code == 200
    assert "自分の予定" in feed.content.decode()
    token = path.rsplit("/", 1)[1][:-4]
    assert FeedToken.objects.get(staff=clerk).token_hash != token
    assert api_as(clerk).get("/api/v1/calendar/feed-token").json()["exists"] is True
    api_as(clerk).post("/api/v1/calendar/feed-token")
    assert client.get("/" + path).status_code == 404
    assert client.get("/calendar/feed/wrong-token.ics").status_code == 404


def test_group_schedule_leaves_out_a_declined_invitation(api_as, org_tree, section_head, clerk, other_clerk):
    meeting = make_event(
        other_clerk, tokyo(2026, 11, 24, 10), title="道路課との協議", attendees=[clerk, section_head]
    )
    meeting.attendees.filter(staff=clerk).update(status="declined")
    data = (
        api_as(section_head)
        .get("/api/v1/schedules/group", {"department": org_tree["jinji"].pk, "start": "2026-11-23"})
        .json()
    )
    head, clerk_row = data["rows"]
    assert [o["title"] for o in head["days"][1]] == ["道路課との協議"]
    assert clerk_row["days"][1] == []


def test_grid_occurrences_carry_events_whose_other_fields_load_on_access(clerk):
    from kiban.calendar.queries import events_for

    event = make_event(clerk, tokyo(2026, 11, 24, 10), title="窓口当番", description="午前の当番")
    (occ,) = events_for([clerk.pk], tokyo(2026, 11, 24), tokyo(2026, 11, 25), clerk)
    assert occ.event.pk == event.pk
    assert occ.event == event
    assert (occ.event.title, occ.event.color, occ.event.organizer_username) == (
        "窓口当番",
        "blue",
        clerk.username,
    )
    assert occ.event.description == "午前の当番"
    assert occ.event.uid == event.uid
    assert occ.event.organizer == clerk


def test_meeting_finder_skips_the_lunch_hour_of_the_policy(api_as, clerk):
    params = {
        "users": clerk.username,
        "duration": 60,
        "start": "2026-11-24T10:00:00+09:00",
        "end": "2026-11-24T15:00:00+09:00",
        "limit": 20,
    }
    hours = [s["start"][11:16] for s in api_as(clerk).get("/api/v1/freebusy/find", params).json()["slots"]]
    # The default policy: lunch 12:00–13:00, nothing proposed over it.
    assert hours == ["10:00", "10:30", "11:00", "13:00", "13:30", "14:00"]
    CalendarPolicy.objects.create(lunch_start=dt.time(11, 45), lunch_end=dt.time(12, 45))
    hours = [s["start"][11:16] for s in api_as(clerk).get("/api/v1/freebusy/find", params).json()["slots"]]
    assert hours == ["10:00", "10:30", "13:00", "13:30", "14:00"]
    CalendarPolicy.objects.update(lunch_start=None, lunch_end=None)
    hours = [s["start"][11:16] for s in api_as(clerk).get("/api/v1/freebusy/find", params).json()["slots"]]
    assert hours == ["10:00", "10:30", "11:00", "11:30", "12:00", "12:30", "13:00", "13:30", "14:00"]


def test_meeting_finder_skips_closed_days(api_as, clerk):
    from kiban.core.models import ClosedDay

    for day in (29, 30, 31):
        ClosedDay.objects.get_or_create(name="年末年始", month=12, day=day, year=None)
    params = {
        "users": clerk.username,
        "duration": 240,
        "start": "2026-12-28",
        "end": "2027-01-08",
        "limit": 3,
    }
    slots = api_as(clerk).get("/api/v1/freebusy/find", params).json()["slots"]
    # Four hours fit only after lunch (13:00–17:00); 12/29–12/31 are closed, 1/1 元日, then the weekend.
    assert [s["start"] for s in slots] == [
        "2026-12-28T13:00:00+09:00",
        "2027-01-04T13:00:00+09:00",
        "2027-01-05T13:00:00+09:00",
    ]
