"""Calendar pages: day/week/month views, another person's calendar, the group schedule, the event form (bad
input, rooms, recurring scopes), the detail page (replies, delete) and the settings page (feed, import)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from kiban.booking.models import Booking
from kiban.booking.tests.factories import ResourceFactory
from kiban.calendar import actions
from kiban.calendar.models import Attendee, Event, EventException, FeedToken

pytestmark = pytest.mark.django_db

TOKYO = dt.timezone(dt.timedelta(hours=9))
SECRET = "人事評価面談（機密）"
SECRET_PLACE = "第3応接室"


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TOKYO)


def make_event(user, title: str, start: dt.datetime, end: dt.datetime, **extra) -> Event:
    data = {"title": title, "start": start, "end": end, **extra}
    return actions.do_create_event(user, data, notify_attendees=False)


@pytest.fixture
def secret(section_head):
    """The section head's private event on Thursday 26 November 2026."""
    return make_event(
        section_head, SECRET, at(26, 13), at(26, 14), visibility="private", location=SECRET_PLACE
    )


def form_data(**overrides) -> dict:
    data = {
        "title": "係内打合せ",
        "start_date": "2026-11-26",
        "start_time": "10:00",
        "end_date": "2026-11-26",
        "end_time": "11:00",
        "repeat": "none",
        "interval": "1",
        "color": "blue",
        "visibility": "public",
        "attendees": "",
    }
    data.update(overrides)
    return data


def gs_names(html: str) -> list[tuple[str, str]]:
    return re.findall(
        r'<th class="gs-name" scope="row"><a href="[^"]+"[^>]*>([^<]+)</a><span class="gs-title">([^<]*)</span>',
        html,
    )


# --- views of one calendar --------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, clerk):
    for url in [
        "/calendar/",
        "/calendar/group/",
        "/calendar/events/new/",
        "/calendar/settings/",
        "/calendar/u/100002/",
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login?next=")


def test_week_view_shows_wareki_and_seireki_heading_and_shades_holiday(client, clerk):
    make_event(clerk, "定例会議", at(24, 9, 30), at(24, 11))
    client.force_login(clerk)
    html = client.get("/calendar/", {"date": "2026-11-26"}).content.decode()
    assert "令和8年11月23日(月) 〜 11月29日(日)" in html
    assert "2026-11-23 – 2026-11-29" in html
    # 勤労感謝の日 (Monday 23 November 2026) is named and shaded; Saturday and Sunday are weekend-shaded.
    head = re.search(r'<div class="tg-dayhead ([^"]*)">\s*<a href="\?view=day&amp;date=2026-11-23"', html)
    assert "is-holiday" in head.group(1)
    assert '<span class="holiday-name">勤労感謝の日</span>' in html
    assert re.search(r'<div class="tg-col is-weekend sat" aria-label="令和8年11月28日\(土\)"', html)
    assert re.search(r'<div class="tg-col is-weekend sun" aria-label="令和8年11月29日\(日\)"', html)
    # The event sits at 9:30 (grid row 7 from 8:00 in 15-minute rows) for 90 minutes (6 rows).
    block = re.search(r'<a class="ev cat-blue gr-(\d+) sp-(\d+)" href="/calendar/events/(\d+)/"', html)
    assert block.groups()[:2] == ("7", "6")
    assert "9:30–11:00" in html or "09:30–11:00" in html


def test_overlapping_events_share_the_column_in_lanes(client, clerk):
    make_event(clerk, "会議A", at(26, 10), at(26, 11))
    make_event(clerk, "会議B", at(26, 10, 30), at(26, 12))
    make_event(clerk, "会議C", at(26, 13), at(26, 14))
    client.force_login(clerk)
    html = client.get("/calendar/", {"view": "day", "date": "2026-11-26"}).content.decode()
    places = {
        title: cls
        for cls, title in re.findall(
            r'<a class="ev cat-blue ([^"]+)" href="[^"]+" title="[^"]*? ([^"]+)"', html
        )
    }
    assert places == {
        "会議A": "gr-9 sp-4 ln-0-2",
        "会議B": "gr-11 sp-6 ln-1-2",
        "会議C": "gr-21 sp-4",
    }


def test_all_day_event_is_in_the_all_day_row(client, clerk):
    make_event(clerk, "出張（東京）", at(26, 0), at(27, 0), all_day=True)
    client.force_login(clerk)
    html = client.get("/calendar/", {"view": "day", "date": "2026-11-26"}).content.decode()
    allday = re.search(r'<div class="tg-allday(?: [^"]*)?">(.*?)</div>', html, re.S).group(1)
    assert "出張（東京）" in allday
    assert "令和8年11月26日(木)" in html


def test_month_view_lists_events_as_chips_and_names_holidays(client, clerk):
    make_event(clerk, "月例報告", at(3, 15), at(3, 16))
    client.force_login(clerk)
    html = client.get("/calendar/", {"view": "month", "date": "2026-11-15"}).content.decode()
    assert "令和8年11月" in html
    assert "文化の日" in html  # 3 November
    assert "勤労感謝の日" in html
    chip = re.search(r'<a class="ev cat-blue" href="/calendar/events/\d+/" title="15:00 月例報告">', html)
    assert chip is not None
    # Monday 26 October to Sunday 6 December: six weeks.
    assert html.count('role="gridcell"') == 42


def test_private_event_of_another_is_busy_in_every_view(client, clerk, section_head, secret):
    client.force_login(clerk)
    pages = [
        ("/calendar/u/100001/", {"view": "day", "date": "2026-11-26"}),
        ("/calendar/u/100001/", {"view": "week", "date": "2026-11-26"}),
        ("/calendar/u/100001/", {"view": "month", "date": "2026-11-26"}),
        ("/calendar/group/", {"date": "2026-11-23"}),
    ]
    for path, params in pages:
        response = client.get(path, params)
        html = response.content.decode()
        assert response.status_code == 200
        assert "予定あり" in html, (path, params)
        assert SECRET not in html and SECRET_PLACE not in html, (path, params)
        assert f"/calendar/events/{secret.pk}/" not in html
    # Its time is shown.
    html = client.get("/calendar/u/100001/", {"view": "day", "date": "2026-11-26"}).content.decode()
    assert 'title="13:00–14:00 予定あり"' in html


def test_private_event_of_an_attendee_shows_in_full_to_the_attendee(client, clerk, section_head):
    make_event(section_head, SECRET, at(26, 13), at(26, 14), visibility="private", attendees=["100002"])
    client.force_login(clerk)
    html = client.get("/calendar/", {"view": "day", "date": "2026-11-26"}).content.decode()
    assert SECRET in html


def test_own_private_event_shows_its_title(client, section_head, secret):
    client.force_login(section_head)
    html = client.get("/calendar/", {"date": "2026-11-26"}).content.decode()
    assert SECRET in html


def test_private_event_detail_is_not_found_for_others(client, clerk, secret):
    client.force_login(clerk)
    assert client.get(f"/calendar/events/{secret.pk}/").status_code == 404
    assert client.get(f"/calendar/events/{secret.pk}/edit/").status_code == 404


def test_own_calendar_under_the_person_path_redirects_to_mine(client, clerk):
    client.force_login(clerk)
    response = client.get("/calendar/u/100002/", {"view": "month"})
    assert response.status_code == 302
    assert response["Location"] == "/calendar/?view=month"


def test_unknown_person_is_not_found(client, clerk):
    client.force_login(clerk)
    assert client.get("/calendar/u/999999/").status_code == 404


def test_a_bad_date_parameter_shows_today(client, clerk, org_tree):
    client.force_login(clerk)
    response = client.get("/calendar/", {"date": "2026-13-45", "view": "nonsense"})
    assert response.status_code == 200
    assert 'data-view="week"' in response.content.decode()
    for path, params in [
        ("/calendar/", {"date": "9999-12-31", "view": "month"}),
        ("/calendar/", {"date": "0001-01-01", "view": "week"}),
        ("/calendar/group/", {"date": "9999-12-31"}),
        ("/calendar/events/new/", {"date": "9999-12-31", "time": "25:00"}),
    ]:
        assert client.get(path, params).status_code == 200, (path, params)


# --- group schedule ---------------------------------------------------------------------------------------


def test_group_schedule_rows_in_organisation_order_with_titles(client, clerk, section_head, org_tree):
    client.force_login(clerk)
    html = client.get("/calendar/group/", {"date": "2026-11-23"}).content.decode()
    # The viewer's primary department (人事課) by default; the head first.
    assert f'value="{org_tree["jinji"].pk}" selected' in html
    assert gs_names(html) == [("髙橋 一郎", "課長"), ("佐藤 花子", "主事")]


def test_group_schedule_header_has_wareki_seireki_and_shading(client, clerk, org_tree):
    client.force_login(clerk)
    html = client.get("/calendar/group/", {"date": "2026-11-23"}).content.decode()
    assert "令和8年11月23日(月) 〜 令和8年11月29日(日)" in html
    assert "2026-11-23 – 2026-11-29" in html
    assert re.search(r'<th scope="col" class="gs-day is-holiday[^"]*" data-date="2026-11-23">', html)
    assert re.search(r'<th scope="col" class="gs-day is-weekend sat" data-date="2026-11-28">', html)
    assert re.search(r'<td class="gs-cell is-weekend sun" data-date="2026-11-29">', html)
    assert "勤労感謝の日" in html
    # Week navigation.
    jinji = org_tree["jinji"].pk
    assert f'href="/calendar/group/?department={jinji}&amp;date=2026-11-30"' in html
    assert f'href="/calendar/group/?department={jinji}&amp;date=2026-11-16"' in html


def test_group_schedule_shows_another_department(client, clerk, other_clerk, org_tree):
    make_event(other_clerk, "現場確認", at(25, 13), at(25, 15), location="国道1号")
    client.force_login(clerk)
    html = client.get(
        "/calendar/group/", {"department": org_tree["douro"].pk, "date": "2026-11-23"}
    ).content.decode()
    assert gs_names(html) == [("渡邊 健", "主任")]
    assert "13:00–15:00" in html
    assert "現場確認" in html


def test_group_schedule_unknown_department_is_not_found(client, clerk):
    client.force_login(clerk)
    assert client.get("/calendar/group/", {"department": "999999"}).status_code == 404


def test_group_schedule_empty_cell_starts_an_event_for_that_person_and_day(
    client, clerk, section_head, org_tree
):
    client.force_login(clerk)
    html = client.get("/calendar/group/", {"date": "2026-11-23"}).content.decode()
    jinji = org_tree["jinji"].pk
    expected = (
        f'<a class="gs-add" href="/calendar/events/new/?date=2026-11-25&amp;attendee=100001&amp;'
        f'next=%2Fcalendar%2Fgroup%2F%3Fdepartment%3D{jinji}%26date%3D2026-11-23"'
    )
    assert expected in html
    form = client.get(
        "/calendar/events/new/", {"date": "2026-11-25", "attendee": "100001", "next": "/calendar/group/"}
    ).content.decode()
    assert 'name="start_date" value="2026-11-25"' in form
    assert 'name="attendees" value="100001"' in form
    assert '<li data-username="100001">髙橋 一郎</li>' in form
    assert 'name="next" value="/calendar/group/"' in form


def test_group_schedule_query_count_does_not_grow_with_members(
    client, clerk, section_head, org_tree, django_assert_max_num_queries
):
    from kiban.accounts.tests.factories import StaffFactory
    from kiban.org.tests.factories import MembershipFactory

    for n in range(20):
        person = StaffFactory(username=f"7000{n:02d}")
        MembershipFactory(staff=person, department=org_tree["jinji"], title="主事", rank=90)
        make_event(person, f"予定{n}", at(24, 10), at(24, 11))
    client.force_login(clerk)
    client.get("/calendar/group/")  # the first request of a session also records the device
    # Session, person, tree, primary department, members, events (2 + 2 attended), bookings, bell: 12.
    with django_assert_max_num_queries(12):
        response = client.get("/calendar/group/", {"date": "2026-11-23"})
    assert response.status_code == 200
    assert len(gs_names(response.content.decode())) == 22


# --- the event form ---------------------------------------------------------------------------------------


def test_new_event_form_creates_the_event_with_attendees_and_reminder(client, clerk, section_head):
    client.force_login(clerk)
    response = client.post(
        "/calendar/events/new/", form_data(attendees="100001", reminders=["10"], location="第1会議室")
    )
    assert response.status_code == 302
    event = Event.objects.get()
    assert (event.title, event.organizer, event.location) == ("係内打合せ", clerk, "第1会議室")
    assert (event.start, event.end, event.all_day, event.rrule) == (at(26, 10), at(26, 11), False, None)
    assert list(event.attendees.values_list("staff__username", "status")) == [("100001", "needs-action")]
    assert list(event.reminders.values_list("staff__username", "minutes_before")) == [("100002", 10)]
    assert response["Location"] == "/calendar/?view=week&date=2026-11-26"


def test_all_day_event_through_the_form_ends_after_its_last_day(client, clerk):
    client.force_login(clerk)
    data = form_data(all_day="on", start_time="", end_time="", end_date="2026-11-27")
    assert client.post("/calendar/events/new/", data).status_code == 302
    event = Event.objects.get()
    assert (event.all_day, event.start, event.end) == (True, at(26, 0), at(28, 0))


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "このフィールドは必須です。"),
        ({"end_time": "09:00"}, "end_time", "終了は開始より後にしてください。"),
        ({"start_date": "2026-02-30"}, "start_date", "日付を正しく入力してください。"),
        ({"attendees": "100002 999999"}, "attendees", "職員番号 999999 の職員が見つかりません。"),
        ({"repeat": "custom", "rrule_text": "FREQ=SOMETIMES"}, "rrule_text", "RRULEが正しくありません"),
        (
            {"repeat": "weekly", "until": "2026-12-31", "count": "5"},
            "count",
            "終了日と回数はどちらか一方だけ",
        ),
        ({"start_time": ""}, "start_time", "開始時刻を入力してください"),
        ({"all_day": "on", "end_date": "9999-12-31"}, "end_date", "1900年から2200年までの日付"),
        ({"repeat": "daily", "until": "9999-12-31"}, "until", "1900年から2200年までの日付"),
    ],
)
def test_event_form_bad_input_shows_the_field_error_and_saves_nothing(
    client, clerk, overrides, field, message
):
    client.force_login(clerk)
    response = client.post("/calendar/events/new/", form_data(**overrides))
    html = response.content.decode()
    assert response.status_code == 400
    assert re.search(rf'<p class="field-error" id="id_{field}-error">[^<]*{re.escape(message)}', html), html[
        :0
    ]
    assert Event.objects.count() == 0


def test_weekly_recurrence_is_built_into_an_rrule(client, clerk):
    client.force_login(clerk)
    data = form_data(repeat="weekly", byday=["MO", "TH"], until="2026-12-31")
    assert client.post("/calendar/events/new/", data).status_code == 302
    assert Event.objects.get().rrule == "FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20261231T145959Z"


@pytest.mark.parametrize(
    ("overrides", "rrule"),
    [
        ({"repeat": "daily", "count": "10"}, "FREQ=DAILY;COUNT=10"),
        ({"repeat": "weekdays"}, "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
        ({"repeat": "monthly_date", "interval": "2"}, "FREQ=MONTHLY;BYMONTHDAY=26;INTERVAL=2"),
        ({"repeat": "monthly_nth"}, "FREQ=MONTHLY;BYDAY=4TH"),
        ({"repeat": "yearly"}, "FREQ=YEARLY"),
        (
            {"repeat": "custom", "rrule_text": "RRULE:FREQ=WEEKLY;BYDAY=FR;COUNT=3"},
            "FREQ=WEEKLY;BYDAY=FR;COUNT=3",
        ),
    ],
)
def test_recurrence_choices_become_rules(client, clerk, overrides, rrule):
    client.force_login(clerk)
    assert client.post("/calendar/events/new/", form_data(**overrides)).status_code == 302
    assert Event.objects.get().rrule == rrule


def test_room_conflict_shows_the_conflicting_times_and_saves_nothing(client, clerk, section_head):
    room = ResourceFactory(name="第1会議室")
    make_event(section_head, "課内会議", at(26, 10, 30), at(26, 11, 30), resources=[room.pk])
    client.force_login(clerk)
    response = client.post("/calendar/events/new/", form_data(resources=[str(room.pk)], title="打合せ"))
    html = response.content.decode()
    assert response.status_code == 409
    assert '<ul class="conflicts" id="booking-conflicts"><li>令和8年11月26日 10:30 – 11:30</li></ul>' in html
    assert not Event.objects.filter(title="打合せ").exists()
    assert Booking.objects.filter(resource=room).count() == 1


def test_event_with_a_room_books_it(client, clerk):
    room = ResourceFactory(name="第2会議室")
    client.force_login(clerk)
    assert client.post("/calendar/events/new/", form_data(resources=[str(room.pk)])).status_code == 302
    event = Event.objects.get()
    booking = Booking.objects.get(resource=room)
    assert (booking.event_id, booking.start, booking.end, booking.status) == (
        event.pk,
        at(26, 10),
        at(26, 11),
        "confirmed",
    )
    detail = client.get(f"/calendar/events/{event.pk}/").content.decode()
    assert f'<a href="/booking/bookings/{booking.pk}">第2会議室</a>' in detail


def test_edit_form_is_prefilled_and_only_for_the_organiser(client, clerk, section_head):
    event = make_event(
        clerk, "係内打合せ", at(26, 10), at(26, 11), attendees=["100001"], rrule="FREQ=WEEKLY;BYDAY=TH"
    )
    client.force_login(section_head)
    assert client.get(f"/calendar/events/{event.pk}/edit/").status_code == 404
    client.force_login(clerk)
    html = client.get(f"/calendar/events/{event.pk}/edit/").content.decode()
    assert (
        'name="title" maxlength="200" required id="id_title" value="係内打合せ"' in html
        or 'value="係内打合せ"' in html
    )
    assert 'name="attendees" value="100001"' in html
    assert re.search(r'<option value="weekly" selected>', html)


def _edit(client, event, key: str, scope: str, **overrides):
    data = form_data(occurrence=key, scope=scope, **overrides)
    return client.post(f"/calendar/events/{event.pk}/edit/?occurrence={key}", data)


def test_recurring_edit_this_occurrence_only(client, clerk):
    event = make_event(clerk, "朝会", at(23, 9), at(23, 9, 15), rrule="FREQ=DAILY;COUNT=5")
    client.force_login(clerk)
    form = client.get(f"/calendar/events/{event.pk}/edit/?occurrence=20261125T000000Z").content.decode()
    assert "この予定のみ" in form and "これ以降" in form and "すべて" in form
    assert 'name="start_date" value="2026-11-25"' in form
    response = _edit(
        client, event, "20261125T000000Z", "this", title="朝会（会議室変更）", start_date="2026-11-25",
        end_date="2026-11-25", start_time="09:30", end_time="09:45", repeat="daily", count="5",
    )  # fmt: skip
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.title, event.rrule) == ("朝会", "FREQ=DAILY;COUNT=5")
    changed = EventException.objects.get(event=event)
    assert (changed.recurrence_id, changed.title, changed.start) == (
        at(25, 9),
        "朝会（会議室変更）",
        at(25, 9, 30),
    )


def test_recurring_edit_this_and_following_splits_the_series(client, clerk):
    event = make_event(clerk, "朝会", at(23, 9), at(23, 9, 15), rrule="FREQ=DAILY;COUNT=5")
    client.force_login(clerk)
    response = _edit(
        client, event, "20261125T000000Z", "following", title="朝礼", start_date="2026-11-25",
        end_date="2026-11-25", start_time="09:00", end_time="09:15", repeat="daily",
    )  # fmt: skip
    assert response.status_code == 302
    events = list(Event.objects.order_by("start").values_list("title", "start"))
    assert events == [("朝会", at(23, 9)), ("朝礼", at(25, 9))]
    html = client.get("/calendar/", {"date": "2026-11-26"}).content.decode()
    assert html.count(">朝会<") == 2
    assert html.count(">朝礼<") >= 3


def test_recurring_edit_all_changes_the_series(client, clerk):
    event = make_event(clerk, "朝会", at(23, 9), at(23, 9, 15), rrule="FREQ=DAILY;COUNT=5")
    client.force_login(clerk)
    response = _edit(
        client, event, "20261125T000000Z", "all", title="全体朝会", start_date="2026-11-25",
        end_date="2026-11-25", start_time="09:00", end_time="09:15", repeat="daily", count="5",
    )  # fmt: skip
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.title, event.start, event.rrule) == ("全体朝会", at(23, 9), "FREQ=DAILY;COUNT=5")
    assert Event.objects.count() == 1


def test_recurring_edit_without_a_scope_saves_nothing(client, clerk):
    event = make_event(clerk, "朝会", at(23, 9), at(23, 9, 15), rrule="FREQ=DAILY;COUNT=5")
    client.force_login(clerk)
    response = _edit(client, event, "20261125T000000Z", "", title="変更", repeat="daily", count="5")
    assert response.status_code == 400
    event.refresh_from_db()
    assert event.title == "朝会"
    assert not EventException.objects.exists()


# --- detail, replies, delete ------------------------------------------------------------------------------


def test_detail_shows_replies_to_the_organiser_and_reply_buttons_to_attendees(
    client, clerk, section_head, other_clerk
):
    event = make_event(clerk, "係内打合せ", at(26, 10), at(26, 11), attendees=["100001", "500001"])
    client.force_login(section_head)
    html = client.get(f"/calendar/events/{event.pk}/").content.decode()
    assert 'value="accepted"' in html and 'value="declined"' in html and 'value="tentative"' in html
    response = client.post(f"/calendar/events/{event.pk}/reply/", {"status": "accepted"})
    assert response.status_code == 302
    assert Attendee.objects.get(event=event, staff=section_head).status == "accepted"
    # The attendee sees their own reply, not the others'.
    html = client.get(f"/calendar/events/{event.pk}/").content.decode()
    assert '<span class="badge badge-ok">参加</span>' in html
    assert "未回答" not in html
    client.force_login(clerk)
    html = client.get(f"/calendar/events/{event.pk}/").content.decode()
    assert '<span class="badge badge-ok">参加</span>' in html
    assert '<span class="badge">未回答</span>' in html
    assert 'name="status"' not in html  # the organiser does not reply to themselves


def test_a_non_attendee_cannot_reply(client, clerk, other_clerk):
    event = make_event(clerk, "係内打合せ", at(26, 10), at(26, 11))
    client.force_login(other_clerk)
    assert client.post(f"/calendar/events/{event.pk}/reply/", {"status": "accepted"}).status_code == 404
    assert not Attendee.objects.exists()


def test_delete_one_occurrence_of_a_series(client, clerk):
    event = make_event(clerk, "朝会", at(23, 9), at(23, 9, 15), rrule="FREQ=DAILY;COUNT=5")
    client.force_login(clerk)
    html = client.get(f"/calendar/events/{event.pk}/?occurrence=20261124T000000Z").content.decode()
    assert "令和8年11月24日(火) 09:00 〜 09:15" in html
    response = client.post(
        f"/calendar/events/{event.pk}/delete/", {"occurrence": "20261124T000000Z", "scope": "this"}
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.exdates == ["2026-11-24T00:00:00Z"] or len(event.exdates) == 1
    html = client.get("/calendar/", {"date": "2026-11-26"}).content.decode()
    assert html.count(">朝会<") == 4


def test_only_the_organiser_deletes(client, clerk, section_head):
    event = make_event(clerk, "係内打合せ", at(26, 10), at(26, 11), attendees=["100001"])
    client.force_login(section_head)
    assert client.post(f"/calendar/events/{event.pk}/delete/").status_code == 404
    assert Event.objects.filter(pk=event.pk).exists()


# --- settings ---------------------------------------------------------------------------------------------


def test_feed_url_is_shown_once_and_rotates(client, clerk):
    client.force_login(clerk)
    html = client.post("/calendar/settings/", {"action": "feed"}).content.decode()
    first = re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', html).group(1)
    assert "/calendar/feed/" in first
    again = client.post("/calendar/settings/", {"action": "feed"}).content.decode()
    second = re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', again).group(1)
    assert first != second
    assert FeedToken.objects.filter(staff=clerk).count() == 1
    assert "feed-url" not in client.get("/calendar/settings/").content.decode()
    # The new URL serves the calendar without a session; the old one is gone.
    make_event(clerk, "係内打合せ", at(26, 10), at(26, 11))
    client.logout()
    path = second.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "SUMMARY:係内打合せ" in response.content.decode()
    assert client.get("/" + first.split("://", 1)[1].split("/", 1)[1]).status_code == 404


ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Test//Test//EN\r
BEGIN:VEVENT\r
UID:one@example.com\r
DTSTAMP:20261101T000000Z\r
DTSTART:20261126T010000Z\r
DTEND:20261126T020000Z\r
SUMMARY:Imported meeting\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:two@example.com\r
DTSTAMP:20261101T000000Z\r
SUMMARY:No start\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_import_shows_a_report_of_imported_and_skipped(client, clerk):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(clerk)
    upload = SimpleUploadedFile("old.ics", ICS, content_type="text/calendar")
    response = client.post("/calendar/settings/", {"action": "import", "file": upload})
    html = response.content.decode()
    assert response.status_code == 200
    assert "新規 1 件、更新 0 件を取り込みました。" in html
    assert "two@example.com" in html
    assert list(Event.objects.values_list("title", "organizer")) == [("Imported meeting", clerk.pk)]


def test_import_of_an_unreadable_file_says_so_and_changes_nothing(client, clerk):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(clerk)
    upload = SimpleUploadedFile("bad.ics", b"\x00\x01 not a calendar", content_type="text/calendar")
    response = client.post("/calendar/settings/", {"action": "import", "file": upload})
    assert response.status_code == 400
    assert "file: 読み込めませんでした" in response.content.decode()
    assert Event.objects.count() == 0


def test_navigation_lights_up_the_schedule_section(client, clerk):
    client.force_login(clerk)
    html = client.get(reverse("calendar:index")).content.decode()
    assert re.search(r'class="nav-item is-current" aria-current="page" data-section="schedule"', html)


def test_directory_profile_links_to_the_persons_calendar(client, clerk, section_head):
    client.force_login(clerk)
    html = client.get("/directory/staff/100001/").content.decode()
    assert '<a class="btn" href="/calendar/u/100001/">この人の予定</a>' in html


def test_a_declined_invitation_leaves_the_calendar(client, clerk, section_head):
    event = make_event(section_head, "課内会議", at(26, 10), at(26, 11), attendees=["100002"])
    client.force_login(clerk)
    day = {"view": "day", "date": "2026-11-26"}
    assert "課内会議" in client.get("/calendar/", day).content.decode()
    actions.do_reply(clerk, event.pk, "declined")
    assert "課内会議" not in client.get("/calendar/", day).content.decode()
    assert "課内会議" in client.get(f"/calendar/events/{event.pk}/").content.decode()


def test_scope_choice_marks_what_belongs_to_the_series(client, clerk):
    ResourceFactory(name="第1会議室")
    event = make_event(clerk, "朝会", at(23, 9), at(23, 9, 15), rrule="FREQ=DAILY;COUNT=5")
    client.force_login(clerk)
    html = client.get(f"/calendar/events/{event.pk}/edit/?occurrence=20261124T000000Z").content.decode()
    # Recurrence, attendees, rooms, and colour/visibility/reminders: hidden by the script for "this one".
    assert html.count("data-series-only") == 4
    assert '<input type="radio" name="scope" value="this" id="id_scope_0" required checked>' in html


def test_titles_are_escaped_in_the_grids(client, clerk, org_tree):
    make_event(clerk, '<img src=x onerror="alert(1)">', at(24, 10), at(24, 11), location="<b>会議室</b>")
    client.force_login(clerk)
    for path, params in [
        ("/calendar/group/", {"date": "2026-11-23"}),
        ("/calendar/", {"date": "2026-11-24"}),
    ]:
        html = client.get(path, params).content.decode()
        assert "<img src=x" not in html and "<b>会議室" not in html
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_standalone_bookings_appear_in_the_bookers_calendar(client, clerk, section_head):
    from kiban.booking.actions import reserve

    room = ResourceFactory(name="第5会議室")
    (booking,) = reserve(
        resource_ids=[room.pk], ranges=[(at(26, 15), at(26, 16))], booked_by=clerk, purpose="来客対応"
    )
    client.force_login(clerk)
    html = client.get("/calendar/", {"view": "day", "date": "2026-11-26"}).content.decode()
    assert (
        f'<a class="ev cat-gray gr-29 sp-4" href="/booking/bookings/{booking.pk}" title="15:00–16:00 第5会議室 来客対応">'
        in html
    )
    # A colleague sees that the room is taken by them, not why.
    client.force_login(section_head)
    html = client.get("/calendar/u/100002/", {"view": "day", "date": "2026-11-26"}).content.decode()
    assert '<span class="ev cat-gray gr-29 sp-4" title="15:00–16:00 第5会議室">' in html
    assert "来客対応" not in html


def test_an_attendee_sets_their_own_reminders_on_the_detail_page(client, clerk, section_head, other_clerk):
    event = make_event(clerk, "係内打合せ", at(26, 10), at(26, 11), attendees=["100001"], reminders=[10])
    client.force_login(section_head)
    response = client.post(f"/calendar/events/{event.pk}/reminders/", {"reminders": ["15", "1440"]})
    assert response.status_code == 302
    assert sorted(event.reminders.values_list("staff__username", "minutes_before")) == [
        ("100001", 15),
        ("100001", 1440),
        ("100002", 10),
    ]
    html = client.get(f"/calendar/events/{event.pk}/").content.decode()
    assert '<input type="checkbox" name="reminders" value="15" checked>' in html
    # Someone who neither organises nor attends cannot.
    client.force_login(other_clerk)
    assert client.post(f"/calendar/events/{event.pk}/reminders/", {"reminders": ["5"]}).status_code == 404
    assert event.reminders.count() == 3


def test_week_view_query_count_does_not_grow_with_events(
    client, clerk, section_head, django_assert_max_num_queries
):
    for day in range(23, 28):
        make_event(clerk, "窓口当番", at(day, 9), at(day, 10), attendees=["100001"])
        make_event(
            section_head, "課長会議", at(day, 13), at(day, 14), attendees=["100002"], visibility="private"
        )
    make_event(clerk, "朝会", at(2, 8, 30), at(2, 8, 45), rrule="FREQ=DAILY")
    client.force_login(clerk)
    client.get("/calendar/")  # the first request of a session also records the device
    with django_assert_max_num_queries(12):
        response = client.get("/calendar/", {"date": "2026-11-26"})
    assert response.content.decode().count(">窓口当番<") == 5


def test_moving_an_event_onto_a_booked_room_is_refused_whole(client, clerk, section_head):
    room = ResourceFactory(name="第1会議室")
    make_event(section_head, "課内会議", at(26, 14), at(26, 15), resources=[room.pk])
    event = make_event(clerk, "係内打合せ", at(26, 10), at(26, 11), resources=[room.pk])
    client.force_login(clerk)
    data = form_data(start_time="14:30", end_time="15:30", resources=[str(room.pk)])
    response = client.post(f"/calendar/events/{event.pk}/edit/", data)
    assert response.status_code == 409
    assert "令和8年11月26日 14:00 – 15:00" in response.content.decode()
    event.refresh_from_db()
    assert (event.start, event.end) == (at(26, 10), at(26, 11))
    assert sorted(
        Booking.objects.filter(resource=room, status="confirmed").values_list("start", flat=True)
    ) == [
        at(26, 10),
        at(26, 14),
    ]
    # Moved to a free hour, the room moves with it.
    response = client.post(
        f"/calendar/events/{event.pk}/edit/",
        form_data(start_time="16:00", end_time="17:00", resources=[str(room.pk)]),
    )
    assert response.status_code == 302
    assert list(Booking.objects.filter(event=event, status="confirmed").values_list("start", "end")) == [
        (at(26, 16), at(26, 17))
    ]


def test_group_schedule_cell_lists_all_day_first_then_events_and_bookings_by_start(
    client, clerk, section_head, org_tree
):
    from kiban.booking.actions import reserve

    make_event(clerk, "午後の窓口", at(26, 13), at(26, 14))
    make_event(clerk, "係内打合せ", at(26, 10), at(26, 11))
    make_event(clerk, "研修週間", dt.datetime(2026, 11, 26, tzinfo=TOKYO), dt.datetime(2026, 11, 27, tzinfo=TOKYO),
               all_day=True)  # fmt: skip
    room = ResourceFactory(name="第5会議室")
    reserve(resource_ids=[room.pk], ranges=[(at(26, 8), at(26, 9))], booked_by=clerk, purpose="準備")
    client.force_login(section_head)
    html = client.get("/calendar/group/", {"date": "2026-11-23"}).content.decode()
    cell = re.search(r"<tr[^>]*>(?:(?!</tr>).)*佐藤 花子.*?</tr>", html, re.S).group(0)
    day = re.search(r'<td class="gs-cell[^"]*" data-date="2026-11-26">(.*?)</td>', cell, re.S).group(1)
    titles = re.findall(r'<span class="ev-title">([^<]+)</span>', day)
    assert titles == ["研修週間", "第5会議室", "係内打合せ", "午後の窓口"]


def test_editing_one_occurrence_lands_on_that_occurrences_week(client, clerk):
    event = make_event(clerk, "定例会", at(23, 9), at(23, 10), rrule="FREQ=WEEKLY;COUNT=5")
    client.force_login(clerk)
    response = _edit(
        client, event, "20261207T000000Z", "this", title="定例会（延期）", start_date="2026-12-08",
        end_date="2026-12-08", start_time="09:00", end_time="10:00", repeat="weekly", count="5",
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == "/calendar/?view=week&date=2026-12-08"
    html = client.get(response["Location"]).content.decode()
    assert "定例会（延期）" in html


def test_feed_url_is_on_the_server_in_use_and_only_a_reissue_retires_an_earlier_one(client, clerk, settings):
    settings.BASE_URL_CONFIGURED = False
    client.force_login(clerk)
    first = client.post(
        "/calendar/settings/", {"action": "feed"}, HTTP_HOST="127.0.0.1:8105"
    ).content.decode()
    url = re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', first).group(1)
    assert re.fullmatch(r"http://127\.0\.0\.1:8105/calendar/feed/[\w-]+\.ics", url)
    assert "以前のURLは使えなくなりました" not in first
    again = client.post(
        "/calendar/settings/", {"action": "feed"}, HTTP_HOST="127.0.0.1:8105"
    ).content.decode()
    assert "以前のURLは使えなくなりました" in again
    # An administrator who set KIBAN_BASE_URL (a proxy in front) decides the public address.
    settings.BASE_URL_CONFIGURED, settings.BASE_URL = True, "https://kiban.pref.example.jp"
    third = client.post(
        "/calendar/settings/", {"action": "feed"}, HTTP_HOST="127.0.0.1:8105"
    ).content.decode()
    assert 'readonly value="https://kiban.pref.example.jp/calendar/feed/' in third


def test_closed_days_are_shaded_and_named_like_holidays_in_every_view(client, clerk, org_tree):
    from kiban.core.models import ClosedDay

    ClosedDay.objects.get_or_create(name="年末年始", month=12, day=29, year=None)
    ClosedDay.objects.create(name="県民の日", month=11, day=25, year=2026)
    client.force_login(clerk)
    week = client.get("/calendar/", {"date": "2026-12-29"}).content.decode()
    head = re.search(r'<div class="tg-dayhead ([^"]*)">\s*<a href="\?view=day&amp;date=2026-12-29"', week)
    assert "is-holiday" in head.group(1)
    assert '<span class="holiday-name">年末年始</span>' in week
    month = client.get("/calendar/", {"view": "month", "date": "2026-11-01"}).content.decode()
    assert "県民の日" in month
    group = client.get("/calendar/group/", {"date": "2026-11-23"}).content.decode()
    assert re.search(r'<th scope="col" class="gs-day is-holiday[^"]*" data-date="2026-11-25">', group)
    assert "県民の日" in group
    # Only in the year it was set for.
    assert "県民の日" not in client.get("/calendar/group/", {"date": "2027-11-22"}).content.decode()
    grid = client.get("/booking/", {"kind": "room", "date": "2026-12-29"}).content.decode()
    assert "年末年始" in grid


def test_headings_name_the_fiscal_year(client, clerk, org_tree):
    client.force_login(clerk)
    week = client.get("/calendar/", {"date": "2027-03-31"}).content.decode()
    assert '<span class="cal-sub">2027-03-29 – 2027-04-04 · 令和8年度・令和9年度</span>' in week
    month = client.get("/calendar/", {"view": "month", "date": "2026-11-01"}).content.decode()
    assert '<span class="cal-sub">2026-11 · 令和8年度</span>' in month
    group = client.get("/calendar/group/", {"date": "2026-11-23"}).content.decode()
    assert "2026-11-23 – 2026-11-29 · 令和8年度" in group


def test_a_car_booked_for_a_colleague_is_in_the_drivers_calendar_and_group_schedule(
    client, clerk, section_head, org_tree
):
    from kiban.booking.actions import reserve
    from kiban.booking.tests.factories import CarFactory, LicenceFactory

    car = CarFactory(name="公用車3号")
    LicenceFactory(staff=clerk)
    (booking,) = reserve(
        resource_ids=[car.pk], ranges=[(at(26, 13), at(26, 16))], booked_by=section_head, purpose="現地調査",
        car={"destination": "西部保健所", "driver": clerk},
    )  # fmt: skip
    client.force_login(clerk)
    html = client.get("/calendar/", {"view": "day", "date": "2026-11-26"}).content.decode()
    assert re.search(rf'<a class="ev cat-gray[^"]*" href="/booking/bookings/{booking.pk}"[^>]*>', html)
    assert "公用車3号 現地調査" in html
    assert client.get(f"/booking/bookings/{booking.pk}").status_code == 200
    group = client.get("/calendar/group/", {"date": "2026-11-23"}).content.decode()
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*佐藤 花子.*?</tr>", group, re.S).group(0)
    assert "公用車3号" in row
