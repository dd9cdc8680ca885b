"""The shell on a phone: the bottom navigation fits 360 px in both languages."""

from __future__ import annotations

import pytest

from kiban.accounts.tests.factories import PASSWORD
from tests.browser.helpers import sign_in

NAV_BOXES = """() => [...document.querySelectorAll('.nav .nav-item')].map(a => {
  const label = a.querySelector('.nav-short'); const r = label.getBoundingClientRect(); const item = a.getBoundingClientRect();
  return {text: label.innerText, left: r.left, right: r.right, itemLeft: item.left, itemRight: item.right,
          clipped: label.scrollWidth > label.clientWidth + 1, name: a.innerText};
})"""


def _switch_to_english(phone) -> None:
    phone.click(".person-menu summary")
    with phone.expect_navigation():
        phone.click(".lang-switch button[value=en]")


@pytest.mark.parametrize("english", [True, False], ids=["en", "ja"])
def test_bottom_navigation_labels_fit_a_phone_without_overlap(phone, it_admin, english):
    # The IT administrator has the most entries (管理 too).
    sign_in(phone, it_admin.username, PASSWORD)
    if english:
        _switch_to_english(phone)
        assert phone.evaluate("document.documentElement.lang") == "en"
    boxes = phone.evaluate(NAV_BOXES)
    assert len(boxes) == 8
    for box in boxes:
        assert box["left"] >= 0 and box["right"] <= 360, box
        assert box["itemLeft"] >= 0 and box["itemRight"] <= 360, box
        assert not box["clipped"], box
    for before, after in zip(boxes, boxes[1:], strict=False):
        assert before["right"] <= after["left"], (before, after)
    shown = [box["text"] for box in boxes]
    if english:
        assert shown == ["Portal", "Chat", "Schedule", "Booking", "People", "Files", "Surveys", "Admin"]
    else:
        assert shown == [
            "ポータル",
            "チャット",
            "予定",
            "施設予約",
            "職員録",
            "ファイル",
            "アンケート",
            "管理",
        ]
    # The full label stays the link's accessible name (screen readers, tooltips).
    directory = phone.locator('.nav-item[data-section="directory"]')
    assert directory.get_attribute("aria-hidden") is None
    assert ("Staff directory" if english else "職員録") in directory.locator(".nav-label").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
