from __future__ import annotations

import datetime as dt
import uuid

from kiban.calendar import fields
from kiban.calendar.models import Attendee, Event
from kiban.core.recurrence import TOKYO


def tokyo(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TOKYO)


def make_event(
    organizer, start: dt.datetime, end: dt.datetime | None = None, *, attendees=(), **values
) -> Event:
    """An event stored directly (window fields computed), for tests that are not about creating events."""
    event = Event(
        organizer=organizer,
        title=values.pop("title", "打合せ"),
        start=start,
        end=end or start + dt.timedelta(hours=1),
        uid=values.pop("uid", f"{uuid.uuid4()}@test"),
        **values,
    )
    fields.refresh_window(event)
    event.save()
    for person in attendees:
        Attendee.objects.create(
            event=event,
            staff=person,
            start=event.start,
            series_end=event.series_end,
            long_running=event.long_running,
        )
    return event
