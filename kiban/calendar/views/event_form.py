"""The event form: new and edit (one occurrence, this and following, or the series), errors placed on the
fields the calendar actions name."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from kiban.accounts.models import Staff
from kiban.booking import queries as booking_queries
from kiban.booking.actions import BookingConflict
from kiban.calendar import actions, grid
from kiban.calendar.forms import (
    EventForm,
    describe_nth,
    initial_from_event,
    repeat_initial,
    split_usernames,
)
from kiban.calendar.models import Reminder
from kiban.calendar.views.common import local_midnight, occurrence_of, parse_date

# Form fields that carry each action error (ValidationError field names are the API's).
_ERROR_FIELDS = {
    "title": "title",
    "description": "description",
    "location": "location",
    "color": "color",
    "visibility": "visibility",
    "all_day": "all_day",
    "start": "start_date",
    "end": "end_time",
    "rrule": "rrule_text",
    "attendees": "attendees",
    "resources": "resources",
    "reminders": "reminders",
    "online_meeting": "online_meeting",
    "scope": "scope",
}


def _bookable(user) -> list:
    """Meeting rooms and equipment an event can hold (cars are booked on the booking pages: they need a
    driver and a destination)."""
    return booking_queries.bookable_with_events()


def _event_data(form, *, occurrence_only: bool = False) -> dict:
    """API-shaped values for the calendar actions."""
    data = form.cleaned_data
    values = {
        "title": data["title"],
        "description": data.get("description", ""),
        "location": data.get("location", ""),
        "all_day": bool(data.get("all_day")),
        "start": data["start"],
        "end": data["end"],
    }
    if occurrence_only:
        return values
    values.update(
        color=data["color"],
        visibility=data["visibility"],
        rrule=data.get("rrule"),
        attendees=[p.username for p in data.get("attendees", [])],
        resources=list(data.get("resources") or []),
        reminders=data.get("reminders", []),
    )
    if "online_meeting" in form.fields:
        values["online_meeting"] = bool(data.get("online_meeting"))
    return values


def _apply_errors(form, error) -> None:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            target = _ERROR_FIELDS.get(name)
            for message in messages:
                if target and target in form.fields:
                    form.add_error(target, message)
                else:
                    form.add_error(None, f"{name}: {message}")
    else:
        for message in getattr(error, "messages", [str(error)]):
            form.add_error(None, message)


def _save(request, form, *, event=None, occurrence_key: str = ""):
    """Run the action; returns (event, conflicts). A BookingConflict or ValidationError leaves nothing saved
    (the action's transaction rolls back) and lands on the form."""
    try:
        if event is None:
            return actions.do_create_event(request.user, _event_data(form)), []
        scope = form.cleaned_data.get("scope") or "all"
        # One occurrence may differ only in its title, time, place and text; people, rooms and reminders
        # belong to the series.
        data = _event_data(form, occurrence_only=scope == "this")
        occurrence = grid.parse_occurrence_key(occurrence_key)
        target = actions.do_update_event(
            request.user,
            event,
            data,
            scope=scope,
            occurrence=occurrence.isoformat() if occurrence else None,
        )
        return target, []
    except BookingConflict as conflict:
        return None, conflict.conflicts
    except ValidationError as error:
        _apply_errors(form, error)
        return None, []


def _form_context(request, form, *, event=None, occurrence_key="", conflicts=(), selected=()) -> dict:
    attendees = []
    names = form["attendees"].value() or ""
    if names:
        wanted = split_usernames(names)
        found = {s.username: s for s in Staff.objects.filter(username__in=wanted)}
        attendees = [found[n] for n in wanted if n in found]
    start_value = form["start_date"].value()
    nth_label = ""
    if start_value:
        try:
            nth_label = describe_nth(dt.date.fromisoformat(str(start_value)))
        except ValueError:
            nth_label = ""
    if event is not None:
        cancel_url = reverse("calendar:event_detail", args=[event.pk])
        if occurrence_key:
            cancel_url += "?" + urlencode({"occurrence": occurrence_key})
    else:
        cancel_url = reverse("calendar:index")
    next_url = _next_url(request)
    own_bookings = ""
    if event is not None:
        own_bookings = " ".join(str(pk) for pk in booking_queries.event_booking_ids(event.pk))
    return {
        "own_booking_ids": own_bookings,
        "next_url": next_url,
        "form": form,
        "event": event,
        "organizer": event.organizer if event else request.user,
        "occurrence_key": occurrence_key,
        "conflicts": conflicts,
        "rooms": _bookable(request.user),
        "selected_resources": {int(v) for v in (form["resources"].value() or []) if str(v).isdigit()}
        or set(selected),
        "attendee_people": attendees,
        "nth_label": nth_label,
        "cancel_url": next_url or cancel_url,
    }


def _initial_for_new(request) -> dict:
    day = parse_date(request.GET.get("date"))
    time_text = request.GET.get("time", "")
    try:
        start_time = dt.time.fromisoformat(time_text) if time_text else dt.time(10, 0)
    except ValueError:
        start_time = dt.time(10, 0)
    end = dt.datetime.combine(day, start_time) + dt.timedelta(hours=1)
    attendee = request.GET.get("attendee", "").strip()
    initial = {
        "start_date": day,
        "start_time": start_time,
        "end_date": end.date(),
        "end_time": end.time(),
        "attendees": attendee if attendee and attendee != request.user.username else "",
        "visibility": "public",
        "color": "blue",
        "reminders": ["10"],
    }
    initial.update(repeat_initial(None, local_midnight(day)))
    return initial


@login_required
def event_new(request):
    choices = [(r.pk, r.name) for r in _bookable(request.user)]
    if request.method == "POST":
        form = EventForm(request.POST, resource_choices=choices, organizer=request.user)
        if form.is_valid():
            event, conflicts = _save(request, form)
            if event is not None:
                return redirect(_after_save_url(request, event))
            context = _form_context(request, form, conflicts=conflicts)
            return render(request, "calendar/event_form.html", context, status=409 if conflicts else 400)
        return render(request, "calendar/event_form.html", _form_context(request, form), status=400)
    form = EventForm(initial=_initial_for_new(request), resource_choices=choices, organizer=request.user)
    return render(request, "calendar/event_form.html", _form_context(request, form))


def _after_save_url(request, event, start: dt.datetime | None = None) -> str:
    """Back to where the person started (the group schedule, say) when it is one of our pages; else the
    week of `start` (the edited occurrence's new start), or of the event's start."""
    back = request.POST.get("next", "")
    if back.startswith("/calendar/") and not back.startswith("//"):
        return back
    start = timezone.localtime(start or event.start).date()
    return f"{reverse('calendar:index')}?{urlencode({'view': 'week', 'date': start.isoformat()})}"


def _next_url(request) -> str:
    back = request.POST.get("next") or request.GET.get("next") or ""
    return back if back.startswith("/calendar/") and not back.startswith("//") else ""


@login_required
def event_edit(request, event_id: int):
    event = actions.access_event(request.user, event_id, write=True)
    key = request.GET.get("occurrence") or request.POST.get("occurrence") or ""
    moment = grid.parse_occurrence_key(key) if key and event.is_recurring else None
    occ = occurrence_of(event, moment)
    if occ is None:
        raise Http404
    occurrence_key = grid.occurrence_key(occ)
    choices = [(r.pk, r.name) for r in _bookable(request.user)]
    current_rooms = actions.event_resource_ids(event)
    recurring = moment is not None
    if request.method == "POST":
        form = EventForm(
            request.POST, resource_choices=choices, recurring=recurring, organizer=event.organizer
        )
        if form.is_valid():
            target, conflicts = _save(request, form, event=event, occurrence_key=occurrence_key)
            if target is not None:
                # One occurrence of a series was edited: land on that occurrence's week, not the series'.
                return redirect(_after_save_url(request, target, form.cleaned_data.get("start")))
            context = _form_context(
                request, form, event=event, occurrence_key=occurrence_key, conflicts=conflicts
            )
            return render(request, "calendar/event_form.html", context, status=409 if conflicts else 400)
        context = _form_context(request, form, event=event, occurrence_key=occurrence_key)
        return render(request, "calendar/event_form.html", context, status=400)
    initial = initial_from_event(event, occ)
    initial["resources"] = current_rooms
    initial["reminders"] = [
        str(m)
        for m in Reminder.objects.filter(event=event, staff=request.user).values_list(
            "minutes_before", flat=True
        )
    ]
    form = EventForm(
        initial=initial, resource_choices=choices, recurring=recurring, organizer=event.organizer
    )
    context = _form_context(request, form, event=event, occurrence_key=occurrence_key, selected=current_rooms)
    return render(request, "calendar/event_form.html", context)
