"""Sign in on a phone, find a colleague by kana, open the profile, call them."""

from __future__ import annotations

import re

from kiban.accounts.tests.factories import PASSWORD
from tests.browser.helpers import sign_in


def test_phone_user_finds_colleague_by_hiragana_and_opens_profile_with_call_link(
    phone, clerk, section_head, other_clerk
):
    sign_in(phone, clerk.username, PASSWORD)
    assert not phone.url.endswith("/login")

    phone.goto("/directory/")
    # 髙橋's kana is stored in katakana (タカハシ); the search is typed in hiragana.
    phone.fill("#dir-q", "たかはし")
    phone.press("#dir-q", "Enter")
    result = phone.locator("#directory-results .person-main", has_text="髙橋")
    result.wait_for()
    assert phone.locator("#directory-results .person-main").count() == 1
    result.click()

    phone.wait_for_url(re.compile(r"/directory/staff/100001/$"))
    assert phone.locator("h1").inner_text().replace(" ", "").replace("\u3000", "") == "髙橋一郎"
    call = phone.locator('a[href="tel:2101"]').first
    assert call.is_visible()
    # Nothing on the way was refused by the Content-Security-Policy (no inline script or style).
    assert phone.csp.violations == []
    # The page fits the phone: no horizontal scrolling.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
