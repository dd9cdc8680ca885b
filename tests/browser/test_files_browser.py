"""Files and surveys on a phone (360 px): drag-and-drop-style uploads through the page's script (one of them
resumable, in chunks), the PDF preview drawn by the vendored PDF.js under the CSP, answering a survey and an
inquiry."""

from __future__ import annotations

import io

from kiban.accounts.tests.factories import PASSWORD
from kiban.files import actions
from kiban.files.models import File
from kiban.surveys import actions as survey_actions
from kiban.surveys import inquiries
from kiban.surveys.models import InquiryTarget
from kiban.surveys.results import compute
from tests.browser.helpers import sign_in


def _pdf() -> bytes:
    """A one-page PDF with Japanese text, drawn by Pillow (no PDF library needed)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (600, 400), "white")
    ImageDraw.Draw(image).rectangle((50, 50, 550, 350), outline="black", width=8)
    out = io.BytesIO()
    image.save(out, "PDF")
    return out.getvalue()


def test_phone_uploads_files_and_previews_a_pdf(phone, clerk, settings):
    settings.KIBAN_FILES_MAX_REQUEST_UPLOAD_BYTES = 100 * 1024  # so the larger file goes in chunks
    settings.KIBAN_FILES_CHUNK_BYTES = 64 * 1024
    root = actions.personal_root(clerk)
    sign_in(phone, clerk.username, PASSWORD)
    phone.goto(f"/files/folders/{root.pk}/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    big = bytes(range(256)) * 1200  # 300 KiB: five chunks
    with phone.expect_navigation():
        phone.set_input_files("#fl-input", [
            {"name": "会議　資料.txt", "mimeType": "text/plain", "buffer": "議題\n".encode()},
            {"name": "測量データ.bin", "mimeType": "application/octet-stream", "buffer": big},
            {"name": "報告書.pdf", "mimeType": "application/pdf", "buffer": _pdf()},
        ])  # fmt: skip
    assert sorted(File.objects.values_list("name", flat=True)) == [
        "会議　資料.txt",
        "報告書.pdf",
        "測量データ.bin",
    ]
    assert File.objects.get(name="測量データ.bin").size == len(big)
    pdf = File.objects.get(name="報告書.pdf")
    phone.goto(f"/files/{pdf.pk}/")
    phone.wait_for_selector("canvas.fl-page")
    assert phone.evaluate("document.querySelector('canvas.fl-page').width") > 100
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert phone.csp.violations == []


def test_phone_answers_a_survey_and_an_inquiry(phone, clerk, section_head, it_admin, org_tree):
    survey = survey_actions.do_create_survey(section_head, title="研修アンケート", questions=[
        {"kind": "single", "text": "参加しますか", "choices": ["はい", "いいえ"], "required": True},
        {"kind": "scale", "text": "満足度"},
        {"kind": "text", "text": "ご意見"},
    ], audience_spec={"all": True}, anonymous=True)  # fmt: skip
    inquiry = inquiries.do_send_inquiry(
        it_admin, title="端末調査", body="台数を回答", departments=[org_tree["jinji"].pk]
    )
    sign_in(phone, clerk.username, PASSWORD)
    phone.goto("/surveys/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.click("text=研修アンケート")
    phone.check("input[value=はい]")
    phone.fill("textarea", "とても役立ちました")
    with phone.expect_navigation():
        phone.click("button.sv-submit")
    assert "回答しました" in phone.content()
    assert compute(survey).questions[0].counts == [("はい", 1), ("いいえ", 0)]
    phone.goto(f"/inquiries/{inquiry.pk}/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.fill("textarea[name=body]", "12台です")
    with phone.expect_navigation():
        phone.click("button.sv-submit")
    assert InquiryTarget.objects.get().body == "12台です"
    assert phone.csp.violations == []
