"""Demo data of this module for 架空県 (called by kiban.org.demo.load_demo after the organisation exists,
after the booking demo): for every section a weekly 課内会議 and a Monday 朝礼 with its members as
attendees (some meetings hold a meeting room for every week), and for people a realistic spread of single
events over the current and next month — 出張, 研修, 来客, 打合せ (public) and 休暇, 通院 (private).

Bounded work whatever the number of staff: personal events for the first PERSONAL_CAP people, attendees
capped per section; everything is written with bulk_create."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable

from django.db import transaction

from kiban.booking import actions as booking
from kiban.booking import queries as booking_queries
from kiban.calendar import fields
from kiban.calendar.actions import booking_ranges
from kiban.calendar.models import Attendee, Event
from kiban.core.recurrence import TOKYO
from kiban.core.wareki import holiday_name
from kiban.org.models import Membership

SEED = 20261126
PERSONAL_CAP = 3000
ATTENDEE_CAP = 30
ROOM_MEETINGS = 12

PUBLIC_EVENTS = [
    ("出張", "東部土木事務所", 9, 0, 8 * 60, "orange"),
    ("出張", "○○市役所", 13, 0, 4 * 60, "orange"),
    ("研修", "自治研修所", 9, 30, 7 * 60, "green"),
    ("来客対応", "本庁舎 応接室", 14, 0, 60, "blue"),
    ("係内打合せ", "執務室", 10, 0, 60, "blue"),
    ("業者打合せ", "本庁舎3階 打合せスペース", 15, 0, 90, "blue"),
    ("予算ヒアリング", "財政課", 13, 30, 90, "purple"),
    ("現地調査", "国道12号 ○○地区", 10, 0, 3 * 60, "orange"),
    ("議会対応", "県議会棟", 10, 0, 2 * 60, "red"),
]
PRIVATE_EVENTS = [("通院", "", 9, 0, 2 * 60), ("子の学校行事", "", 13, 0, 3 * 60)]
LEAVE = "年次休暇"


def _tokyo(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TOKYO)


def _event(organizer_id: int, title: str, start: dt.datetime, end: dt.datetime, **values) -> Event:
    event = Event(
        organizer_id=organizer_id,
        title=title,
        start=start,
        end=end,
        uid=f"{uuid.uuid4()}@kiban-demo",
        **values,
    )
    fields.refresh_window(event)
    return event


def _workdays(first: dt.date, last: dt.date) -> list[dt.date]:
    days = []
    day = first
    while day <= last:
        if day.weekday() < 5 and not holiday_name(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def load_demo(say: Callable[[str], None]) -> dict:
    rng = random.Random(SEED)
    today = dt.datetime.now(tz=TOKYO).date()
    first = today.replace(day=1)
    after_next = (first + dt.timedelta(days=62)).replace(day=1)
    last = after_next - dt.timedelta(days=1)
    until = _tokyo(after_next).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    workdays = _workdays(first, last)
    if not workdays:
        return {}

    sections: dict[int, list[tuple[int, bool, int]]] = {}
    for staff_id, department_id, is_head, rank in Membership.objects.filter(
        is_primary=True, staff__is_active=True
    ).values_list("staff_id", "department_id", "is_head", "rank"):
        sections.setdefault(department_id, []).append((staff_id, is_head, rank))
    if not sections:
        return {}
    say("予定を作成しています…")

    series: list[Event] = []
    series_attendees: list[list[int]] = []
    first_monday = first + dt.timedelta(days=(7 - first.weekday()) % 7)
    for department_id in sorted(sections):
        members = sorted(sections[department_id], key=lambda m: (not m[1], m[2], m[0]))
        head = members[0][0]
        others = [m[0] for m in members[1:]][:ATTENDEE_CAP]
        weekday = rng.randrange(1, 5)
        meeting_day = first + dt.timedelta(days=(weekday - first.weekday()) % 7)
        hour = rng.choice([10, 13, 15])
        series.append(
            _event(
                head, "課内会議", _tokyo(meeting_day, hour), _tokyo(meeting_day, hour + 1),
                rrule=f"FREQ=WEEKLY;UNTIL={until}", location="課内", color="purple",
                description="週次の課内会議です。各係から進捗を報告してください。",
            )
        )  # fmt: skip
        series_attendees.append(others)
        series.append(
            _event(
                head, "朝礼", _tokyo(first_monday, 8, 30), _tokyo(first_monday, 8, 45),
                rrule=f"FREQ=WEEKLY;BYDAY=MO;UNTIL={until}", location="執務室", color="gray",
            )
        )  # fmt: skip
        series_attendees.append(others)

    personal: list[Event] = []
    people = sorted(staff_id for members in sections.values() for staff_id, _h, _r in members)[:PERSONAL_CAP]
    for staff_id in people:
        for _ in range(rng.randint(2, 5)):
            title, where, hour, minute, minutes, colour = rng.choice(PUBLIC_EVENTS)
            day = rng.choice(workdays)
            start = _tokyo(day, hour, minute)
            personal.append(
                _event(
                    staff_id,
                    title,
                    start,
                    start + dt.timedelta(minutes=minutes),
                    location=where,
                    color=colour,
                )
            )
        if rng.random() < 0.35:
            title, where, hour, minute, minutes = rng.choice(PRIVATE_EVENTS)
            start = _tokyo(rng.choice(workdays), hour, minute)
            personal.append(
                _event(staff_id, title, start, start + dt.timedelta(minutes=minutes), visibility="private")
            )
        if rng.random() < 0.25:
            day = rng.choice(workdays)
            personal.append(
                _event(staff_id, LEAVE, _tokyo(day), _tokyo(day + dt.timedelta(days=1)), all_day=True,
                       visibility="private", color="green")
            )  # fmt: skip

    with transaction.atomic():
        Event.objects.bulk_create(series, batch_size=2000)
        Event.objects.bulk_create(personal, batch_size=2000)
        attendees = [
            Attendee(
                event=event, staff_id=staff_id, start=event.start, series_end=event.series_end,
                long_running=event.long_running,
                status=rng.choice(["accepted", "accepted", "accepted", "tentative", "needs-action"]),
            )
            for event, staff_ids in zip(series, series_attendees, strict=True)
            for staff_id in staff_ids
        ]  # fmt: skip
        Attendee.objects.bulk_create(attendees, batch_size=5000)
    rooms = _book_rooms([e for e in series if e.title == "課内会議"][:ROOM_MEETINGS])
    return {"events": len(series) + len(personal), "attendees": len(attendees), "event_rooms": rooms}


def _book_rooms(meetings: list[Event]) -> int:
    """Hold a meeting room for some weekly meetings, through the booking module (first free room)."""

    rooms = booking_queries.first_come_rooms()
    booked = 0
    for meeting in meetings:
        ranges = booking_ranges(meeting)
        for room in rooms:
            try:
                with transaction.atomic():
                    booking.reserve(
                        resource_ids=[room.pk], ranges=ranges, booked_by=meeting.organizer,
                        purpose=meeting.title, event_id=meeting.pk,
                    )  # fmt: skip
                    Event.objects.filter(pk=meeting.pk).update(location=room.name)
            except booking.BookingConflict:
                continue
            booked += 1
            break
    return booked
