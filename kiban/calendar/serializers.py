"""Builds the event schemas of `kiban.calendar.schemas` (the one definition of the event object) from the
models: the API returns these instances, pages and tests dump them (`kiban.core.schemas.dump`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.booking import queries as booking_queries
from kiban.calendar.models import Attendee, Event
from kiban.calendar.queries import Occurrence
from kiban.calendar.schemas import (
    AttendeeOut,
    EventOut,
    ExceptionOut,
    OccurrenceOut,
    PrivateEventOut,
    PrivateOccurrenceOut,
)


def when(moment: dt.datetime | None) -> str | None:
    """ISO 8601 with the Asia/Tokyo offset."""
    return timezone.localtime(moment).isoformat() if moment else None


def _stamp(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _related(event_ids: list[int]) -> tuple[dict[int, list[AttendeeOut]], dict[int, list[int]]]:
    attendees: dict[int, list[AttendeeOut]] = {pk: [] for pk in event_ids}
    resources: dict[int, list[int]] = {pk: [] for pk in event_ids}
    if event_ids:
        for event_id, username, status in (
            Attendee.objects.filter(event_id__in=event_ids)
            .order_by("staff__sort_key", "staff__username")
            .values_list("event_id", "staff__username", "status")
        ):
            attendees[event_id].append(AttendeeOut(username=username, status=status))
        for event_id, held in booking_queries.resources_held(event_ids).items():
            resources[event_id] = held
    return attendees, resources


def _private(event_id: int, start, end, all_day: bool) -> dict:
    return {
        "id": event_id,
        "start": start,
        "end": end,
        "all_day": all_day,
        "visibility": Event.Visibility.PRIVATE,
        "title": _("予定あり"),
    }


def _fields(event: Event, *, attendees: list[AttendeeOut], resources: list[int]) -> dict:
    return {
        "id": event.pk,
        "title": event.title,
        "start": event.start,
        "end": event.end,
        "all_day": event.all_day,
        "rrule": event.rrule or None,
        "location": event.location,
        "description": event.description,
        "visibility": event.visibility,
        "color": event.color,
        "organizer": getattr(event, "organizer_username", None) or event.organizer.username,
        "attendees": attendees,
        "resources": sorted(resources),
        "sequence": event.sequence,
        "uid": event.uid,
        "meeting_url": event.meeting_url or None,
    }


def event_out(event: Event, viewer, *, can_see: bool) -> EventOut | PrivateEventOut:
    """One event as stored (the series, not an occurrence)."""
    if not can_see:
        return PrivateEventOut(**_private(event.pk, event.start, event.end, event.all_day))
    attendees, resources = _related([event.pk])
    exceptions = [
        ExceptionOut(
            occurrence_start=x.recurrence_id,
            cancelled=x.cancelled,
            title=x.title,
            start=x.start,
            end=x.end,
            location=x.location,
        )
        for x in event.exceptions.order_by("recurrence_id")
    ]
    return EventOut(
        **_fields(event, attendees=attendees[event.pk], resources=resources[event.pk]),
        exdates=[_stamp(x) for x in event.exdates],
        rdates=[_stamp(x) for x in event.rdates],
        exceptions=exceptions,
    )


def related_of(
    occurrences: Iterable[Occurrence],
) -> tuple[dict[int, list[AttendeeOut]], dict[int, list[int]]]:
    """Attendees and resources of every visible event among `occurrences`, in two queries: a page that
    serializes many lists (a group schedule's cells) asks once and passes the result to each."""
    return _related(sorted({o.event.pk for o in occurrences if not o.reduced}))


def occurrences_out(
    occurrences: Iterable[Occurrence], related=None
) -> list[OccurrenceOut | PrivateOccurrenceOut | PrivateEventOut]:
    """Expanded occurrences: the event object with this occurrence's start/end and `occurrence_start`.
    The series' `exdates`/`rdates` are not repeated in each occurrence: `GET /api/v1/events/{id}` has them."""
    occurrences = list(occurrences)
    attendees, resources = related if related is not None else related_of(occurrences)
    result: list[OccurrenceOut | PrivateOccurrenceOut | PrivateEventOut] = []
    for occ in occurrences:
        if occ.reduced:
            private = _private(occ.event.pk, occ.start, occ.end, occ.all_day)
            if occ.occurrence_start is None:
                result.append(PrivateEventOut(**private))
            else:
                result.append(PrivateOccurrenceOut(**private, occurrence_start=occ.occurrence_start))
            continue
        data = _fields(occ.event, attendees=attendees[occ.event.pk], resources=resources[occ.event.pk])
        data.update(
            title=occ.title,
            location=occ.location,
            description=occ.description if occ.description is not None else occ.event.description,
            start=occ.start,
            end=occ.end,
            all_day=occ.all_day,
            occurrence_start=occ.occurrence_start,
        )
        result.append(OccurrenceOut(**data))
    return result
