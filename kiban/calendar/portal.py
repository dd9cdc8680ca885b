"""The portal's 今日の予定 section: the person's own occurrences today (their private events in full —
someone else's private event they do not attend is not theirs and never appears), with the day in 和暦 and
its holiday or closed-day name."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiban.calendar.queries import events_for, local_day_bounds
from kiban.core.modules import PortalSection
from kiban.core.schemas import OutSchema, Timestamp
from kiban.core.wareki import holiday_name, wareki

MAX_SHOWN = 20


class TodayEventOut(OutSchema):
    id: int
    title: str
    start: Timestamp
    end: Timestamp
    all_day: bool
    location: str
    private: bool
    url: str


class TodayScheduleOut(OutSchema):
    date: dt.date
    wareki: str
    holiday: str | None
    events: list[TodayEventOut]
    more: bool


def panel(request) -> PortalSection:
    user = request.user
    today = timezone.localdate()
    start, end = local_day_bounds(today)
    occurrences = events_for([user.pk], start, end, user, include_declined=False)
    events = [
        TodayEventOut(
            id=o.event.pk, title=o.title, start=o.start, end=o.end, all_day=o.all_day, location=o.location,
            private=o.event.visibility == "private",
            url=reverse("calendar:event_detail", args=[o.event.pk]),
        )
        for o in occurrences[:MAX_SHOWN]
    ]  # fmt: skip
    return PortalSection(
        title=_("今日の予定"),
        template="calendar/portal.html",
        data=TodayScheduleOut(
            date=today,
            wareki=wareki(today, weekday=True),
            holiday=holiday_name(today),
            events=events,
            more=len(occurrences) > MAX_SHOWN,
        ),  # fmt: skip
        url=reverse("calendar:index"),
        count=len(occurrences),
    )
