"""Closed days (閉庁日) as the calendars read them: a small table kept in memory.

A calendar shades every day it shows, so the table is read once and kept for a minute; an administrator's
change clears it in the process that saved it, and other processes see it within that minute.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from django.apps import apps
from django.db import DatabaseError

TTL_SECONDS = 60
_lock = threading.Lock()
_state: dict = {"loaded_at": 0.0, "days": None}


def clear() -> None:
    with _lock:
        _state["days"] = None


def _days() -> dict[tuple[int, int, int], str]:
    with _lock:
        days = _state["days"]
        if days is not None and time.monotonic() - _state["loaded_at"] < TTL_SECONDS:
            return days
    # Through the registry, not an import: kiban.core.models clears this cache when a day is saved.
    ClosedDay = apps.get_model("core", "ClosedDay")  # noqa: N806
    try:
        rows = list(ClosedDay.objects.values_list("year", "month", "day", "name"))
    except DatabaseError:  # before migrations (the first `kiban serve`): no closed days yet
        return {}
    days = {(year or 0, month, day): name for year, month, day, name in rows}
    with _lock:
        _state["days"], _state["loaded_at"] = days, time.monotonic()
    return days


def closed_day_name(date: dt.date) -> str | None:
    days = _days()
    return days.get((date.year, date.month, date.day)) or days.get((0, date.month, date.day))
