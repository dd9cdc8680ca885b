"""The event object of CONTRACT.md, for the API and the pages' JSON."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.booking import queries as booking_queries
from kiban.calendar.models import Attendee, Event
from kiban.calendar.queries import Occurrence


def when(moment: dt.datetime | None) -> str | None:
    """ISO 8601 with the Asia/Tokyo offset."""
    return timezone.localtime(moment).isoformat() if moment else None


def _related(event_ids: list[int]) -> tuple[dict[int, list[dict]], dict[int, list[int]]]:
    attendees: dict[int, list[dict]] = {pk: [] for pk in event_ids}
    resources: dict[int, list[int]] = {pk: [] for pk in event_ids}
    if event_ids:
        for event_id, username, status in (
            Attendee.objects.filter(event_id__in=event_ids)
            .order_by("staff__sort_key", "staff__username")
            .values_list("event_id", "staff__username", "status")
        ):
            attendees[event_id].append({"username": username, "status": status})
        for event_id, held in booking_queries.resources_held(event_ids).items():
            resources[event_id] = held
    return attendees, resources


def _dates(values: list[str]) -> list[str]:
    return [when(dt.datetime.fromisoformat(x.replace("Z", "+00:00"))) for x in values]


def reduced_dict(event_id: int, start, end, all_day: bool, occurrence_start=None) -> dict:
    data = {
        "id": event_id,
        "start": when(start),
        "end": when(end),
        "all_day": all_day,
        "visibility": Event.Visibility.PRIVATE,
        "title": _("予定あり"),
    }
    if occurrence_start is not None:
        data["occurrence_start"] = when(occurrence_start)
    return data


def full_dict(
    event: Event,
    *,
    attendees: list[dict],
    resources: list[int],
    description: str | None = None,
    series_dates: bool = True,
) -> dict:
    data = {
        "id": event.pk,
        "title": event.title,
        "start": when(event.start),
        "end": when(event.end),
        "all_day": event.all_day,
        "rrule": event.rrule or None,
        "exdates": _dates(event.exdates) if series_dates else None,
        "rdates": _dates(event.rdates) if series_dates else None,
        "location": event.location,
        "description": event.description if description is None else description,
        "visibility": event.visibility,
        "color": event.color,
        "organizer": getattr(event, "organizer_username", None) or event.organizer.username,
        "attendees": attendees,
        "resources": sorted(resources),
        "sequence": event.sequence,
        "uid": event.uid,
        "meeting_url": event.meeting_url or None,
    }
    if not series_dates:
        del data["exdates"], data["rdates"]
    return data


def event_dict(event: Event, viewer, *, can_see: bool) -> dict:
    """One event as stored (the series, not an occurrence)."""
    if not can_see:
        return reduced_dict(event.pk, event.start, event.end, event.all_day)
    attendees, resources = _related([event.pk])
    data = full_dict(event, attendees=attendees[event.pk], resources=resources[event.pk])
    data["exceptions"] = [
        {
            "occurrence_start": when(x.recurrence_id),
            "cancelled": x.cancelled,
            "title": x.title,
            "start": when(x.start),
            "end": when(x.end),
            "location": x.location,
        }
        for x in event.exceptions.order_by("recurrence_id")
    ]
    return data


def related_of(occurrences: Iterable[Occurrence]) -> tuple[dict[int, list[dict]], dict[int, list[int]]]:
    """Attendees and resources of every visible event among `occurrences`, in two queries: a page that
    serializes many lists (a group schedule's cells) asks once and passes the result to each."""
    return _related(sorted({o.event.pk for o in occurrences if not o.reduced}))


def occurrence_dicts(occurrences: Iterable[Occurrence], related=None) -> list[dict]:
    """Expanded occurrences: the event object with this occurrence's start/end and `occurrence_start`.
    The series' `exdates`/`rdates` are not repeated in each occurrence (a series with hundreds of RDATEs
    would multiply the response by them): `GET /api/v1/events/{id}` has them."""
    occurrences = list(occurrences)
    attendees, resources = related if related is not None else related_of(occurrences)
    result = []
    for occ in occurrences:
        if occ.reduced:
            result.append(reduced_dict(occ.event.pk, occ.start, occ.end, occ.all_day, occ.occurrence_start))
            continue
        data = full_dict(
            occ.event,
            attendees=attendees[occ.event.pk],
            resources=resources[occ.event.pk],
            description=occ.description,
            series_dates=False,
        )
        data.update(
            title=occ.title,
            location=occ.location,
            start=when(occ.start),
            end=when(occ.end),
            all_day=occ.all_day,
            occurrence_start=when(occ.occurrence_start),
        )
        result.append(data)
    return result
