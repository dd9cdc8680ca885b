"""Import of .ics files as Google Calendar and Outlook/Exchange export them; the import commands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kiban.calendar import actions, ics
from kiban.calendar.models import Event, EventException
from kiban.calendar.queries import events_for
from kiban.core.recurrence import TOKYO

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
GOOGLE = FIXTURES / "google_calendar.ics"
OUTLOOK = FIXTURES / "outlook_exchange.ics"
UTC = dt.UTC


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M")


def _titles_and_times(person, start, end):
    return [(o.title, _local(o.start), _local(o.end)) for o in events_for([person.pk], start, end, person)]


def test_google_calendar_export_is_imported_with_recurrence_exceptions_and_all_day(clerk):
    report = actions.do_import_ics(clerk, GOOGLE.read_bytes())
    assert report.created == 4
    assert report.updated == 0
    assert report.skipped == [
        {"line": 94, "uid": "todo-1@google.com", "reason": "VTODO は取り込めません (予定のみ対応)"},
        {"line": 99, "uid": "broken-1@google.com", "reason": "DTSTART がありません"},
    ]
    got = _titles_and_times(
        clerk, dt.datetime(2026, 11, 1, tzinfo=TOKYO), dt.datetime(2026, 12, 1, tzinfo=TOKYO)
    )
    assert got == [
        ("年次休暇", "2026-11-24 00:00", "2026-11-26 00:00"),
        ("朝礼", "2026-11-02 09:00", "2026-11-02 09:15"),
        ("朝礼(時間変更)", "2026-11-09 10:00", "2026-11-09 10:15"),
        ("朝礼", "2026-11-16 09:00", "2026-11-16 09:15"),
        ("人事ヒアリング", "2026-11-27 14:00", "2026-11-27 15:30"),
        ("朝礼", "2026-11-30 09:00", "2026-11-30 09:15"),
    ]
    leave = Event.objects.get(uid="0a1b2c3d4e5f6g7h8i9j0k1l2m@google.com")
    assert leave.all_day is True
    assert leave.visibility == "private"
    morning = Event.objects.get(uid="7kukuqrfedlm2f9t0a2bqjq3p8@google.com")
    assert morning.rrule == "FREQ=WEEKLY;BYDAY=MO;WKST=SU"
    assert morning.exdates == ["2026-11-23T00:00:00Z"]
    assert morning.description == "課内の朝礼です。\n連絡事項があれば事前に共有してください。"
    assert EventException.objects.get(event=morning).location == "第2会議室"


def test_series_in_a_zone_with_daylight_saving_keeps_its_wall_clock(clerk):
    actions.do_import_ics(clerk, GOOGLE.read_bytes())
    got = _titles_and_times(
        clerk, dt.datetime(2026, 12, 1, tzinfo=TOKYO), dt.datetime(2026, 12, 20, tzinfo=TOKYO)
    )
    # 9:00 in New York (EST, UTC-5) is 23:00 in Tokyo.
    assert [(t, s) for t, s, _e in got if t.startswith("姉妹都市")] == [
        ("姉妹都市との定例(オンライン)", "2026-12-01 23:00"),
        ("姉妹都市との定例(オンライン)", "2026-12-08 23:00"),
        ("姉妹都市との定例(オンライン)", "2026-12-15 23:00"),
    ]


def test_outlook_export_with_windows_zone_names_is_imported(other_clerk):
    report = actions.do_import_ics(other_clerk, OUTLOOK.read_bytes())
    assert report.created == 3
    assert [(s["line"], s["uid"]) for s in report.skipped] == [(102, "bad-rrule-1")]
    assert report.skipped[0]["reason"].startswith("対応していない RRULE です")
    meeting = Event.objects.get(title="道路課定例会議")
    assert meeting.tzid == "Asia/Tokyo"
    assert meeting.rrule == "FREQ=MONTHLY;COUNT=6;BYDAY=1WE"
    got = _titles_and_times(
        other_clerk, dt.datetime(2026, 11, 1, tzinfo=TOKYO), dt.datetime(2027, 2, 1, tzinfo=TOKYO)
    )
    assert got == [
        ("通院", "2026-11-20 00:00", "2026-11-21 00:00"),
        ("道路課定例会議", "2026-11-04 14:00", "2026-11-04 15:00"),
        # London in November is GMT (UTC+0): 9:00–17:00 there is 18:00–02:00 in Tokyo.
        ("ロンドン事務所 研修", "2026-11-10 18:00", "2026-11-11 02:00"),
        ("道路課定例会議(1月は翌日)", "2027-01-07 15:30", "2027-01-07 16:30"),
    ]
    assert Event.objects.get(title="通院").visibility == "private"


def test_importing_the_same_file_again_updates_instead_of_duplicating(clerk):
    actions.do_import_ics(clerk, GOOGLE.read_bytes())
    again = actions.do_import_ics(clerk, GOOGLE.read_bytes())
    assert (again.created, again.updated) == (0, 4)
    assert Event.objects.filter(organizer=clerk).count() == 4
    assert EventException.objects.count() == 1


def test_unreadable_file_changes_nothing(clerk):
    actions.do_import_ics(clerk, GOOGLE.read_bytes())
    before = list(Event.objects.values_list("pk", "title", "start"))
    with pytest.raises(ics.IcsError):
        actions.do_import_ics(clerk, b"this is not a calendar")
    truncated = GOOGLE.read_bytes()[:3000] + "\r\nBEGIN:VEVENT\r\nSUMMARY:新しい予定".encode()
    with pytest.raises(ics.IcsError, match="BEGIN:VEVENT が閉じられていません"):
        actions.do_import_ics(clerk, truncated)
    assert list(Event.objects.values_list("pk", "title", "start")) == before


def test_import_command_reports_what_was_skipped(clerk, capsys):
    call_command("import_ics", clerk.username, str(GOOGLE))
    out = capsys.readouterr().out
    assert "4件を登録、0件を更新、2件をスキップ" in out
    assert f"{GOOGLE}:94 94行目 UID=todo-1@google.com: VTODO は取り込めません (予定のみ対応)" in out


def test_import_command_refuses_unknown_person_and_missing_file(clerk):
    with pytest.raises(CommandError, match="USERNAME"):
        call_command("import_ics", "nobody", str(GOOGLE))
    with pytest.raises(CommandError, match="missing.ics"):
        call_command("import_ics", clerk.username, "/nonexistent/missing.ics")
    assert Event.objects.count() == 0


def test_import_schedules_imports_a_folder_with_progress_and_failure_report(
    tmp_path, clerk, other_clerk, it_admin, capsys
):
    (tmp_path / f"{clerk.username}.ics").write_bytes(GOOGLE.read_bytes())
    (tmp_path / f"{other_clerk.username}.ics").write_bytes(OUTLOOK.read_bytes())
    (tmp_path / "999999.ics").write_bytes(GOOGLE.read_bytes())
    (tmp_path / "100009.ics").write_text("not a calendar")
    with pytest.raises(CommandError, match="2ファイルを取り込めませんでした"):
        call_command("import_schedules", str(tmp_path))
    captured = capsys.readouterr()
    assert "[##############################] 4/4 100%" in captured.out
    assert "4ファイル: 7件を登録、0件を更新、3件をスキップ、2ファイルが失敗" in captured.out
    assert "100009.ics: iCalendar ファイルではありません" in captured.err
    assert "999999.ics: 該当する職員がいません (999999)" in captured.err
    assert Event.objects.filter(organizer=clerk).count() == 4
    assert Event.objects.filter(organizer=other_clerk).count() == 3


def test_import_api_returns_the_report(api_as, clerk):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api_as(clerk).post(
        "/api/v1/calendar/import", {"file": SimpleUploadedFile("g.ics", GOOGLE.read_bytes(), "text/calendar")}
    )
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 4
    assert [s["uid"] for s in response.json()["skipped"]] == ["todo-1@google.com", "broken-1@google.com"]
    bad = api_as(clerk).post("/api/v1/calendar/import", {"file": SimpleUploadedFile("x.ics", b"nope")})
    assert bad.status_code == 400
    assert bad.json()["detail"].startswith("file:")
