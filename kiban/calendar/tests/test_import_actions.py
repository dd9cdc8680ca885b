"""The iCalendar import writes through the calendar's actions (reminders, rooms and the audit log follow) and is
bounded: SEQUENCE out of range, too many events or RDATEs refuse the file with a message, nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kiban.calendar import actions, ics
from kiban.calendar.models import Event, Reminder
from kiban.calendar.tests.factories import tokyo
from kiban.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _calendar(*events: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n" + "".join(events) + "END:VCALENDAR\r\n"
    ).encode()


def _vevent(uid: str, start: str, end: str, *extra: str) -> str:
    lines = [
        f"UID:{uid}",
        f"DTSTART;TZID=Asia/Tokyo:{start}",
        f"DTEND;TZID=Asia/Tokyo:{end}",
        "SUMMARY:窓口当番",
    ]
    return "BEGIN:VEVENT\r\n" + "".join(f"{x}\r\n" for x in [*lines, *extra]) + "END:VEVENT\r\n"


def _post(client, data: bytes):
    upload = SimpleUploadedFile("schedule.ics", data, content_type="text/calendar")
    return client.post("/api/v1/calendar/import", {"file": upload})


def test_reimport_that_moves_an_event_moves_its_reminder(clerk):
    actions.do_import_ics(clerk, _calendar(_vevent("duty@old", "20301202T100000", "20301202T110000")))
    event = Event.objects.get(uid="duty@old")
    actions.do_set_reminders(clerk, event, [15])
    assert Reminder.objects.get(event=event).next_at == tokyo(2030, 12, 2, 9, 45)

    report = actions.do_import_ics(
        clerk, _calendar(_vevent("duty@old", "20301203T140000", "20301203T150000"))
    )

    assert (report.created, report.updated) == (0, 1)
    reminder = Reminder.objects.get(event=event)
    assert reminder.next_occurrence == tokyo(2030, 12, 3, 14)
    assert reminder.next_at == tokyo(2030, 12, 3, 13, 45)
    entry = AuditEntry.objects.filter(action="calendar.import").latest("pk")
    assert entry.detail["updated"] == 1


@pytest.mark.parametrize("value", ["-1", "2147483648", "99999999999999999999"])
def test_sequence_out_of_range_is_refused_with_400_naming_it(api_as, clerk, value):
    data = _calendar(_vevent("seq@x", "20301202T100000", "20301202T110000", f"SEQUENCE:{value}"))
    response = _post(api_as(clerk), data)
    assert response.status_code == 400, response.content
    assert "SEQUENCE" in response.json()["detail"] and "4行目" in response.json()["detail"]
    assert not Event.objects.exists()


def test_largest_sequence_is_imported(clerk):
    actions.do_import_ics(
        clerk, _calendar(_vevent("seq@x", "20301202T100000", "20301202T110000", "SEQUENCE:2147483647"))
    )
    assert Event.objects.get(uid="seq@x").sequence == 2147483647


def test_file_with_more_events_than_allowed_is_refused_with_413(api_as, clerk, monkeypatch):
    monkeypatch.setattr(ics, "MAX_IMPORT_EVENTS", 3)
    data = _calendar(*[_vevent(f"e{i}@x", "20301202T100000", "20301202T110000") for i in range(4)])
    response = _post(api_as(clerk), data)
    assert response.status_code == 413, response.content
    assert "予定が多すぎます (4件)" in response.json()["detail"]
    assert not Event.objects.exists()


def test_more_than_500_rdates_in_a_file_are_refused(api_as, clerk):
    base = dt.datetime(2030, 12, 2, 10)  # noqa: DTZ001 (wall-clock values of the file)
    rdates = ",".join((base + dt.timedelta(days=i)).strftime("%Y%m%dT%H%M%S") for i in range(501))
    data = _calendar(
        _vevent("many@x", "20301202T100000", "20301202T110000", f"RDATE;TZID=Asia/Tokyo:{rdates}")
    )
    response = _post(api_as(clerk), data)
    assert response.status_code == 400, response.content
    assert "RDATE は500件まで" in response.json()["detail"]
    assert not Event.objects.exists()
