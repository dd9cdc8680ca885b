"""Reads of the calendar used by the pages, the API, the booking module's callers and the portal.

Signatures (stable; the calendar-web engineer builds on them):

- `events_for(user_ids, start, end, viewer) -> list[Occurrence]`
  Every occurrence (recurrences expanded, exceptions applied) of events organised or attended by any of
  `user_ids` that overlaps [start, end), sorted by start. Visibility is applied for `viewer`: another
  person's private event (viewer neither organiser nor attendee) comes back reduced (`occ.reduced` true,
  title 予定あり, no location/description/attendees). `occ.owner_ids` says for which of `user_ids` it is.
- `group_schedule(department, start, days, viewer) -> GroupSchedule`
  The department's members in organisation order (heads, rank, 五十音) with their title, and for each member
  the occurrences (and their own standalone bookings, as busy blocks) of the `days` days from `start`
  (a date). `GroupSchedule.days` lists the dates with holiday names.
- `freebusy(user_ids, start, end) -> dict[int, list[tuple[datetime, datetime]]]`
  Busy intervals per person, merged and clipped to the window; private events are just busy.
- `find_meeting_times(user_ids, duration, start, end, resource_id=None, limit=5) -> list[tuple[dt, dt]]`
  The first free slots of `duration` when every person (and the resource) is free, inside working hours
  (CalendarPolicy, default 8:30–17:15), skipping weekends and public holidays.

`start`/`end` are aware datetimes; an Occurrence's `start`/`end` are aware (UTC from the database; convert
with `timezone.localtime`). An all-day occurrence runs 00:00 Asia/Tokyo to 00:00 of the day after its last day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kiban.calendar.models import Event


@dataclass
class Occurrence:
    event: Event
    start: dt.datetime
    end: dt.datetime
    # The original start of this occurrence in its series (RECURRENCE-ID), None for a single event.
    occurrence_start: dt.datetime | None
    title: str
    location: str = ""
    description: str = ""
    all_day: bool = False
    reduced: bool = False
    owner_ids: set[int] = field(default_factory=set)

    @property
    def event_id(self) -> int:
        return self.event.pk
