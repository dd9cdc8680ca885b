"""An event's page and what a person does there: reply, own reminders, delete."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.booking import queries as booking_queries
from kiban.calendar import actions, grid, online
from kiban.calendar.forms import (
    REMINDER_CHOICES,
    REPEAT_CHOICES,
    SCOPE_CHOICES,
    repeat_initial,
)
from kiban.calendar.models import Attendee, Reminder
from kiban.calendar.views.common import booking_url, occurrence_of
from kiban.core.wareki import wareki


def _readable_event(request, event_id: int):
    """The event and the asked occurrence, for someone who may see its details (else 404: another person's
    private event is not there for them)."""
    event = actions.access_event(request.user, event_id)
    if not actions.can_see_details(request.user, event):
        raise Http404
    key = request.GET.get("occurrence") or request.POST.get("occurrence") or ""
    moment = grid.parse_occurrence_key(key) if key else None
    occ = occurrence_of(event, moment)
    if occ is None:
        raise Http404
    return event, occ


def _repeat_label(event) -> str:
    initial = repeat_initial(event.rrule, timezone.localtime(event.start))
    if initial["repeat"] == "custom":
        return event.rrule or ""
    label = str(dict(REPEAT_CHOICES)[initial["repeat"]])
    if initial.get("until"):
        label += _("（%(until)sまで）") % {"until": wareki(initial["until"])}
    elif initial.get("count"):
        label += _("（%(count)d回）") % {"count": initial["count"]}
    return label


@login_required
def event_detail(request, event_id: int):
    event, occ = _readable_event(request, event_id)
    attendees = list(Attendee.objects.filter(event=event).select_related("staff").order_by("pk"))
    mine = next((a for a in attendees if a.staff_id == request.user.pk), None)
    is_organizer = event.organizer_id == request.user.pk
    counts = dict.fromkeys(("accepted", "declined", "tentative", "needs_action"), 0)
    for a in attendees:
        counts[a.status.replace("-", "_")] += 1
    bookings = booking_queries.event_bookings(event.pk)
    # One line per resource: a series holds a booking per occurrence.
    seen: dict = {}
    for booking in bookings:
        if occ.occurrence_start is None or booking.start == occ.start:
            seen.setdefault(booking.resource_id, booking)
    for booking in bookings:
        seen.setdefault(booking.resource_id, booking)
    shown = list(seen.values())
    for booking in shown:
        # The booking pages show a booking to its booker (the organiser) and the resource's managers.
        booking.url = booking_url(booking.pk) if is_organizer else ""
    local_start, local_end = timezone.localtime(occ.start), timezone.localtime(occ.end)
    key = grid.occurrence_key(occ)
    edit_url = reverse("calendar:event_edit", args=[event.pk])
    if key:
        edit_url += "?" + urlencode({"occurrence": key})
    context = {
        "event": event,
        "occ": occ,
        "local_start": local_start,
        "local_end": local_end,
        "last_day": (local_end - dt.timedelta(days=1)).date() if occ.all_day else local_end.date(),
        "attendees": attendees,
        "show_replies": is_organizer,
        "counts": counts,
        "my_attendance": mine,
        "reply_choices": [
            ("accepted", _("参加")),
            ("declined", _("不参加")),
            ("tentative", _("未定")),
        ],
        "can_edit": is_organizer,
        "edit_url": edit_url,
        "occurrence_key": key,
        "scope_choices": SCOPE_CHOICES,
        "bookings": shown,
        "repeat_label": _repeat_label(event) if event.is_recurring else "",
        "reminder_choices": REMINDER_CHOICES,
        "my_reminders": {
            str(m)
            for m in Reminder.objects.filter(event=event, staff=request.user).values_list(
                "minutes_before", flat=True
            )
        },
        # The online meeting's join button and 開催中, drawn by the module that owns the room.
        "meeting_panel": online.panel(event, request.user),
    }
    return render(request, "calendar/event_detail.html", context)


@login_required
def event_reply(request, event_id: int):
    if request.method != "POST":
        return redirect("calendar:event_detail", event_id=event_id)
    try:
        actions.do_reply(request.user, event_id, request.POST.get("status", ""))
    except ValidationError:
        messages.error(request, _("回答を選んでください。"))
    else:
        messages.success(request, _("回答しました。"))
    url = reverse("calendar:event_detail", args=[event_id])
    key = request.POST.get("occurrence", "")
    return redirect(url + ("?" + urlencode({"occurrence": key}) if key else ""))


@login_required
def event_reminders(request, event_id: int):
    """A person's own reminders for an event they organise or attend."""
    event = actions.access_event(request.user, event_id)
    if request.method != "POST":
        return redirect("calendar:event_detail", event_id=event_id)
    values = request.POST.getlist("reminders")
    if not all(v.isdigit() for v in values):
        messages.error(request, _("reminders: 通知のタイミングを選び直してください。"))
    else:
        try:
            actions.do_set_reminders(request.user, event, [int(v) for v in values])
        except ValidationError as error:
            messages.error(request, "; ".join(error.messages))
        else:
            messages.success(request, _("通知を設定しました。"))
    url = reverse("calendar:event_detail", args=[event_id])
    key = request.POST.get("occurrence", "")
    return redirect(url + ("?" + urlencode({"occurrence": key}) if key else ""))


@login_required
def event_delete(request, event_id: int):
    event = actions.access_event(request.user, event_id, write=True)
    if request.method != "POST":
        return redirect("calendar:event_detail", event_id=event_id)
    key = request.POST.get("occurrence", "")
    moment = grid.parse_occurrence_key(key) if key else None
    scope = request.POST.get("scope") or "all"
    start = timezone.localtime(moment or event.start).date()
    try:
        actions.do_delete_event(
            request.user, event, scope=scope, occurrence=moment.isoformat() if moment else None
        )
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
        return redirect(
            reverse("calendar:event_detail", args=[event_id]) + (f"?occurrence={key}" if key else "")
        )
    messages.success(request, _("予定を削除しました。"))
    return redirect(f"{reverse('calendar:index')}?{urlencode({'view': 'week', 'date': start.isoformat()})}")
