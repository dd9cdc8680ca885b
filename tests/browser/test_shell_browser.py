"""The shell on a phone: the bottom navigation fits 360 px in both languages."""

from __future__ import annotations

import pytest

from kiban.accounts.tests.factories import PASSWORD
from tests.browser.helpers import sign_in

NAV_BOXES = """() => [...document.querySelectorAll('.nav .nav-item')].filter(a => a.getClientRects().length).map(a => {
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
    # Five places: the first four entries and "その他", which opens the rest.
    assert len(boxes) == 5
    for box in boxes:
        assert box["left"] >= 0 and box["right"] <= 360, box
        assert box["itemLeft"] >= 0 and box["itemRight"] <= 360, box
        assert not box["clipped"], box
    for before, after in zip(boxes, boxes[1:], strict=False):
        assert before["right"] <= after["left"], (before, after)
    shown = [box["text"] for box in boxes]
    if english:
        assert shown == ["Portal", "Chat", "Schedule", "Booking", "More"]
    else:
        assert shown == ["ポータル", "チャット", "予定", "施設予約", "その他"]
    # The rest are one tap away, with their full names, and every one of them fits the screen.
    phone.click(".nav-more > summary")
    menu = phone.locator(".nav-more-menu a")
    names = menu.all_inner_texts()
    expected = (
        ["Bulletin board", "Staff directory", "File", "Presence", "Surveys", "Safety check", "Admin"]
        if english
        else ["掲示板", "職員録", "ファイル", "在席", "アンケート", "安否確認", "管理"]
    )
    for name in expected:
        assert any(name in text for text in names), (name, names)
    for handle in menu.element_handles():
        box = handle.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360, box
    directory = phone.locator('.nav-more-menu a[data-more-section="directory"]')
    with phone.expect_navigation():
        directory.click()
    assert "/directory/" in phone.url
    assert phone.locator('.nav-more-menu a[data-more-section="directory"][aria-current="page"]').count() == 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
