"""The event object of CONTRACT.md, once: the API answers with these schemas and the tests compare with them.

A series (`GET /api/v1/events/{id}`) is `EventOut`; an expanded occurrence (`GET /api/v1/events`, the group
schedule) is `OccurrenceOut`. Someone else's private event is `PrivateEventOut` / `PrivateOccurrenceOut`: the
time and 予定あり only.
"""

from __future__ import annotations

from pydantic import Field

from kiban.core.schemas import OutSchema, Timestamp


class AttendeeOut(OutSchema):
    username: str
    status: str = Field(description="`needs_action`, `accepted`, `declined` or `tentative`")


class PrivateEventOut(OutSchema):
    """Someone else's private event: only when it is, and 予定あり."""

    id: int
    start: Timestamp
    end: Timestamp
    all_day: bool
    visibility: str = Field(description="`private`")
    title: str = Field(description="予定あり")


class PrivateOccurrenceOut(PrivateEventOut):
    occurrence_start: Timestamp | None = Field(
        description="The occurrence's original start (its RECURRENCE-ID); null for a single event"
    )


class EventFields(OutSchema):
    id: int
    title: str
    start: Timestamp
    end: Timestamp
    all_day: bool
    rrule: str | None = Field(description="RFC 5545 RRULE value, or null")
    location: str
    description: str
    visibility: str = Field(description="`public` or `private`")
    color: str
    organizer: str = Field(description="The organiser's username")
    attendees: list[AttendeeOut]
    resources: list[int] = Field(description="Ids of the resources booked for the event")
    sequence: int
    uid: str
    meeting_url: str | None = Field(description="The online meeting's join link, or null")


class ExceptionOut(OutSchema):
    occurrence_start: Timestamp
    cancelled: bool
    title: str
    start: Timestamp | None
    end: Timestamp | None
    location: str


class EventOut(EventFields):
    """A series (or a single event) as stored, with its changed and cancelled occurrences. Only the series
    carries its `exdates`/`rdates`: an occurrence does not repeat them (a series with hundreds of RDATEs
    would multiply a week's response by them)."""

    exdates: list[Timestamp]
    rdates: list[Timestamp]
    exceptions: list[ExceptionOut]


class OccurrenceOut(EventFields):
    """One expanded occurrence: the event with this occurrence's time, title and place."""

    occurrence_start: Timestamp | None = Field(
        description="The occurrence's original start (its RECURRENCE-ID); null for a single event"
    )
