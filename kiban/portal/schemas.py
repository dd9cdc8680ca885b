from __future__ import annotations

import datetime as dt
from typing import Any

from kiban.core.schemas import OutSchema


class HolidayOut(OutSchema):
    date: dt.date
    wareki: str
    name: str


class TodayOut(OutSchema):
    date: dt.date
    wareki: str
    holiday: str | None
    weekend: bool
    upcoming_holidays: list[HolidayOut]


class PanelOut(OutSchema):
    """One module's section: `data` is that module's own panel schema (see each `<app>/portal.py`)."""

    title: str
    url: str
    count: int | None
    data: dict[str, Any]


class PortalOut(OutSchema):
    """The person's dashboard: today, and one key per section shown (in the portal's order)."""

    today: TodayOut
    order: list[str]
    panels: dict[str, PanelOut]
    counts: dict[str, int]
