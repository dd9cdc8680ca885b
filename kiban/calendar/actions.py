"""Writes of the calendar: events (single and recurring, with scopes this / following / all), replies,
reminders, feed tokens. Rooms and cars of an event are booked through kiban.booking.actions in the same
transaction, so an event is never saved without its rooms nor a room held for an event that failed.

Every `do_*` runs in `transaction.atomic()` (BEGIN IMMEDIATE on SQLite); mail (iMIP) and notifications are
stored inside it and leave only after commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.booking import actions as booking
from kiban.booking import queries as booking_queries
from kiban.calendar import fields, ics, imip, online
from kiban.calendar.models import Attendee, Event, EventException, FeedToken, Reminder
from kiban.calendar.queries import expand, is_rule_start
from kiban.core import audit, recurrence, site
from kiban.core.wareki import wareki, wareki_datetime
from kiban.notifications.actions import notify

SCOPES = ("this", "following", "all")
# Series written per transaction by an import: each chunk holds the database's write lock briefly, so a chat
# post or a booking made meanwhile waits milliseconds, not the whole import.
IMPORT_CHUNK = 100
# Rooms are booked for the occurrences of a never-ending series this far ahead (and at most 366 of them).
BOOKING_HORIZON = dt.timedelta(days=365)
BOOKING_MAX = 366
# Only these may differ in one occurrence (scope=this).
OCCURRENCE_FIELDS = {"title", "description", "location", "start", "end", "all_day"}
EVENT_FIELDS = {
    "title", "description", "location", "color", "visibility", "all_day", "start", "end",
    "rrule", "exdates", "rdates", "attendees", "resources", "reminders", "online_meeting",
}  # fmt: skip


# --- Access -----------------------------------------------------------------------------------------------


def can_see_details(user, event: Event) -> bool:
    if event.visibility == Event.Visibility.PUBLIC or event.organizer_id == user.pk:
        return True
    return Attendee.objects.filter(event=event, staff_id=user.pk).exists()


def access_event(user, event_id: int, *, write: bool = False) -> Event:
    """The event for reading (anyone may read; a private one of someone else is shown reduced by the
    serializer) or, with `write`, for its organiser only: anybody else gets Http404."""
    event = Event.objects.select_related("organizer").filter(pk=event_id).first()
    if event is None or (write and event.organizer_id != user.pk):
        raise Http404
    return event


def access_attendance(user, event_id: int) -> Attendee:
    attendee = Attendee.objects.select_related("event").filter(event_id=event_id, staff_id=user.pk).first()
    if attendee is None:
        raise Http404
    return attendee


# --- Helpers ----------------------------------------------------------------------------------------------


def _exception_ends(event: Event) -> list[dt.datetime]:
    return list(EventException.objects.filter(event=event, cancelled=False).values_list("end", flat=True))


def _save_window(event: Event) -> None:
    fields.refresh_window(event, _exception_ends(event) if event.pk else ())
    if event.pk:
        Event.objects.filter(pk=event.pk).update(series_end=event.series_end, long_running=event.long_running)
        Attendee.objects.filter(event=event).update(
            start=event.start, series_end=event.series_end, long_running=event.long_running
        )


def booking_ranges(event: Event) -> list[tuple[dt.datetime, dt.datetime]]:
    """The (start, end) of every occurrence a room must be held for."""
    horizon = event.series_end or (event.start + BOOKING_HORIZON)
    exceptions = list(event.exceptions.all()) if event.pk and event.is_recurring else []
    ranges = [(s, e) for s, e, _o, _x in expand(event, event.start, horizon, exceptions) if e > s]
    return sorted(ranges)[:BOOKING_MAX]


def event_resource_ids(event: Event) -> list[int]:
    return sorted(booking_queries.resources_held([event.pk]).get(event.pk, []))


def _sync_bookings(event: Event, resource_ids: list[int] | None = None) -> None:
    """Hold `resource_ids` (default: the rooms it holds now) for every occurrence of the event, moving the
    existing bookings. Raises BookingConflict (the caller's transaction then rolls everything back)."""
    current = event_resource_ids(event)
    wanted = current if resource_ids is None else resource_ids
    if not wanted and not current:
        return
    booking.rebook_event(
        event.pk, booking_ranges(event), resource_ids=wanted, booked_by=event.organizer, purpose=event.title
    )


def _set_attendees(event: Event, people) -> tuple[list, list]:
    """Make the attendee list `people`; returns (added, removed) staff. Replies of those who stay are kept."""
    existing = {a.staff_id: a for a in Attendee.objects.filter(event=event).select_related("staff")}
    wanted = {p.pk: p for p in people}
    removed = [a.staff for sid, a in existing.items() if sid not in wanted]
    added = [p for pid, p in wanted.items() if pid not in existing]
    if removed:
        Attendee.objects.filter(event=event, staff_id__in=[p.pk for p in removed]).delete()
        Reminder.objects.filter(event=event, staff_id__in=[p.pk for p in removed]).delete()
    Attendee.objects.bulk_create(
        [
            Attendee(
                event=event,
                staff=p,
                start=event.start,
                series_end=event.series_end,
                long_running=event.long_running,
            )
            for p in added
        ]
    )
    return added, removed


def next_occurrence(
    event: Event, after: dt.datetime, exceptions=None
) -> tuple[dt.datetime, dt.datetime] | None:
    """(actual start, original start) of the first occurrence starting after `after`."""
    if exceptions is None:
        exceptions = list(event.exceptions.all()) if event.is_recurring else []
    # Start looking where the event starts, not years before it (a series may begin far ahead).
    begin = max(after, event.start - dt.timedelta(days=1))
    for span in (dt.timedelta(days=40), dt.timedelta(days=800)):
        found = [(s, o or s) for s, _e, o, _x in expand(event, begin, begin + span, exceptions) if s > after]
        if found:
            return min(found)
        if not event.is_recurring:
            return None
    return None


def refresh_reminders(event: Event, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    reminders = list(Reminder.objects.filter(event=event))
    if not reminders:
        return
    exceptions = list(event.exceptions.all()) if event.is_recurring else []
    for reminder in reminders:
        # The reminder is due `minutes_before` the start; look for the first occurrence not yet reminded of.
        upcoming = next_occurrence(event, now, exceptions)
        if upcoming is None:
            reminder.next_at = reminder.next_occurrence = None
        else:
            reminder.next_occurrence = upcoming[0]
            reminder.next_at = upcoming[0] - dt.timedelta(minutes=reminder.minutes_before)
    Reminder.objects.bulk_update(reminders, ["next_at", "next_occurrence"])


def _set_reminders(event: Event, person, minutes: list[int]) -> None:
    Reminder.objects.filter(event=event, staff=person).exclude(minutes_before__in=minutes).delete()
    have = set(Reminder.objects.filter(event=event, staff=person).values_list("minutes_before", flat=True))
    Reminder.objects.bulk_create(
        [Reminder(event=event, staff=person, minutes_before=m) for m in minutes if m not in have]
    )


def _notify_invited(event: Event, people, actor) -> None:
    if not people:
        return
    when = wareki(event.start, weekday=True) if event.all_day else wareki_datetime(event.start, weekday=True)
    notify(
        [p.pk for p in people],
        kind="calendar.invitation",
        title=_("予定への招待: %(title)s") % {"title": event.title},
        body=f"{when} {event.location}".strip(),
        url=f"/calendar/events/{event.pk}/",
        actor=actor,
    )


# --- Create -----------------------------------------------------------------------------------------------


def clean_event_data(data: dict, organizer, *, base: Event | None = None) -> dict:
    """Validate the fields present in `data` (with `base`'s values for the others) → model values plus
    `attendees` (staff), `resources` (ids) and `reminders` (minutes) when given. Raises ValidationError."""
    unknown = set(data) - EVENT_FIELDS
    if unknown:
        name = sorted(unknown)[0]
        raise fields.error(name, _("不明な項目です。"))
    values: dict = {}
    if base is None or "title" in data:
        values["title"] = fields.clean_text(data, "title", 200, required=True)
    for name, limit in (("description", 10000), ("location", 200)):
        if base is None or name in data:
            values[name] = fields.clean_text(data, name, limit)
    if "color" in data or base is None:
        values["color"] = fields.clean_choice(
            data.get("color", Event.Color.BLUE), "color", Event.Color.choices
        )
    if "visibility" in data or base is None:
        values["visibility"] = fields.clean_choice(
            data.get("visibility", Event.Visibility.PUBLIC), "visibility", Event.Visibility.choices
        )
    all_day = data.get("all_day", base.all_day if base else False)
    if not isinstance(all_day, bool):
        raise fields.error("all_day", _("true か false で指定してください。"))
    if base is None or {"start", "end", "all_day"} & set(data):
        start_value = data.get("start", base.start if base else None)
        end_value = data.get("end") if "end" in data or base is None else None
        if base is not None and "end" not in data:
            # Moving the start keeps the duration.
            start_moment = fields.parse_when(start_value, "start")[0]
            end_value = start_moment + (base.end - base.start)
        values["start"], values["end"] = fields.clean_times(start_value, end_value, all_day)
        values["all_day"] = all_day
    if "rrule" in data or base is None:
        values["rrule"] = fields.clean_rrule(data.get("rrule"))
    for name in ("exdates", "rdates"):
        if name in data or base is None:
            values[name] = fields.clean_instants(data.get(name), name)
    if "attendees" in data:
        values["attendees"] = fields.clean_attendees(data["attendees"], organizer)
    if "resources" in data:
        values["resources"] = fields.clean_ids(data["resources"], "resources")
    if "reminders" in data:
        values["reminders"] = fields.clean_reminders(data["reminders"])
    if data.get("online_meeting") is not None:
        values["online_meeting"] = online.clean_online_meeting(data["online_meeting"])
    return values


def do_create_event(user, data: dict, *, uid: str = "", notify_attendees: bool = True) -> Event:
    """Create an event organised by `user` from API-shaped `data` (validated here). Rooms in `resources` are
    booked for every occurrence; a conflict raises BookingConflict and nothing is written."""
    values = clean_event_data(data, user)
    attendees = values.pop("attendees", [])
    resources = values.pop("resources", [])
    reminders = values.pop("reminders", [])
    online_meeting = values.pop("online_meeting", False)
    with transaction.atomic():
        event = Event(organizer=user, uid=uid or f"{uuid.uuid4()}@kiban", **values)
        fields.refresh_window(event)
        event.save()
        _set_attendees(event, attendees)
        if online_meeting:
            online.open_room(event, user)
        if reminders:
            _set_reminders(event, user, reminders)
            refresh_reminders(event)
        if resources:
            _sync_bookings(event, resources)
        if attendees and notify_attendees:
            _notify_invited(event, attendees, user)
            imip.send_request(event, attendees)
    return event


# --- Import -----------------------------------------------------------------------------------------------


def do_import_ics(user, data: bytes | str) -> ics.ImportReport:
    """Import an .ics file into `user`'s calendar. The whole file is read and checked first (IcsError: nothing
    written); then its series are written IMPORT_CHUNK at a time, each chunk its own transaction. Idempotent by
    UID, so an import interrupted between chunks completes when the file is imported again. An updated series
    goes through the same steps as an edit: its rooms move with it, reminders are recomputed, attendees' windows
    follow."""
    parsed, report = ics.parse_ics(data)
    series = ics.group_series(parsed, report)
    for begin in range(0, len(series), IMPORT_CHUNK):
        with transaction.atomic():
            for item, changed in series[begin : begin + IMPORT_CHUNK]:
                _import_series(user, item, changed, report)
    with transaction.atomic():
        audit.record(
            "calendar.import", actor=user, target=user, created=report.created, updated=report.updated,
            skipped=len(report.skipped),
        )  # fmt: skip
    return report


def _import_series(user, item, changed: list, report: ics.ImportReport) -> None:
    """Create or replace the series `item` (by UID) with its overrides `changed`. Runs inside the caller's
    transaction; the organiser's row is locked so two imports of one UID do not both create it."""
    values = dict(item.values)
    if not values["rrule"] and not values["rdates"]:
        values["exdates"] = []
    exdates = set(values["exdates"])
    exceptions = []
    for override in changed:
        if override.cancelled:
            exdates.add(recurrence.iso(override.recurrence_id))
            continue
        v = override.values
        exceptions.append(
            EventException(
                recurrence_id=override.recurrence_id, title=v["title"], description=v["description"],
                location=v["location"], all_day=v["all_day"], start=v["start"], end=v["end"],
            )
        )  # fmt: skip
    values["exdates"] = sorted(exdates)
    event = Event.objects.select_for_update().filter(organizer=user, uid=item.uid).first()
    created = event is None
    if created:
        event = Event(organizer=user, uid=item.uid)
    times_changed = created or any(
        values[name] != getattr(event, name)
        for name in ("start", "end", "rrule", "exdates", "rdates", "all_day")
    )
    for name, value in values.items():
        setattr(event, name, value)
    event.updated_at = timezone.now()
    fields.refresh_window(event, [x.end for x in exceptions])
    event.save()
    if not created:
        times_changed = (
            times_changed or EventException.objects.filter(event=event).exists() or bool(exceptions)
        )
        EventException.objects.filter(event=event).delete()
    for x in exceptions:
        x.event = event
    EventException.objects.bulk_create(exceptions)
    if created:
        report.created += 1
        return
    report.updated += 1
    _save_window(event)
    if times_changed:
        _sync_bookings(event)
    refresh_reminders(event)


# --- Update -----------------------------------------------------------------------------------------------


def _check_occurrence(event: Event, occurrence: str | None) -> dt.datetime:
    if not occurrence:
        raise fields.error("occurrence", _("繰り返し予定の回を指定してください。"))
    moment = fields.parse_when(occurrence, "occurrence")[0]
    if not is_rule_start(event, moment):
        raise fields.error("occurrence", _("この予定にその回はありません。"))
    return moment


def _check_scope(scope: str | None) -> str:
    scope = scope or "all"
    if scope not in SCOPES:
        raise fields.error("scope", _("this, following, all のどれかにしてください。"))
    return scope


def do_update_event(
    user, event: Event, data: dict, *, scope: str | None = None, occurrence: str | None = None
):
    """Change an event (its organiser: see access_event(write=True)). For a series, `scope` says which
    occurrences: `this` (one occurrence, `occurrence` = its original start), `following` (that occurrence
    and the later ones: the series is split), `all`. Returns the event that holds the change."""
    scope = _check_scope(scope)
    if not event.is_recurring:
        scope, occurrence = "all", None
    moment = _check_occurrence(event, occurrence) if scope != "all" or occurrence else None
    if scope == "following" and moment == event.start:
        scope = "all"
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        if scope == "this":
            target = _update_occurrence(event, moment, data)
        elif scope == "following":
            target = _split_following(user, event, moment, data)
        else:
            target = _update_all(user, event, data, moment)
        audit_changes = sorted(data)
        audit.record("calendar.event_update", actor=user, target=target, scope=scope, fields=audit_changes)
    return target


def _update_occurrence(event: Event, moment: dt.datetime, data: dict) -> Event:
    extra = set(data) - OCCURRENCE_FIELDS
    if extra:
        raise fields.error(
            sorted(extra)[0], _("この回だけの変更では件名・日時・場所・内容のみ変更できます。")
        )
    current = EventException.objects.filter(event=event, recurrence_id=moment).first()
    duration = event.end - event.start
    base = current or EventException(
        event=event,
        recurrence_id=moment,
        title=event.title,
        description=event.description,
        location=event.location,
        all_day=event.all_day,
        start=moment,
        end=moment + duration,
    )
    values = clean_event_data(data, event.organizer, base=base)
    for name, value in values.items():
        setattr(base, name, value)
    base.cancelled = False
    base.save()
    _after_change(event)
    imip.send_request(event, _attendee_staff(event))
    return event


def _after_change(event: Event, *, resources: list[int] | None = None, times_changed: bool = True) -> None:
    event.sequence += 1
    event.updated_at = timezone.now()
    event.save(update_fields=["sequence", "updated_at"])
    _save_window(event)
    if times_changed or resources is not None:
        _sync_bookings(event, resources)
    refresh_reminders(event)


def _update_all(user, event: Event, data: dict, moment: dt.datetime | None) -> Event:
    data = dict(data)
    if moment is not None and moment != event.start and {"start", "end"} & set(data):
        # The client moved one occurrence "for all": move the series by the same amount.
        new_start = fields.parse_when(data.get("start", moment), "start")[0]
        shift = new_start - moment
        duration = (fields.parse_when(data["end"], "end")[0] - new_start) if "end" in data else event.duration
        data["start"] = event.start + shift
        data["end"] = event.start + shift + duration
    values = clean_event_data(data, user, base=event)
    attendees = values.pop("attendees", None)
    resources = values.pop("resources", None)
    reminders = values.pop("reminders", None)
    online_meeting = values.pop("online_meeting", None)
    old_start, old_rrule = event.start, event.rrule
    times_changed = any(
        name in values and values[name] != getattr(event, name)
        for name in ("start", "end", "rrule", "exdates", "rdates", "all_day")
    )
    for name, value in values.items():
        setattr(event, name, value)
    if values.get("rrule", old_rrule) != old_rrule:
        EventException.objects.filter(event=event).delete()
    elif event.start != old_start and event.is_recurring:
        shift = event.start - old_start
        event.exdates = sorted(recurrence.iso(recurrence.parse_instant(x) + shift) for x in event.exdates)
        for x in EventException.objects.filter(event=event):
            EventException.objects.filter(pk=x.pk).update(recurrence_id=x.recurrence_id + shift)
    event.save()
    added, removed = ([], [])
    if attendees is not None:
        added, removed = _set_attendees(event, attendees)
    if reminders is not None:
        _set_reminders(event, user, reminders)
    if online_meeting and not event.meeting_url:
        online.open_room(event, user)
    elif online_meeting is False and event.meeting_url:
        online.set_meeting_url(event, "")
    _after_change(event, resources=resources, times_changed=times_changed)
    _notify_invited(event, added, user)
    imip.send_request(event, list(_attendee_staff(event)))
    if removed:
        imip.send_cancel(event, removed)
    return event


def _attendee_staff(event: Event):
    return [a.staff for a in Attendee.objects.filter(event=event).select_related("staff")]


def _truncate(event: Event, moment: dt.datetime) -> dict:
    """End the series before `moment`; returns the rule parts left for a following series (COUNT)."""
    parts = recurrence._parts(event.rrule or "")
    remaining = {}
    if "COUNT" in parts:
        before = len(
            recurrence.occurrence_starts(
                event.rrule, event.start, dt.timedelta(0), event.start, moment, tzid=event.tzid
            )
        )
        remaining["COUNT"] = str(max(1, int(parts["COUNT"]) - before))
        parts.pop("COUNT")
    if event.rrule:
        if event.all_day:
            parts["UNTIL"] = (moment.astimezone(recurrence.TOKYO).date() - dt.timedelta(days=1)).strftime(
                "%Y%m%d"
            )
        else:
            parts["UNTIL"] = (moment - dt.timedelta(seconds=1)).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        event.rrule = ";".join(f"{k}={v}" for k, v in parts.items())
    event.rdates = [x for x in event.rdates if recurrence.parse_instant(x) < moment]
    event.exdates = [x for x in event.exdates if recurrence.parse_instant(x) < moment]
    return remaining


def _split_following(user, event: Event, moment: dt.datetime, data: dict) -> Event:
    """ "This and following": the old series ends before `moment`; a new series starts there."""
    original_rrule, original_rdates, original_exdates = event.rrule, list(event.rdates), list(event.exdates)
    remaining = _truncate(event, moment)
    event.save(update_fields=["rrule", "rdates", "exdates"])
    new_parts = recurrence._parts(original_rrule or "")
    new_parts.update(remaining)
    attendees = _attendee_staff(event)
    resources = event_resource_ids(event)
    follower = Event(
        organizer=event.organizer,
        uid=f"{uuid.uuid4()}@kiban",
        title=event.title,
        description=event.description,
        location=event.location,
        color=event.color,
        visibility=event.visibility,
        all_day=event.all_day,
        start=moment,
        end=moment + event.duration,
        tzid=event.tzid,
        rrule=";".join(f"{k}={v}" for k, v in new_parts.items()) if original_rrule else None,
        rdates=[x for x in original_rdates if recurrence.parse_instant(x) >= moment],
        exdates=[x for x in original_exdates if recurrence.parse_instant(x) >= moment],
        meeting_url=event.meeting_url,
    )
    fields.refresh_window(follower)
    follower.save()
    EventException.objects.filter(event=event, recurrence_id__gte=moment).update(event=follower)
    _set_attendees(follower, attendees)
    for reminder in Reminder.objects.filter(event=event):
        Reminder.objects.create(
            event=follower, staff_id=reminder.staff_id, minutes_before=reminder.minutes_before
        )
    # The old series' rooms after the split are released by its rebooking; the new series books its own.
    _after_change(event)
    if resources and "resources" not in data:
        data = {**data, "resources": resources}
    updated = _update_all(user, follower, data, moment) if data else follower
    if not data:
        _after_change(follower)
    return updated


# --- Delete -----------------------------------------------------------------------------------------------


def do_delete_event(user, event: Event, *, scope: str | None = None, occurrence: str | None = None) -> None:
    """Delete an event (organiser only), one occurrence of it, or it from an occurrence on. Rooms are
    released in the same transaction; attendees get an iMIP cancellation (or the updated series)."""
    scope = _check_scope(scope)
    if not event.is_recurring:
        scope = "all"
    moment = _check_occurrence(event, occurrence) if scope != "all" else None
    if scope == "following" and moment == event.start:
        scope = "all"
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        attendees = _attendee_staff(event)
        if scope == "all":
            booking.release_event_bookings(event.pk)
            imip.send_cancel(event, attendees)
            audit.record("calendar.event_delete", actor=user, target=event, title=event.title)
            event.delete()
            return
        if scope == "this":
            event.exdates = sorted({*event.exdates, recurrence.iso(moment)})
            EventException.objects.filter(event=event, recurrence_id=moment).update(cancelled=True)
        else:
            _truncate(event, moment)
            EventException.objects.filter(event=event, recurrence_id__gte=moment).delete()
        event.save(update_fields=["rrule", "rdates", "exdates"])
        _after_change(event)
        imip.send_request(event, attendees)
        audit.record(
            "calendar.event_delete", actor=user, target=event, scope=scope, occurrence=recurrence.iso(moment)
        )


# --- Replies and reminders --------------------------------------------------------------------------------


def do_reply(user, event_id: int, status) -> Attendee:
    """An attendee accepts, declines or answers tentatively (the organiser sees it in the event)."""
    status = fields.clean_status(status)
    attendee = access_attendance(user, event_id)
    with transaction.atomic():
        Attendee.objects.filter(pk=attendee.pk).update(status=status, replied_at=timezone.now())
        attendee.refresh_from_db()
        if attendee.event.organizer_id != user.pk:
            labels = dict(Attendee.Status.choices)
            notify(
                [attendee.event.organizer_id],
                kind="calendar.reply",
                title=_("%(who)s さんが「%(title)s」に回答しました: %(status)s")
                % {"who": user.get_full_name(), "title": attendee.event.title, "status": labels[status]},
                url=f"/calendar/events/{event_id}/",
                actor=user,
            )
    return attendee


def do_set_reminders(user, event: Event, minutes: list) -> list[Reminder]:
    """A person's reminders for an event they organise or attend."""
    minutes = fields.clean_reminders(minutes)
    if event.organizer_id != user.pk and not Attendee.objects.filter(event=event, staff=user).exists():
        raise Http404
    with transaction.atomic():
        _set_reminders(event, user, minutes)
        refresh_reminders(event)
    return list(Reminder.objects.filter(event=event, staff=user).order_by("minutes_before"))


# --- Feed tokens ------------------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def do_rotate_feed_token(user, request=None) -> tuple[str, bool]:
    """A new secret for the person's private feed URL; the old URL stops working at once. Returns the token
    and whether it replaced one (an earlier URL that no longer works)."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        _row, created = FeedToken.objects.update_or_create(
            staff=user, defaults={"token_hash": _hash(token), "created_at": timezone.now()}
        )
        audit.record("calendar.feed_token", actor=user, target=user, request=request)
    return token, not created


def feed_owner(token: str):
    """The active person whose feed token this is, or None."""
    if not token or len(token) > 100:
        return None
    row = FeedToken.objects.select_related("staff").filter(token_hash=_hash(token)).first()
    if row is None or not row.staff.is_active:
        return None
    return row.staff


def feed_url(token: str, request=None) -> str:
    """The feed's address: on the server the person is using (see kiban.core.site.base_url)."""
    return f"{site.base_url(request)}/calendar/feed/{token}.ics"


def events_of(user) -> list[Event]:
    """Everything in a person's own calendar (organised or attended, not declined), for export."""
    attending = (
        Attendee.objects.filter(staff=user).exclude(status=Attendee.Status.DECLINED).values("event_id")
    )
    return list(
        Event.objects.filter(Q(organizer=user) | Q(pk__in=attending))
        .select_related("organizer")
        .prefetch_related("exceptions", "attendees__staff")
        .order_by("start", "pk")
    )


__all__ = ["ValidationError"]
