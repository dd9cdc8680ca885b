"""和暦 (Japanese era) dates for people, and public holidays (jpholiday)."""

from __future__ import annotations

import datetime as dt

import jpholiday
from django.utils.translation import get_language

from kiban.core.closed_days import closed_day_name

_ERAS = [
    (dt.date(2019, 5, 1), "令和"),
    (dt.date(1989, 1, 8), "平成"),
    (dt.date(1926, 12, 25), "昭和"),
    (dt.date(1912, 7, 30), "大正"),
    (dt.date(1868, 10, 23), "明治"),
]
_WEEKDAYS_JA = "月火水木金土日"


def era(date: dt.date) -> tuple[str, int]:
    for start, name in _ERAS:
        if date >= start:
            return name, date.year - start.year + 1
    return "", date.year


def wareki_year(date: dt.date) -> str:
    name, year = era(date)
    return f"{name}{'元' if year == 1 else year}年" if name else f"{date.year}年"


def wareki(date: dt.date, *, weekday: bool = False) -> str:
    """令和8年11月26日 (木); English interface: 26 Nov 2026 (R8)."""
    if isinstance(date, dt.datetime):
        date = date.date()
    if (get_language() or "ja").startswith("en"):
        name, year = era(date)
        text = f"{date:%-d %b %Y}"
        return f"{text} ({date:%a})" if weekday else text
    text = f"{wareki_year(date)}{date.month}月{date.day}日"
    if weekday:
        text += f"({_WEEKDAYS_JA[date.weekday()]})"
    return text


def wareki_datetime(moment: dt.datetime, *, weekday: bool = False) -> str:
    """A moment as people read it everywhere (pages, notifications, emails, clash messages): local time,
    令和8年11月26日 18:34 (with the weekday: 令和8年11月26日(木) 18:34)."""
    from django.utils import timezone

    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    return f"{wareki(local.date(), weekday=weekday)} {local:%H:%M}"


def holiday_name(date: dt.date) -> str | None:
    """The national holiday, or else the organisation's closed day (年末年始…, kiban.core.closed_days)."""
    return jpholiday.is_holiday_name(date) or closed_day_name(date)


def fiscal_year(date: dt.date) -> int:
    """年度: April to March."""
    return date.year if date.month >= 4 else date.year - 1


def nendo(date: dt.date) -> str:
    """The 年度 a date falls in: 令和8年度 (April 2026 to March 2027); English: FY2026. A year that changed
    era is named by the new era (2019年度 = 令和元年度), as the ministries do."""
    year = fiscal_year(date)
    if (get_language() or "ja").startswith("en"):
        return f"FY{year}"
    last_day = dt.date(year + 1, 3, 31)
    for start, name in _ERAS:
        if last_day >= start:
            number = year - start.year + 1
            return f"{name}{'元' if number == 1 else number}年度"
    return f"{year}年度"


def nendo_range(start: dt.date, end: dt.date | None = None) -> str:
    """令和8年度, or 令和7年度・令和8年度 for a period that crosses 1 April."""
    first = nendo(start)
    last = nendo(end) if end is not None else first
    return first if first == last else f"{first}・{last}"
