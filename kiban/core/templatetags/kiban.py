"""Template filters every module uses to show dates to people: 和暦 and public holidays."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

from kiban.core.wareki import holiday_name, nendo, wareki

register = template.Library()


def _as_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    return None


@register.filter(name="wareki")
def wareki_filter(value, arg: str = "") -> str:
    """{{ date|wareki }} → 令和8年11月26日; {{ date|wareki:"weekday" }} → 令和8年11月26日(木)."""
    date = _as_date(value)
    if date is None:
        return ""
    return wareki(date, weekday=arg == "weekday")


@register.filter(name="holiday")
def holiday_filter(value) -> str:
    date = _as_date(value)
    return (holiday_name(date) or "") if date else ""


@register.filter(name="wareki_datetime")
def wareki_datetime_filter(value, arg: str = "") -> str:
    """{{ dt|wareki_datetime }} → 令和8年11月26日 18:34 (local time); {{ dt|wareki_datetime:"seconds" }} →
    令和8年11月26日 18:34:05."""
    if not isinstance(value, dt.datetime):
        return wareki_filter(value)
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return (
        f"{wareki(local.date())} {local:%H:%M:%S}"
        if arg == "seconds"
        else f"{wareki(local.date())} {local:%H:%M}"
    )


@register.filter(name="nendo")
def nendo_filter(value) -> str:
    """{{ date|nendo }} → 令和8年度 (April to March)."""
    date = _as_date(value)
    return nendo(date) if date else ""
