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


def test_phone_directory_shows_kanji_names_so_namesakes_in_kana_are_told_apart(phone, clerk, org_tree):
    from conftest import _persona

    for username, family, given in (("300001", "渡辺", "恭子"), ("300002", "渡部", "京子")):
        _persona(
            org_tree["douro"], rank=90, username=username, family_name=family, given_name=given,
            family_name_kana="ワタナベ", given_name_kana="キョウコ", romaji="Watanabe Kyoko", title="主事",
        )  # fmt: skip
    sign_in(phone, clerk.username, PASSWORD)

    phone.goto("/directory/")
    phone.fill("#dir-q", "わたなべ きょうこ")
    phone.press("#dir-q", "Enter")
    phone.locator("#directory-results .person-main").nth(1).wait_for()
    names = phone.locator("#directory-results .person-name")
    # The kanji name is on screen at 360 px, not only the identical katakana.
    assert names.count() == 2
    assert all(names.nth(i).is_visible() for i in range(2))
    shown = sorted(n.replace(" ", "").replace("\u3000", "") for n in names.all_inner_texts())
    assert shown == ["渡辺恭子", "渡部京子"]

    # The department's member list shows them too.
    phone.goto(f"/directory/departments/{org_tree['douro'].pk}/")
    member = phone.locator(".members .person-name", has_text="渡部")
    assert member.is_visible()
    # The account menu still hides its name on a phone (the rule that was too broad).
    assert not phone.locator(".person-menu .person-name").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
