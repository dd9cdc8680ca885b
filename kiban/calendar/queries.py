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
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import F, Q
from django.db.models.base import ModelState
from django.utils.translation import gettext as _

from kiban.booking.queries import bookings_of, busy_ranges
from kiban.calendar.models import MAX_SHORT_SPAN, Attendee, CalendarPolicy, Event, EventException
from kiban.core import recurrence
from kiban.core.wareki import holiday_name
from kiban.org.queries import department_members

TOKYO = recurrence.TOKYO
Interval = tuple[dt.datetime, dt.datetime]


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
    pending: bool = False  # a room of this occurrence still waits for approval (see mark_pending)
    # What the event says about its people's whereabouts (`occurrences_at`): "leave", "trip" or "".
    category: str = ""

    @property
    def event_id(self) -> int:
        return self.event.pk


def _short(qs, field_prefix: str, start: dt.datetime, end: dt.datetime):
    """Rows of short single events that can overlap [start, end): one bounded index range."""
    return qs.filter(
        **{
            # `__in`, not `=False`: Django writes `= False` as `NOT long_running`, which no index can seek.
            f"{field_prefix}long_running__in": [False],
            f"{field_prefix}start__gte": start - MAX_SHORT_SPAN,
            f"{field_prefix}start__lt": end,
        }
    )


def _long(qs, field_prefix: str, start: dt.datetime, end: dt.datetime):
    return qs.filter(
        Q(**{f"{field_prefix}series_end__isnull": True}) | Q(**{f"{field_prefix}series_end__gte": start}),
        **{f"{field_prefix}long_running__in": [True], f"{field_prefix}start__lt": end},
    )


# What the grids and free/busy read of an event; the API's listing loads every field (`detail`).
# `sequence`, `uid` and `meeting_url` are small and every API occurrence carries them: left deferred, the
# group schedule API loaded them one query each (three per occurrence: 960 queries for 20 people's week).
GRID_FIELDS = (
    "id", "organizer_id", "title", "location", "color", "visibility", "all_day", "start", "end",
    "rrule", "tzid", "exdates", "rdates", "sequence", "uid", "meeting_url",
)  # fmt: skip


_GRID_ATTNAMES = [
    "id", "organizer_id", "title", "location", "color", "visibility", "all_day", "start", "end",
    "rrule", "tzid", "exdates", "rdates", "sequence", "uid", "meeting_url",
]  # fmt: skip


def _grid_instances(qs) -> list[Event]:
    """Events with GRID_FIELDS loaded (others load on access, as with .only()), built from value rows: the
    week grid reads hundreds of events, and Model.__init__ (signals, per-field defaults) was a third of its
    time. Same result as `qs.only(*GRID_FIELDS)`."""
    db = qs.db
    result = []
    for row in qs.values_list(*_GRID_ATTNAMES, "organizer__username"):
        event = Event.__new__(Event)
        values = event.__dict__
        values.update(zip(_GRID_ATTNAMES, row, strict=False))
        values["organizer_username"] = row[-1]
        state = ModelState()
        state.adding = False
        state.db = db
        values["_state"] = state
        result.append(event)
    return result


def window_events(
    user_ids: Iterable[int],
    start: dt.datetime,
    end: dt.datetime,
    *,
    include_declined: bool = True,
    detail: bool = False,
) -> tuple[dict[int, Event], dict[int, set[int]]]:
    """Events organised or attended by `user_ids` that may overlap [start, end) (a superset: recurrences
    are not expanded yet), and for each event the ids among `user_ids` it belongs to. Each event has
    `organizer_username`. Without `detail` only GRID_FIELDS are loaded (the others load on access)."""
    user_ids = list(set(user_ids))
    events: dict[int, Event] = {}
    owners: dict[int, set[int]] = {}
    if not user_ids:
        return events, owners

    def shaped(qs):
        if not detail:
            return _grid_instances(qs)
        return qs.annotate(organizer_username=F("organizer__username"))

    own = Event.objects.filter(organizer_id__in=user_ids).order_by()
    for query in (_short(own, "", start, end), _long(own, "", start, end)):
        for event in shaped(query):
            events[event.pk] = event
            owners.setdefault(event.pk, set()).add(event.organizer_id)
    attending = Attendee.objects.filter(staff_id__in=user_ids)
    if not include_declined:
        attending = attending.exclude(status=Attendee.Status.DECLINED)
    missing: set[int] = set()
    for query in (_short(attending, "", start, end), _long(attending, "", start, end)):
        for event_id, staff_id in query.values_list("event_id", "staff_id"):
            owners.setdefault(event_id, set()).add(staff_id)
            if event_id not in events:
                missing.add(event_id)
    if missing:
        for event in shaped(Event.objects.filter(pk__in=missing)):
            events[event.pk] = event
    return events, owners


def expand(event: Event, start: dt.datetime, end: dt.datetime, exceptions: list[EventException] = ()):
    """(start, end, recurrence_id, exception or None) of the event's occurrences overlapping [start, end)."""
    duration = event.end - event.start
    if not event.is_recurring:
        if event.start < end and (event.end > start or (event.start == event.end and event.start >= start)):
            return [(event.start, event.end, None, None)]
        return []
    by_id = {x.recurrence_id: x for x in exceptions}
    result = []
    for original in recurrence.occurrence_starts(
        event.rrule,
        event.start,
        duration,
        start,
        end,
        tzid=event.tzid,
        rdates=event.rdates,
        exdates=event.exdates,
    ):
        changed = by_id.pop(original, None)
        if changed is None:
            result.append((original, original + duration, original, None))
        elif not changed.cancelled and changed.start < end and changed.end > start:
            result.append((changed.start, changed.end, original, changed))
    excluded = {recurrence.parse_instant(x) for x in event.exdates}
    # An occurrence moved into the window from outside it.
    for original, changed in by_id.items():
        if (
            not changed.cancelled
            and original not in excluded
            and changed.start < end
            and changed.end > start
            and not (start - duration < original < end)
        ):
            result.append((changed.start, changed.end, original, changed))
    return result


def events_for(
    user_ids: Iterable[int],
    start: dt.datetime,
    end: dt.datetime,
    viewer,
    *,
    include_declined: bool = True,
    with_description: bool = False,
) -> list[Occurrence]:
    """See the module docstring. `viewer` None means no visibility filter (free/busy, the owner's export)."""
    events, owners = window_events(
        user_ids, start, end, include_declined=include_declined, detail=with_description
    )
    if not events:
        return []
    recurring = [pk for pk, e in events.items() if e.is_recurring]
    exceptions: dict[int, list[EventException]] = {}
    if recurring:
        for x in EventException.objects.filter(event_id__in=recurring):
            exceptions.setdefault(x.event_id, []).append(x)
    hidden: set[int] = set()
    if viewer is not None:
        private = [
            pk
            for pk, e in events.items()
            if e.visibility == Event.Visibility.PRIVATE and e.organizer_id != viewer.pk
        ]
        if private:
            attending = set(
                Attendee.objects.filter(event_id__in=private, staff_id=viewer.pk).values_list(
                    "event_id", flat=True
                )
            )
            hidden = set(private) - attending
    busy_title = _("予定あり")
    result: list[Occurrence] = []
    for pk, event in events.items():
        for occ_start, occ_end, original, changed in expand(event, start, end, exceptions.get(pk, [])):
            if pk in hidden:
                result.append(
                    Occurrence(
                        event=event,
                        start=occ_start,
                        end=occ_end,
                        occurrence_start=original,
                        title=busy_title,
                        all_day=event.all_day,
                        reduced=True,
                        owner_ids=owners[pk],
                    )
                )
                continue
            source = changed or event
            result.append(
                Occurrence(
                    event=event,
                    start=occ_start,
                    end=occ_end,
                    occurrence_start=original,
                    title=source.title,
                    location=source.location,
                    description=(changed.description if changed else event.description)
                    if with_description
                    else "",
                    all_day=source.all_day,
                    owner_ids=owners[pk],
                )
            )
    result.sort(key=lambda o: (not o.all_day, o.start, o.end, o.event.pk))
    return result


def local_day_bounds(day: dt.date) -> Interval:
    start = dt.datetime.combine(day, dt.time(), tzinfo=TOKYO)
    return start.astimezone(dt.UTC), (start + dt.timedelta(days=1)).astimezone(dt.UTC)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for s, e in sorted(intervals):
        if merged and s <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def mark_pending(occurrences, bookings) -> None:
    """Mark the occurrences whose room booking (an event booking of the same start) is still pending."""
    waiting = {(b.event_id, b.start) for b in bookings if b.event_id is not None and b.status == "pending"}
    if waiting:
        for occ in occurrences:
            if not occ.reduced and (occ.event_id, occ.start) in waiting:
                occ.pending = True


def _person_bookings(
    user_ids: list[int], start: dt.datetime, end: dt.datetime, occurrences: list[Occurrence] = ()
) -> dict[int, list]:
    """Standalone bookings (not part of an event: a car out, a room booked alone) per person. With
    `occurrences`, those whose room still waits for approval are marked `pending` (same query)."""
    result: dict[int, list] = {}
    wanted = set(user_ids)
    event_ids = {o.event_id for o in occurrences if not o.reduced}
    bookings = bookings_of(user_ids, start, end, pending_event_ids=event_ids)
    mark_pending(occurrences, bookings)
    for booking in bookings:
        if booking.event_id is not None:
            continue
        for person in dict.fromkeys((booking.booked_by_id, booking.driver_id)):
            if person in wanted:
                result.setdefault(person, []).append(booking)
    return result


def freebusy(user_ids: Iterable[int], start: dt.datetime, end: dt.datetime) -> dict[int, list[Interval]]:
    """Busy intervals per person (merged, clipped to [start, end)). Declined invitations do not count;
    private events are just busy; standalone bookings (a car out) count."""
    user_ids = list(dict.fromkeys(user_ids))
    busy: dict[int, list[Interval]] = {uid: [] for uid in user_ids}
    events, owners = window_events(user_ids, start, end, include_declined=False)
    recurring = [pk for pk, e in events.items() if e.is_recurring]
    exceptions: dict[int, list[EventException]] = {}
    if recurring:
        for x in EventException.objects.filter(event_id__in=recurring).only(
            "event_id", "recurrence_id", "cancelled", "start", "end"
        ):
            exceptions.setdefault(x.event_id, []).append(x)
    for pk, event in events.items():
        for occ_start, occ_end, _original, _changed in expand(event, start, end, exceptions.get(pk, [])):
            for uid in owners[pk]:
                if uid in busy:
                    busy[uid].append((max(occ_start, start), min(occ_end, end)))
    for uid, bookings in _person_bookings(user_ids, start, end).items():
        for booking in bookings:
            busy.setdefault(uid, []).append((max(booking.start, start), min(booking.end, end)))
    return {uid: merge(intervals) for uid, intervals in busy.items()}


def _resource_busy(resource_id: int, start: dt.datetime, end: dt.datetime) -> list[Interval]:
    return busy_ranges([resource_id], start, end).get(resource_id, [])


def find_meeting_times(
    user_ids: Iterable[int],
    duration: dt.timedelta,
    start: dt.datetime,
    end: dt.datetime,
    resource_id: int | None = None,
    *,
    limit: int = 5,
    step: dt.timedelta = dt.timedelta(minutes=30),
) -> list[Interval]:
    """The first `limit` slots of `duration` in [start, end) when every person (and the resource) is free,
    within working hours on working days. Slots start on `step` boundaries of local time."""
    policy = CalendarPolicy.current()
    busy_by_person = freebusy(user_ids, start, end)
    busy = [iv for intervals in busy_by_person.values() for iv in intervals]
    if resource_id is not None:
        busy += _resource_busy(resource_id, start, end)
    busy = merge(busy)
    slots: list[Interval] = []
    day = start.astimezone(TOKYO).date()
    last_day = end.astimezone(TOKYO).date()
    while day <= last_day and len(slots) < limit:
        if day.weekday() < 5 and not holiday_name(day):
            open_at = max(dt.datetime.combine(day, policy.work_start, tzinfo=TOKYO), start)
            close_at = min(dt.datetime.combine(day, policy.work_end, tzinfo=TOKYO), end)
            day_busy = busy
            if policy.lunch_start and policy.lunch_end and policy.lunch_start < policy.lunch_end:
                lunch = (
                    dt.datetime.combine(day, policy.lunch_start, tzinfo=TOKYO),
                    dt.datetime.combine(day, policy.lunch_end, tzinfo=TOKYO),
                )
                day_busy = [*busy, lunch]
            candidate = _round_up(open_at, step)
            while candidate + duration <= close_at and len(slots) < limit:
                clash = next((b for b in day_busy if b[0] < candidate + duration and b[1] > candidate), None)
                if clash is None:
                    slots.append((candidate.astimezone(dt.UTC), (candidate + duration).astimezone(dt.UTC)))
                    candidate += step
                else:
                    candidate = _round_up(clash[1].astimezone(TOKYO), step)
        day += dt.timedelta(days=1)
    return slots


def _round_up(moment: dt.datetime, step: dt.timedelta) -> dt.datetime:
    local = moment.astimezone(TOKYO)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    steps = -(-(local - midnight) // step)
    return midnight + steps * step


@dataclass
class ScheduleDay:
    date: dt.date
    holiday: str | None
    weekend: bool


@dataclass
class ScheduleRow:
    staff: object
    title: str
    is_head: bool
    days: list[list[Occurrence]]
    # Standalone bookings of the person per day (busy blocks): booking objects from kiban.booking.
    bookings: list[list] = field(default_factory=list)


@dataclass
class GroupSchedule:
    department: object
    start: dt.date
    days: list[ScheduleDay]
    rows: list[ScheduleRow]


def group_schedule(department, start: dt.date, days: int, viewer) -> GroupSchedule:
    """See the module docstring. A multi-day occurrence appears in every day it covers."""
    members = department_members(department)
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    window_start = local_day_bounds(dates[0])[0]
    window_end = local_day_bounds(dates[-1])[1]
    user_ids = [m.staff_id for m in members]
    # A declined invitation is not where the person is: left out of the grid.
    occurrences = events_for(user_ids, window_start, window_end, viewer, include_declined=False)
    bookings = _person_bookings(user_ids, window_start, window_end, occurrences)
    bounds = [local_day_bounds(d) for d in dates]
    per_person: dict[int, list[list[Occurrence]]] = {uid: [[] for _ in dates] for uid in user_ids}
    for occ in occurrences:
        for i, (day_start, day_end) in enumerate(bounds):
            if occ.start < day_end and (
                occ.end > day_start or (occ.start == occ.end and occ.start >= day_start)
            ):
                for uid in occ.owner_ids:
                    if uid in per_person:
                        per_person[uid][i].append(occ)
    # Each cell reads in time order: all-day first, then by start (and end).
    for cells in per_person.values():
        for cell in cells:
            cell.sort(key=lambda o: (not o.all_day, o.start, o.end))
    rows = []
    for member in members:
        person_bookings: list[list] = [[] for _ in dates]
        for booking in bookings.get(member.staff_id, []):
            for i, (day_start, day_end) in enumerate(bounds):
                if booking.start < day_end and booking.end > day_start:
                    person_bookings[i].append(booking)
        rows.append(
            ScheduleRow(
                staff=member.staff,
                title=member.title or member.staff.title,
                is_head=member.is_head,
                days=per_person[member.staff_id],
                bookings=person_bookings,
            )
        )
    schedule_days = [ScheduleDay(d, holiday_name(d), d.weekday() >= 5) for d in dates]
    return GroupSchedule(department=department, start=start, days=schedule_days, rows=rows)


def is_rule_start(event: Event, moment: dt.datetime) -> bool:
    """Whether the series `event` has an occurrence starting at `moment` by its rule (RRULE, RDATE, EXDATE),
    whatever overrides later did to that occurrence: a RECURRENCE-ID must name one of these."""
    starts = recurrence.occurrence_starts(
        event.rrule,
        event.start,
        event.end - event.start,
        moment,
        moment + dt.timedelta(seconds=1),
        tzid=event.tzid,
        rdates=event.rdates,
        exdates=event.exdates,
    )
    return moment in starts


def occurrences_at(user_ids: Iterable[int], moment: dt.datetime) -> dict[int, list[Occurrence]]:
    """What each person is doing at `moment` (presence): the occurrences going on then of events they
    organise or attend having accepted (an unanswered, tentative or declined invitation does not make a
    person busy). A private event comes back reduced (title 予定あり, no location) whoever asks: the presence
    module shows one answer to everyone. Two indexed window reads, plus exceptions of recurring events."""
    user_ids = list(dict.fromkeys(int(uid) for uid in user_ids))
    result: dict[int, list[Occurrence]] = {}
    if not user_ids:
        return result
    window_end = moment + dt.timedelta(seconds=1)
    events, owners = window_events(user_ids, moment, window_end, include_declined=False)
    if not events:
        return result
    accepted = set(
        Attendee.objects.filter(
            event_id__in=list(events), staff_id__in=user_ids, status=Attendee.Status.ACCEPTED
        ).values_list("event_id", "staff_id")
    )
    recurring = [pk for pk, e in events.items() if e.is_recurring]
    exceptions: dict[int, list[EventException]] = {}
    if recurring:
        for x in EventException.objects.filter(event_id__in=recurring):
            exceptions.setdefault(x.event_id, []).append(x)
    busy_title = _("予定あり")
    for pk, event in events.items():
        people = {uid for uid in owners[pk] if event.organizer_id == uid or (pk, uid) in accepted}
        if not people:
            continue
        reduced = event.visibility == Event.Visibility.PRIVATE
        for occ_start, occ_end, original, changed in expand(
            event, moment, window_end, exceptions.get(pk, [])
        ):
            if not (occ_start <= moment < occ_end):
                continue
            source = changed or event
            occ = Occurrence(
                category=event_category(source.title, source.all_day),
                event=event,
                start=occ_start,
                end=occ_end,
                occurrence_start=original,
                title=busy_title if reduced else source.title,
                location="" if reduced else source.location,
                all_day=source.all_day,
                reduced=reduced,
                owner_ids=people,
            )
            for uid in people:
                result.setdefault(uid, []).append(occ)
    return result


# How leave and business trips are marked in the calendar: by the title's words, as staff write them (the
# demo and the iCalendar imports from other groupware do too); no category field exists. An all-day event
# only: a two-hour 時間休 is a meeting-like absence, shown as 外出 by whoever needs more.
LEAVE_WORDS = ("休暇", "年休", "有休", "休み", "代休", "特休", "育休", "産休", "振休")
TRIP_WORDS = ("出張",)


def event_category(title: str, all_day: bool) -> str:
    """ "leave" for an all-day leave event, "trip" for a business trip, "" otherwise."""
    if all_day and any(word in title for word in LEAVE_WORDS):
        return "leave"
    if any(word in title for word in TRIP_WORDS):
        return "trip"
    return ""
