"""REST API of the calendar (CONTRACT.md): events with expanded recurrences, replies, the group schedule,
free/busy and the meeting-time finder, iCalendar export, import and the private feed token, holidays."""

from __future__ import annotations

import datetime as dt

import jpholiday
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from pydantic import Field, StrictBool

from kiban.booking import queries as booking_queries
from kiban.booking.actions import BookingConflict
from kiban.calendar import actions, fields, ics, queries, serializers
from kiban.calendar.models import FeedToken
from kiban.calendar.schemas import EventOut, OccurrenceOut, PrivateEventOut, PrivateOccurrenceOut
from kiban.core.schemas import dump_all
from kiban.org.models import Department

router = Router(tags=["calendar"])

MAX_WINDOW = dt.timedelta(days=400)
MAX_IMPORT_BYTES = 10 * 1024 * 1024


class EventIn(Schema):
    title: str = Field(description="件名 (required, up to 200 characters)")
    start: str = Field(description="ISO 8601 date-time (Asia/Tokyo when no offset) or a date for all-day")
    end: str | None = Field(None, description="Exclusive end; for all-day the day after the last day")
    all_day: bool = False
    rrule: str | None = Field(None, description="RFC 5545 RRULE value, e.g. FREQ=WEEKLY;BYDAY=MO")
    exdates: list[str] = Field(default_factory=list, description="Excluded occurrence starts")
    rdates: list[str] = Field(default_factory=list, description="Added occurrence starts")
    location: str = ""
    description: str = ""
    visibility: str = Field("public", description="public or private (others see 予定あり)")
    color: str = Field("blue", description="blue, green, orange, red, purple, gray")
    attendees: list[str] = Field(default_factory=list, description="Usernames of the attendees")
    resources: list[int] = Field(
        default_factory=list, description="Resource ids to book for every occurrence"
    )
    reminders: list[int] = Field(default_factory=list, description="Your reminders, minutes before the start")
    online_meeting: StrictBool = Field(
        False, description="Give the event an online meeting room; its join link comes back as meeting_url"
    )


class EventPatch(Schema):
    title: str | None = None
    start: str | None = None
    end: str | None = None
    all_day: bool | None = None
    rrule: str | None = None
    exdates: list[str] | None = None
    rdates: list[str] | None = None
    location: str | None = None
    description: str | None = None
    visibility: str | None = None
    color: str | None = None
    attendees: list[str] | None = None
    resources: list[int] | None = None
    reminders: list[int] | None = None
    online_meeting: StrictBool | None = Field(None, description="true adds a room, false removes the link")


class ScopeQuery(Schema):
    scope: str = Field("all", description="For a recurring event: this, following or all")
    occurrence: str | None = Field(None, description="The occurrence's original start (occurrence_start)")


class ReplyIn(Schema):
    status: str = Field(description="accepted, declined or tentative")


class WindowQuery(Schema):
    start: str | None = Field(None, description="Window start (required)")
    end: str | None = Field(None, description="Window end (exclusive, required)")
    user: str | None = Field(None, description="Username (default: yourself)")


def _window(start: str, end: str) -> tuple[dt.datetime, dt.datetime]:
    window_start = fields.parse_when(start, "start")[0]
    window_end = fields.parse_when(end, "end")[0]
    if window_end <= window_start:
        raise fields.error("end", _("終了は開始より後にしてください。"))
    if window_end - window_start > MAX_WINDOW:
        raise fields.error("end", _("期間は400日以内にしてください。"))
    return window_start, window_end


def _person(username: str, field: str):
    person = get_user_model().objects.filter(username=username, is_active=True).first()
    if person is None:
        raise fields.error(field, _("該当する職員がいません: %(who)s") % {"who": username})
    return person


def _conflict_response(request, exc: BookingConflict):
    return Status(
        409,
        {
            "detail": str(exc),
            "conflicts": [
                {"start": serializers.when(s), "end": serializers.when(e)} for s, e in exc.conflicts
            ],
        },
    )


@router.get(
    "/events",
    response=list[OccurrenceOut | PrivateOccurrenceOut | PrivateEventOut],
    summary="Occurrences in a window (recurrences expanded)",
)
def list_events(request, filters: Query[WindowQuery]):
    if filters.start is None or filters.end is None:
        raise fields.error("start" if filters.start is None else "end", _("必須です。"))
    start, end = _window(filters.start, filters.end)
    person = _person(filters.user, "user") if filters.user else request.auth
    occurrences = queries.events_for([person.pk], start, end, request.auth, with_description=True)
    return serializers.occurrences_out(occurrences)


@router.post("/events", response={201: EventOut, 409: dict}, summary="Create an event (and book its rooms)")
def create_event(request, payload: EventIn):
    try:
        event = actions.do_create_event(request.auth, payload.dict())
    except BookingConflict as exc:
        return _conflict_response(request, exc)
    return Status(201, serializers.event_out(event, request.auth, can_see=True))


@router.get(
    "/events/{event_id}",
    response=EventOut | PrivateEventOut,
    summary="One event (a private one of someone else: 予定あり only)",
)
def get_event(request, event_id: int):
    event = actions.access_event(request.auth, event_id)
    return serializers.event_out(event, request.auth, can_see=actions.can_see_details(request.auth, event))


@router.patch(
    "/events/{event_id}",
    response={200: EventOut, 409: dict},
    summary="Change an event, one occurrence, or it from an occurrence on",
)
def update_event(request, event_id: int, payload: EventPatch, scope: Query[ScopeQuery]):
    event = actions.access_event(request.auth, event_id, write=True)
    data = payload.dict(exclude_unset=True)
    try:
        target = actions.do_update_event(
            request.auth, event, data, scope=scope.scope, occurrence=scope.occurrence
        )
    except BookingConflict as exc:
        return _conflict_response(request, exc)
    return serializers.event_out(target, request.auth, can_see=True)


@router.delete("/events/{event_id}", response={204: None}, summary="Delete an event or some occurrences")
def delete_event(request, event_id: int, scope: Query[ScopeQuery]):
    event = actions.access_event(request.auth, event_id, write=True)
    actions.do_delete_event(request.auth, event, scope=scope.scope, occurrence=scope.occurrence)
    return Status(204, None)


@router.post(
    "/events/{event_id}/reply", response=EventOut, summary="Accept, decline or answer tentatively (attendees)"
)
def reply(request, event_id: int, payload: ReplyIn):
    attendee = actions.do_reply(request.auth, event_id, payload.status)
    event = actions.access_event(request.auth, attendee.event_id)
    return serializers.event_out(event, request.auth, can_see=True)


class RemindersIn(Schema):
    minutes: list[int] = Field(description="Minutes before each occurrence (up to 5; empty: none)")


@router.put("/events/{event_id}/reminders", summary="Your reminders for an event you organise or attend")
def set_reminders(request, event_id: int, payload: RemindersIn):
    event = actions.access_event(request.auth, event_id)
    reminders = actions.do_set_reminders(request.auth, event, payload.minutes)
    return {"minutes": [r.minutes_before for r in reminders]}


class GroupQuery(Schema):
    department: int
    start: dt.date | None = Field(None, description="First day (default: this week's Monday)")
    days: int = Field(7, ge=1, le=31)


@router.get("/schedules/group", summary="A department's members (rows) and days (columns)")
def group_schedule(request, filters: Query[GroupQuery]):
    department = Department.objects.filter(pk=filters.department, is_active=True).first()
    if department is None:
        raise fields.error("department", _("該当する所属がありません。"))
    start = filters.start
    if start is None:
        today = dt.datetime.now(tz=queries.TOKYO).date()
        start = today - dt.timedelta(days=today.weekday())
    schedule = queries.group_schedule(department, start, filters.days, request.auth)
    related = serializers.related_of(o for row in schedule.rows for day in row.days for o in day)
    return {
        "department": {"id": department.pk, "name": department.name},
        "start": start.isoformat(),
        "days": [
            {"date": d.date.isoformat(), "holiday": d.holiday, "weekend": d.weekend} for d in schedule.days
        ],
        "rows": [
            {
                "username": row.staff.username,
                "name": row.staff.get_full_name(),
                "title": row.title,
                "days": [dump_all(serializers.occurrences_out(day, related)) for day in row.days],
                "bookings": [
                    [{"start": serializers.when(b.start), "end": serializers.when(b.end)} for b in day]
                    for day in row.bookings
                ],
            }
            for row in schedule.rows
        ],
    }


class FreeBusyQuery(Schema):
    users: str = Field(description="Comma-separated usernames")
    start: str
    end: str


def _people(users: str) -> list:
    names = [u.strip() for u in users.split(",") if u.strip()]
    if not names or len(names) > 100:
        raise fields.error("users", _("職員番号を1〜100人、カンマ区切りで指定してください。"))
    found = {p.username: p for p in get_user_model().objects.filter(username__in=names, is_active=True)}
    for name in names:
        if name not in found:
            raise fields.error("users", _("該当する職員がいません: %(who)s") % {"who": name})
    return [found[n] for n in dict.fromkeys(names)]


@router.get("/freebusy", summary="Busy intervals per person (private events are just busy)")
def freebusy(request, filters: Query[FreeBusyQuery]):
    people = _people(filters.users)
    start, end = _window(filters.start, filters.end)
    busy = queries.freebusy([p.pk for p in people], start, end)
    return {
        "start": serializers.when(start),
        "end": serializers.when(end),
        "users": [
            {
                "username": p.username,
                "busy": [{"start": serializers.when(s), "end": serializers.when(e)} for s, e in busy[p.pk]],
            }
            for p in people
        ],
    }


class FindQuery(FreeBusyQuery):
    duration: int = Field(60, ge=5, le=8 * 60, description="Minutes")
    resource: int | None = Field(None, description="A room that must be free too")
    limit: int = Field(5, ge=1, le=20)


@router.get("/freebusy/find", summary="The first slots when everyone (and the room) is free")
def find_times(request, filters: Query[FindQuery]):
    people = _people(filters.users)
    start, end = _window(filters.start, filters.end)
    if filters.resource is not None and not booking_queries.resource_exists(filters.resource):
        raise fields.error("resource", _("該当する施設がありません。"))
    slots = queries.find_meeting_times(
        [p.pk for p in people],
        dt.timedelta(minutes=filters.duration),
        start,
        end,
        filters.resource,
        limit=filters.limit,
    )
    return {"slots": [{"start": serializers.when(s), "end": serializers.when(e)} for s, e in slots]}


def _ics_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.get("/calendar.ics", summary="Your own calendar as iCalendar")
def export_calendar(request):
    user = request.auth
    return _ics_response(ics.build_calendar(actions.events_of(user), name=user.get_full_name()), "kiban.ics")


@router.get("/calendar/feed-token", summary="Whether you have a private feed URL")
def feed_token_status(request):
    row = FeedToken.objects.filter(staff=request.auth).first()
    return {"exists": row is not None, "created_at": serializers.when(row.created_at) if row else None}


@router.post("/calendar/feed-token", summary="Create or replace your private feed URL (shown once)")
def rotate_feed_token(request):
    token, _replaced = actions.do_rotate_feed_token(request.auth, request=request)
    return {"url": actions.feed_url(token, request)}


@router.post("/calendar/import", summary="Import an .ics file into your calendar")
def import_calendar(request, file: File[UploadedFile]):
    if file.size and file.size > MAX_IMPORT_BYTES:
        raise HttpError(413, _("ファイルが大きすぎます (10MBまで)。"))
    try:
        report = actions.do_import_ics(request.auth, file.read())
    except ics.IcsTooLarge as exc:
        raise HttpError(413, f"file: {exc}") from None
    except ics.IcsError as exc:
        raise fields.error("file", str(exc)) from None
    return {"created": report.created, "updated": report.updated, "skipped": report.skipped}


@router.get("/holidays", summary="Japanese public holidays of a year (振替休日, 国民の休日 included)")
def holidays(request, year: int = Query(..., ge=1955, le=2100)):
    return [{"date": day.isoformat(), "name": name} for day, name in jpholiday.year_holidays(year)]
