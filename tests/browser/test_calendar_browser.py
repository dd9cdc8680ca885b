"""The calendar on a phone: book a meeting room from the group schedule, and the group grid scrolling
sideways with the names column pinned."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from kiban.accounts.tests.factories import PASSWORD
from kiban.booking.tests.factories import ResourceFactory
from tests.browser.helpers import sign_in


def _next_weekday(days_ahead: int = 7) -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=days_ahead)
    while day.weekday() >= 5 or (day.month, day.day) in ((11, 23), (11, 3)):
        day += dt.timedelta(days=1)
    return day


def test_phone_user_books_a_room_from_the_group_schedule(phone, clerk, section_head, org_tree):
    room = ResourceFactory(name="第1会議室", location="本庁舎3階", capacity=12)
    day = _next_weekday()
    monday = day - dt.timedelta(days=day.weekday())
    sign_in(phone, clerk.username, PASSWORD)

    phone.goto(f"/calendar/group/?date={monday:%Y-%m-%d}")
    assert phone.locator("h1").inner_text() == "グループスケジュール"
    # Tap the section head's empty cell on that day: a new event for them, that day.
    cell = phone.locator(f'tr[data-username="100001"] td[data-date="{day:%Y-%m-%d}"] a.gs-add')
    cell.scroll_into_view_if_needed()
    cell.click()
    phone.wait_for_url(re.compile(r"/calendar/events/new/\?"))
    assert phone.input_value("#id_start_date") == f"{day:%Y-%m-%d}"
    assert phone.input_value("#id_attendees") == "100001"
    assert phone.locator("#attendee-chips li", has_text="髙橋 一郎").count() == 1

    phone.fill("#id_title", "採用面接の打合せ")
    phone.fill("#id_start_time", "14:00")
    phone.fill("#id_end_time", "15:00")
    phone.dispatch_event("#id_end_time", "change")
    room_row = phone.locator(f'#rooms li[data-resource="{room.pk}"]')
    # The availability for the chosen time is shown before saving.
    room_row.locator(".room-status.is-free").wait_for()
    room_row.locator("input[type=checkbox]").check()
    with phone.expect_navigation():
        phone.click("#event-save")

    # Back on the group schedule of that week, the event is in both people's cells.
    assert "/calendar/group/" in phone.url
    for username in ("100001", "100002"):
        block = phone.locator(f'tr[data-username="{username}"] td[data-date="{day:%Y-%m-%d}"] .ev')
        assert block.inner_text().replace("\n", " ") == "14:00–15:00 採用面接の打合せ"
    # The room is booked for that hour (asked through the API, as the booking grid does).
    window = {
        "start": f"{day:%Y-%m-%d}T00:00:00+09:00",
        "end": f"{day + dt.timedelta(days=1):%Y-%m-%d}T00:00:00+09:00",
    }
    response = phone.request.get(f"/api/v1/resources/{room.pk}/availability", params=window)
    busy = response.json()["busy"]
    assert [(b["start"][11:16], b["end"][11:16], b["booked_by"]) for b in busy] == [
        ("14:00", "15:00", "100002")
    ]
    assert phone.csp.violations == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360


def test_group_grid_scrolls_sideways_with_names_pinned(phone, clerk, section_head, org_tree):
    sign_in(phone, clerk.username, PASSWORD)
    phone.goto("/calendar/group/")
    scroller = phone.locator("#group-schedule")
    name = phone.locator('tr[data-username="100002"] th.gs-name')
    assert name.inner_text().split("\n")[0] == "佐藤 花子"
    # The grid is wider than the phone; the page itself is not.
    assert scroller.evaluate("el => el.scrollWidth > el.clientWidth + 200")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    scroller.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    phone.wait_for_function("document.getElementById('group-schedule').scrollLeft > 200")
    box = name.bounding_box()
    container = scroller.bounding_box()
    # Still at the left edge of the grid, fully on screen.
    assert abs(box["x"] - container["x"]) <= 2
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    # The last day is now in view beside it.
    last_day = phone.locator('tr[data-username="100002"] td.gs-cell').last.bounding_box()
    assert last_day["x"] >= box["x"] + box["width"] - 1
    assert last_day["x"] + last_day["width"] <= container["x"] + container["width"] + 1
    assert phone.csp.violations == []


def test_phone_user_changes_one_occurrence_of_a_series(phone, clerk):
    from kiban.calendar import actions

    monday = _next_weekday()
    monday -= dt.timedelta(days=monday.weekday())
    start = timezone.make_aware(dt.datetime.combine(monday, dt.time(9, 0)))
    event = actions.do_create_event(
        clerk,
        {
            "title": "朝会",
            "start": start,
            "end": start + dt.timedelta(minutes=15),
            "rrule": "FREQ=DAILY;COUNT=5",
        },
    )
    wednesday = monday + dt.timedelta(days=2)
    sign_in(phone, clerk.username, PASSWORD)
    phone.goto(f"/calendar/?view=day&date={wednesday:%Y-%m-%d}")
    phone.locator(".tg-col a.ev", has_text="朝会").click()
    phone.wait_for_url(re.compile(rf"/calendar/events/{event.pk}/\?occurrence="))
    phone.locator("main").get_by_role("link", name="変更", exact=True).click()
    # "この予定のみ" is chosen: the parts that belong to the series are hidden; "すべて" shows them.
    assert phone.locator("#id_scope_0").is_checked()
    assert not phone.locator("#id_repeat").is_visible()
    phone.check("#id_scope_2")
    assert phone.locator("#id_repeat").is_visible()
    phone.check("#id_scope_0")
    phone.fill("#id_title", "朝会（会議室変更）")
    with phone.expect_navigation():
        phone.click("#event-save")
    phone.goto(f"/calendar/?view=week&date={monday:%Y-%m-%d}")
    titles = phone.locator(".tg-col .ev .ev-title").all_inner_texts()
    assert sorted(titles) == ["朝会", "朝会", "朝会", "朝会", "朝会（会議室変更）"]
    assert phone.csp.violations == []


def test_every_calendar_page_fits_a_phone(phone, clerk, section_head):
    from kiban.calendar import actions

    day = _next_weekday()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))
    event = actions.do_create_event(
        clerk,
        {
            "title": "とても長い件名の打合せ（令和9年度予算要求に向けた事前調整と資料確認）",
            "start": start,
            "end": start + dt.timedelta(hours=1),
            "attendees": ["100001"],
            "location": "本庁舎3階 第1会議室",
        },
        notify_attendees=False,
    )
    sign_in(phone, clerk.username, PASSWORD)
    pages = [
        f"/calendar/?view=day&date={day:%Y-%m-%d}",
        f"/calendar/?view=week&date={day:%Y-%m-%d}",
        f"/calendar/?view=month&date={day:%Y-%m-%d}",
        f"/calendar/u/100001/?view=week&date={day:%Y-%m-%d}",
        f"/calendar/group/?date={day:%Y-%m-%d}",
        f"/calendar/events/new/?date={day:%Y-%m-%d}",
        f"/calendar/events/{event.pk}/",
        f"/calendar/events/{event.pk}/edit/",
        "/calendar/settings/",
    ]
    for path in pages:
        phone.goto(path)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360, path
    # Opened without a view, the calendar shows one day on a phone.
    phone.goto("/calendar/")
    phone.wait_for_url(re.compile(r"view=day"))
    assert phone.locator(".tg.days-1").count() == 1
    assert phone.csp.violations == []


def test_the_finder_fills_in_the_first_time_everyone_is_free(phone, clerk, section_head):
    from kiban.calendar import actions

    day = _next_weekday()
    busy = timezone.make_aware(dt.datetime.combine(day, dt.time(8, 30)))
    actions.do_create_event(
        section_head, {"title": "課長会議", "start": busy, "end": busy + dt.timedelta(minutes=90)}
    )
    sign_in(phone, clerk.username, PASSWORD)
    phone.goto(f"/calendar/events/new/?date={day:%Y-%m-%d}&attendee=100001")
    phone.click("#find-time")
    first = phone.locator("#finder-results button").first
    first.wait_for()
    assert first.inner_text().endswith("10:00–11:00")
    first.click()
    assert [
        phone.input_value(f"#id_{name}") for name in ("start_date", "start_time", "end_date", "end_time")
    ] == [
        f"{day:%Y-%m-%d}",
        "10:00",
        f"{day:%Y-%m-%d}",
        "11:00",
    ]
    assert phone.csp.violations == []
