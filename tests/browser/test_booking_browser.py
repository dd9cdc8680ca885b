"""Book a car on a phone: the day list, the form with car fields, the booking; and the PC grid."""

from __future__ import annotations

import re

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
