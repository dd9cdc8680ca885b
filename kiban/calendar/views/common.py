"""What the calendar pages share: reading dates from the query string, labels of periods, links."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.calendar import queries
from kiban.calendar.models import EventException
from kiban.core.wareki import nendo_range, wareki_year

VIEWS = ("day", "week", "month")
GROUP_DAYS = 7


def parse_date(value: str | None, default: dt.date | None = None) -> dt.date:
    """A `YYYY-MM-DD` query parameter; anything else means today (a bookmark with a typo still opens)."""
    try:
        day = dt.date.fromisoformat((value or "").strip()[:10])
    except ValueError:
        return default or timezone.localdate()
    # Far-off years would overflow date arithmetic (a week on from 9999-12-31); nobody plans there.
    return day if 1900 <= day.year <= 2200 else (default or timezone.localdate())


def local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def month_label(day: dt.date) -> str:
    return _("%(wareki)s%(month)d月") % {"wareki": wareki_year(day), "month": day.month}


def seireki(start: dt.date, end: dt.date | None = None) -> str:
    """The period in 西暦 and its 年度 (the year offices plan and report by)."""
    fiscal = nendo_range(start, end)
    if end is None or end == start:
        return f"{start:%Y-%m-%d} · {fiscal}"
    return f"{start:%Y-%m-%d} – {end:%Y-%m-%d} · {fiscal}"


def page_url(path: str, **params) -> str:
    return f"{path}?{urlencode({k: v for k, v in params.items() if v})}"


def booking_url(booking_id: int) -> str:
    return reverse("booking:detail", args=[booking_id])


def occurrence_of(event, moment: dt.datetime | None):
    """The occurrence of `event` that starts (originally) at `moment`, exceptions applied; None when the
    series has no such occurrence. Without `moment`: the event itself."""
    if moment is None or not event.is_recurring:
        return queries.Occurrence(
            event=event,
            start=event.start,
            end=event.end,
            occurrence_start=None,
            title=event.title,
            location=event.location,
            description=event.description,
            all_day=event.all_day,
        )
    changed = EventException.objects.filter(event=event, recurrence_id=moment).first()
    if changed is not None:
        if changed.cancelled:
            return None
        return queries.Occurrence(
            event=event,
            start=changed.start,
            end=changed.end,
            occurrence_start=moment,
            title=changed.title,
            location=changed.location,
            description=changed.description,
            all_day=changed.all_day,
        )
    if not queries.is_rule_start(event, moment):
        return None
    return queries.Occurrence(
        event=event,
        start=moment,
        end=moment + (event.end - event.start),
        occurrence_start=moment,
        title=event.title,
        location=event.location,
        description=event.description,
        all_day=event.all_day,
    )
