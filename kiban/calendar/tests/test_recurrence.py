"""Expansion (dateutil, wall-clock in the series' zone) against RFC 5545's examples, checked through
recurring-ical-events and, where the RFC lists them, against the dates printed in the RFC."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from kiban.calendar import ics
from kiban.calendar.models import Event
from kiban.calendar.queries import expand
from kiban.core import recurrence

NY = ZoneInfo("America/New_York")
UTC = dt.UTC

# (name, DTSTART local New York, extra lines) — RFC 5545 section 3.8.5.3 "Examples".
RFC_EXAMPLES = [
    ("daily for 10 occurrences", "19970902T090000", "RRULE:FREQ=DAILY;COUNT=10"),
    ("daily until December 24, 1997", "19970902T090000", "RRULE:FREQ=DAILY;UNTIL=19971224T000000Z"),
    ("every other day", "19970902T090000", "RRULE:FREQ=DAILY;INTERVAL=2"),
    ("every 10 days, 5 occurrences", "19970902T090000", "RRULE:FREQ=DAILY;INTERVAL=10;COUNT=5"),
    ("every day in January for 3 years", "19980101T090000",
     "RRULE:FREQ=YEARLY;UNTIL=20000131T140000Z;BYMONTH=1;BYDAY=SU,MO,TU,WE,TH,FR,SA"),
    ("weekly for 10 occurrences", "19970902T090000", "RRULE:FREQ=WEEKLY;COUNT=10"),
    ("weekly on Tuesday and Thursday for five weeks", "19970902T090000",
     "RRULE:FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH"),
    ("every other week on Monday, Wednesday and Friday", "19970901T090000",
     "RRULE:FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR"),
    ("monthly on the first Friday for 10 occurrences", "19970905T090000", "RRULE:FREQ=MONTHLY;COUNT=10;BYDAY=1FR"),
    ("every other month on the first and last Sunday", "19970907T090000",
     "RRULE:FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU"),
    ("monthly on the second-to-last Monday for 6 months", "19970922T090000", "RRULE:FREQ=MONTHLY;COUNT=6;BYDAY=-2MO"),
    ("monthly on the third-to-the-last day", "19970928T090000", "RRULE:FREQ=MONTHLY;BYMONTHDAY=-3"),
    ("monthly on the 2nd and 15th for 10 occurrences", "19970902T090000",
     "RRULE:FREQ=MONTHLY;COUNT=10;BYMONTHDAY=2,15"),
    ("yearly in June and July for 10 occurrences", "19970610T090000", "RRULE:FREQ=YEARLY;COUNT=10;BYMONTH=6,7"),
    ("every 20th Monday of the year", "19970519T090000", "RRULE:FREQ=YEARLY;BYDAY=20MO"),
    ("Monday of week number 20", "19970512T090000", "RRULE:FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO"),
    ("every Friday the 13th", "19970902T090000",
     "EXDATE;TZID=America/New_York:19970902T090000\nRRULE:FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13"),
    ("the third instance of Tu, We or Th for 3 months", "19970904T090000",
     "RRULE:FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3"),
    ("the last weekday of the month", "19970929T090000", "RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"),
    ("every 3 hours from 9 to 5 on one day", "19970902T090000", "RRULE:FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T210000Z"),
    ("with RDATEs and EXDATEs", "19970902T090000",
     "RRULE:FREQ=WEEKLY;COUNT=6\nEXDATE;TZID=America/New_York:19970916T090000\n"
     "RDATE;TZID=America/New_York:19970920T150000,19970927T150000"),
]  # fmt: skip


def _calendar(dtstart: str, extra: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//RFC 5545//EN\r\n"
        "BEGIN:VEVENT\r\nUID:rfc@example.com\r\n"
        f"DTSTART;TZID=America/New_York:{dtstart}\r\nDURATION:PT1H\r\n"
        + "\r\n".join(extra.split("\n"))
        + "\r\nSUMMARY:RFC example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def _kiban_event(text: str) -> Event:
    parsed, report = ics.parse_ics(text)
    assert report.skipped == []
    return Event(**{k: v for k, v in parsed[0].values.items() if k != "sequence"}, uid=parsed[0].uid)


WINDOWS = [
    (dt.datetime(1997, 1, 1, tzinfo=UTC), dt.datetime(2000, 6, 1, tzinfo=UTC)),
    (dt.datetime(1998, 3, 10, tzinfo=UTC), dt.datetime(1998, 4, 20, tzinfo=UTC)),
    # Decades on: the expansion starts near the window instead of at DTSTART (fast-forward).
    (dt.datetime(2031, 11, 20, tzinfo=UTC), dt.datetime(2032, 3, 5, tzinfo=UTC)),
]


@pytest.mark.parametrize(("name", "dtstart", "extra"), RFC_EXAMPLES, ids=[e[0] for e in RFC_EXAMPLES])
@pytest.mark.parametrize("window", WINDOWS, ids=["three-years", "mid-window", "decades-on"])
def test_expansion_matches_recurring_ical_events(name, dtstart, extra, window):
    text = _calendar(dtstart, extra)
    expected = sorted(
        component.decoded("dtstart").astimezone(UTC)
        for component in recurring_ical_events.of(icalendar.Calendar.from_ical(text)).between(*window)
    )
    event = _kiban_event(text)
    assert event.tzid == "America/New_York"
    got = [start for start, _end, _orig, _x in expand(event, *window)]
    assert got == expected


def _ny(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NY).astimezone(UTC)


def test_daily_for_ten_occurrences_gives_the_dates_printed_in_the_rfc():
    event = _kiban_event(_calendar("19970902T090000", "RRULE:FREQ=DAILY;COUNT=10"))
    got = [s for s, _e, _o, _x in expand(event, *WINDOWS[0])]
    assert got == [_ny(1997, 9, day, 9) for day in range(2, 12)]


def test_wall_clock_is_kept_across_new_york_dst_change():
    # 1997-10-26 is the end of DST in New York: 9:00 EDT is 13:00 UTC, 9:00 EST is 14:00 UTC.
    event = _kiban_event(_calendar("19970902T090000", "RRULE:FREQ=WEEKLY;COUNT=10"))
    got = [s for s, _e, _o, _x in expand(event, *WINDOWS[0])]
    assert got[7] == dt.datetime(1997, 10, 21, 13, tzinfo=UTC)
    assert got[8] == dt.datetime(1997, 10, 28, 14, tzinfo=UTC)


def test_friday_the_thirteenth_first_dates_as_in_the_rfc():
    event = _kiban_event(
        _calendar(
            "19970902T090000",
            "EXDATE;TZID=America/New_York:19970902T090000\nRRULE:FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13",
        )
    )
    got = [s for s, _e, _o, _x in expand(event, *WINDOWS[0])][:3]
    assert got == [_ny(1998, 2, 13, 9), _ny(1998, 3, 13, 9), _ny(1998, 11, 13, 9)]


def test_last_weekday_of_month_via_bysetpos():
    event = _kiban_event(_calendar("19970929T090000", "RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"))
    got = [s for s, _e, _o, _x in expand(event, *WINDOWS[0])][:5]
    # DTSTART (a Monday, not the last weekday) counts as the first instance (RFC 5545 3.8.5.3), then the
    # dates the RFC prints.
    assert got == [
        _ny(1997, 9, 29, 9), _ny(1997, 9, 30, 9), _ny(1997, 10, 31, 9), _ny(1997, 11, 28, 9), _ny(1997, 12, 31, 9),
    ]  # fmt: skip


def test_tokyo_weekly_series_two_years_on_starts_on_its_weekday_at_nine():
    start = dt.datetime(2025, 1, 6, 9, tzinfo=recurrence.TOKYO)  # a Monday
    event = Event(
        title="朝礼", start=start, end=start + dt.timedelta(minutes=15), rrule="FREQ=WEEKLY;BYDAY=MO"
    )
    window = (
        dt.datetime(2026, 11, 23, tzinfo=recurrence.TOKYO),
        dt.datetime(2026, 11, 30, tzinfo=recurrence.TOKYO),
    )
    got = [s for s, _e, _o, _x in expand(event, *window)]
    assert got == [dt.datetime(2026, 11, 23, 0, tzinfo=UTC)]


def test_all_day_series_with_date_until_includes_its_last_day():
    start = dt.datetime(2026, 11, 2, tzinfo=recurrence.TOKYO)
    event = Event(
        title="当番", start=start, end=start + dt.timedelta(days=1), all_day=True,
        rrule="FREQ=WEEKLY;UNTIL=20261116",
    )  # fmt: skip
    window = (start, start + dt.timedelta(days=60))
    got = [s.astimezone(recurrence.TOKYO).date() for s, _e, _o, _x in expand(event, *window)]
    assert got == [dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16)]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("FREQ=SOMETIMES", "FREQ"),
        ("BYDAY=MO", "FREQ is missing"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20260101T000000Z", "COUNT and UNTIL"),
        ("FREQ=MINUTELY", "not supported"),
        ("FREQ=WEEKLY;BYDAY=XX", ".+"),
        ("FREQ=DAILY;COUNT", "NAME=VALUE"),
    ],
)
def test_invalid_rules_are_refused_with_a_reason(text, reason):
    with pytest.raises(recurrence.RecurrenceError, match=reason):
        recurrence.normalize_rrule(text)


def test_rule_is_normalised():
    assert recurrence.normalize_rrule("RRULE:freq=weekly;byday=mo,we") == "FREQ=WEEKLY;BYDAY=MO,WE"
    assert recurrence.normalize_rrule("  ") is None
