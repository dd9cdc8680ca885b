"""Book a car on a phone: the day list, the form with car fields, the booking; and the PC grid."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from kiban.accounts.tests.factories import PASSWORD
from kiban.booking.models import Booking
from kiban.booking.tests.factories import (
    BookingFactory,
    CarFactory,
    LicenceFactory,
    ResourceFactory,
    next_weekday,
    tokyo,
)
from tests.browser.helpers import sign_in


def test_phone_user_books_a_car_from_the_day_list(phone, clerk, other_clerk):
    car = CarFactory(name="公用車1号")
    LicenceFactory(staff=clerk)
    day = next_weekday()
    BookingFactory(
        resource=car,
        booked_by=other_clerk,
        driver=other_clerk,
        destination="東部",
        start=tokyo(day, 9),
        end=tokyo(day, 12),
    )
    sign_in(phone, clerk.username, PASSWORD)

    phone.goto(f"/booking/?kind=car&date={day.isoformat()}")
    row = phone.locator(".bk-row", has_text="公用車1号")
    assert row.locator(".bk-busy").inner_text().startswith("09:00–12:00")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    row.locator(".bk-book-phone").click()

    phone.wait_for_url(re.compile(rf"/booking/resources/{car.pk}/new"))
    phone.fill("input[name=start_time]", "09:30")
    phone.fill("input[name=end_time]", "10:30")
    phone.fill("input[name=destination]", "西部保健所")
    phone.click("form.bk-form button[type=submit]")
    assert "その時間は既に予約されています" in phone.locator(".field-error").first.inner_text()

    phone.fill("input[name=start_time]", "13:00")
    phone.fill("input[name=end_time]", "17:00")
    with phone.expect_navigation():
        phone.click("form.bk-form button[type=submit]")
    assert "1件の予約をしました" in phone.locator(".flash").inner_text()
    booking = Booking.objects.get(booked_by=clerk)
    assert (booking.start, booking.destination, booking.driver_id) == (tokyo(day, 13), "西部保健所", clerk.pk)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert phone.csp.violations == []


def test_pc_grid_places_a_booking_in_its_hours_and_a_free_slot_opens_the_form(
    browser, live_server, clerk, other_clerk
):
    room = ResourceFactory(name="第1会議室")
    day = next_weekday()
    BookingFactory(
        resource=room, booked_by=other_clerk, purpose="協議", start=tokyo(day, 10), end=tokyo(day, 12)
    )
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="ja-JP", base_url=live_server.url
    )
    page = context.new_page()
    try:
        sign_in(page, clerk.username, PASSWORD)
        page.goto(f"/booking/?kind=room&date={day.isoformat()}")
        track = page.locator(".bk-row", has_text="第1会議室").locator(".bk-track").bounding_box()
        busy = page.locator(".bk-busy").bounding_box()
        # 07:00–21:00 across the track: 10:00–12:00 sits at 3/14 and spans 2/14 of it.
        assert abs((busy["x"] - track["x"]) / track["width"] - 3 / 14) < 0.01
        assert abs(busy["width"] / track["width"] - 2 / 14) < 0.01
        page.locator(".bk-row", has_text="第1会議室").locator('a.bk-free[href$="start=14:00"]').click()
        page.wait_for_url(re.compile(r"/new\?"))
        assert page.input_value("input[name=start_time]") == "14:00"
    finally:
        context.close()


def test_phone_reads_the_alcohol_check_log_and_licences_as_cards_without_sideways_scroll(
    phone, clerk, other_clerk, section_head, org_tree
):
    from decimal import Decimal

    from django.utils import timezone

    from kiban.booking import fleet
    from kiban.booking.tests.factories import FleetManagerFactory

    car = CarFactory(name="公用車1号", department=org_tree["jinji"])
    LicenceFactory(staff=other_clerk)
    day = timezone.localdate()
    booking = BookingFactory(
        resource=car, booked_by=other_clerk, driver=other_clerk, destination="西部保健所",
        start=tokyo(day, 0, 0), end=tokyo(day, 23, 59),
    )  # fmt: skip
    for kind in ("before", "after"):
        fleet.do_record_alcohol_check(
            section_head, booking, kind=kind, method="face_to_face", result="negative", reading=Decimal("0")
        )
    FleetManagerFactory(staff=clerk, department=None)
    sign_in(phone, clerk.username, PASSWORD)

    for path, rows in (("/booking/fleet", 2), ("/booking/fleet/licences", 1)):
        phone.goto(path)
        cards = phone.locator("table.cards tbody tr")
        assert cards.count() == rows
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360, path
        first = cards.first.bounding_box()
        assert first["x"] >= 0 and first["x"] + first["width"] <= 360, path
        # Each value sits beside its column's name, on a line wide enough to read (not one character a line).
        cell = cards.first.locator("td").nth(2)
        label = phone.evaluate("c => getComputedStyle(c, '::before').content", cell.element_handle())
        assert label == ('"運転者"' if path == "/booking/fleet" else '"番号下4桁"'), path
        assert cell.bounding_box()["width"] > 300
    phone.goto("/booking/fleet")
    assert "渡邊 健" in phone.locator("table.cards tbody tr").first.inner_text()
    assert phone.csp.violations == []


def test_phone_picks_driver_and_passengers_by_name_kana_and_romaji_with_the_keyboard(
    phone, clerk, other_clerk, section_head
):
    car = CarFactory(name="公用車2号")
    LicenceFactory(staff=other_clerk)
    day = next_weekday()
    sign_in(phone, clerk.username, PASSWORD)
    phone.goto(f"/booking/resources/{car.pk}/new?date={day.isoformat()}")
    phone.fill("input[name=start_time]", "13:00")
    phone.fill("input[name=end_time]", "15:00")
    phone.fill("input[name=destination]", "西部保健所")

    driver = phone.locator("#id_driver-value + .person-picker")
    # The booker is the default driver, shown by name, not by 職員番号.
    expect(driver.locator(".person-chips li")).to_have_text(re.compile("^佐藤 花子"))
    driver.get_by_role("button", name="佐藤 花子 を外す").click()
    box = phone.locator("#id_driver")
    assert box.get_attribute("role") == "combobox"
    box.press_sequentially("わたなべ")
    expect(phone.locator("#id_driver-options li[role=option]").first).to_contain_text("渡邊 健")
    box.press("Enter")  # picks the highlighted person; does not submit
    expect(driver.locator(".person-chips li")).to_have_text(re.compile("^渡邊 健"))

    passengers = phone.locator("#id_passengers")
    passengers.press_sequentially("takahashi")
    option = phone.locator("#id_passengers-options li[role=option]", has_text="髙橋 一郎")
    expect(option).to_be_visible()
    option.click()
    assert phone.locator("input[name=passengers]").input_value() == "100001"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    with phone.expect_navigation():
        phone.click("form.bk-form button[type=submit]")
    booking = Booking.objects.get(resource=car)
    assert booking.driver_id == other_clerk.pk
    assert booking.passengers == [section_head.pk]
    assert phone.csp.violations == []


def test_server_still_accepts_usernames_typed_without_the_picker(client, clerk, other_clerk):
    car = CarFactory(name="公用車3号")
    LicenceFactory(staff=other_clerk)
    day = next_weekday()
    client.force_login(clerk)
    response = client.post(
        f"/booking/resources/{car.pk}/new",
        {
            "date": day.isoformat(), "start_time": "09:00", "end_time": "10:00", "purpose": "現地調査",
            "destination": "東部", "driver": "500001", "passengers": "100002",
        },
    )  # fmt: skip
    assert response.status_code == 302
    booking = Booking.objects.get(resource=car)
    assert (booking.driver_id, booking.passengers) == (other_clerk.pk, [clerk.pk])
