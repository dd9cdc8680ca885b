"""The alcohol-check log as CSV for the fleet manager: UTF-8 with a BOM so Excel reads the Japanese."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.booking.models import AlcoholCheck


def alcohol_log_headers() -> list[str]:
    return [
        _("確認日時"), _("区分"), _("運転者職員番号"), _("運転者氏名"), _("確認者職員番号"), _("確認者氏名"),
        _("確認方法"), _("検知器使用"), _("測定値(mg/L)"), _("結果"), _("公用車"), _("登録番号"), _("行先"),
        _("備考"),
    ]  # fmt: skip


def alcohol_log_csv(checks: Iterable[AlcoholCheck]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(alcohol_log_headers())
    for c in checks:
        resource = c.booking.resource
        reading = "" if c.reading is None else f"{c.reading:.3f}"  # a number we format: left as a number
        text = [
            c.get_kind_display(), c.driver.username, c.driver.full_name, c.checker.username,
            c.checker.full_name, c.get_method_display(), _("有") if c.detector_used else _("無"),
        ]  # fmt: skip
        after = [
            c.get_result_display(), resource.name, resource.plate_number, c.booking.destination, c.notes,
        ]  # fmt: skip
        writer.writerow(
            [
                f"{timezone.localtime(c.checked_at):%Y-%m-%d %H:%M}",
                *[_csv_safe(cell) for cell in text],
                reading,
                *[_csv_safe(cell) for cell in after],
            ]
        )
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


# Leading characters that make Excel, LibreOffice or Google Sheets read a cell as a formula (CSV injection):
# = + - @, a tab or a line break before one of them, and their full-width forms (a Japanese IME types ＝,
# which Excel converts to = on entry).
_FORMULA_STARTS = frozenset("=+-@\t\r\n＝＋－＠")
# Spaces a spreadsheet skips before it looks for the formula sign.
_SKIPPED = " \u3000"


def _csv_safe(text: str) -> str:
    """Every text cell of the export: prefixed with ' when a spreadsheet would run it as a formula."""
    text = text or ""
    return "'" + text if text.lstrip(_SKIPPED)[:1] in _FORMULA_STARTS else text
