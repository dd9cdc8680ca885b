"""Calendar pages (スケジュール): one's own and another person's calendar (day, week, month), the group
schedule (グループスケジュール), the event form and detail page, and the calendar settings (feed, export,
import). Views parse, call `kiban.calendar.actions` / `queries`, and render; layout lives in `grid`."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from kiban.booking import queries as booking_queries
from kiban.calendar import grid, online, queries
from kiban.core.wareki import nendo, nendo_range, wareki, wareki_year
from kiban.org import actions as org_actions
from kiban.org import queries as org_queries
from kiban.org.models import Department, Membership

VIEWS = ("day", "week", "month")
GROUP_DAYS = 7


def parse_date(value: str | None, default: dt.date | None = None) -> dt.date:
    """A `YYYY-MM-DD` query parameter; anything else means today (a bookmark with a typo still opens)."""
    try:
        day = dt.date.fromisoformat((value or "").strip()[:10])
    except ValueError:
        return default or timezone.localdate()
    # Far-off years would overflow date arithmetic (a week on from 9999-12-31); nobody plans there.
    return day if 1900 <= day.year <= 2200 else (default or timezone.localdate())


def local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _month_label(day: dt.date) -> str:
    return _("%(wareki)s%(month)d月") % {"wareki": wareki_year(day), "month": day.month}


def _seireki(start: dt.date, end: dt.date | None = None) -> str:
    """The period in 西暦 and its 年度 (the year offices plan and report by)."""
    fiscal = nendo_range(start, end)
    if end is None or end == start:
        return f"{start:%Y-%m-%d} · {fiscal}"
    return f"{start:%Y-%m-%d} – {end:%Y-%m-%d} · {fiscal}"


def _page_url(path: str, **params) -> str:
    return f"{path}?{urlencode({k: v for k, v in params.items() if v})}"


@login_required
def index(request):
    return _calendar_page(request, request.user)


@login_required
def person(request, username: str):
    owner = org_actions.access_staff(request.user, username)
    if owner.pk == request.user.pk:
        query = request.GET.urlencode()
        return redirect(reverse("calendar:index") + (f"?{query}" if query else ""))
    return _calendar_page(request, owner)


def _calendar_page(request, owner):
    view = request.GET.get("view", "week")
    if view not in VIEWS:
        view = "week"
    today = timezone.localdate()
    day = parse_date(request.GET.get("date"), today)
    is_self = owner.pk == request.user.pk
    attendee = "" if is_self else owner.username
    context = {"owner": owner, "is_self": is_self, "view": view, "date": day, "today": today}

    if view == "month":
        first = day.replace(day=1)
        start, end = grid.month_range(first)
        occurrences = _calendar_items(owner, start, end, request.user)
        context["weeks"] = grid.month_grid(occurrences, first, today)
        context["weekday_names"] = [_("月"), _("火"), _("水"), _("木"), _("金"), _("土"), _("日")]
        context["heading"] = _month_label(first)
        context["seireki"] = f"{first:%Y-%m} · {nendo(first)}"
        prev_date = (first - dt.timedelta(days=1)).replace(day=1)
        next_date = (first + dt.timedelta(days=32)).replace(day=1)
    else:
        count = 1 if view == "day" else 7
        start = day if view == "day" else day - dt.timedelta(days=day.weekday())
        end = start + dt.timedelta(days=count)
        occurrences = _calendar_items(owner, start, end, request.user)
        days = grid.make_days(start, count, today)
        context["grid"] = grid.time_grid(occurrences, days, attendee=attendee)
        last = end - dt.timedelta(days=1)
        if view == "day":
            context["heading"] = wareki(start, weekday=True)
            context["seireki"] = _seireki(start)
        else:
            context["heading"] = _("%(start)s 〜 %(end)s") % {
                "start": wareki(start, weekday=True),
                "end": _short_day(last) if last.year == start.year else wareki(last, weekday=True),
            }
            context["seireki"] = _seireki(start, last)
        step = dt.timedelta(days=count)
        prev_date, next_date = start - step, start + step

    path = request.path
    context.update(
        prev_url=_page_url(path, view=view, date=prev_date.isoformat()),
        next_url=_page_url(path, view=view, date=next_date.isoformat()),
        today_url=_page_url(path, view=view, date=today.isoformat()),
        view_urls=[
            (name, label, _page_url(path, view=name, date=day.isoformat()))
            for name, label in (
                ("day", pgettext("calendar view", "日")),
                ("week", pgettext("calendar view", "週")),
                ("month", pgettext("calendar view", "月")),
            )
        ],
        new_url=grid.new_event_url(day, attendee=attendee),
        group_url=reverse("calendar:group"),
    )
    return render(request, "calendar/calendar.html", context)


def _short_day(day: dt.date) -> str:
    """The end of a range within one year, without the era again: 11月29日(日)."""
    if (get_language() or "ja").startswith("en"):
        return wareki(day, weekday=True)
    return f"{day.month}月{day.day}日({'月火水木金土日'[day.weekday()]})"


def _calendar_items(owner, start: dt.date, end: dt.date, viewer) -> list:
    """The person's events (declined invitations left out) and standalone bookings in [start, end)."""
    from kiban.booking.queries import bookings_of

    window = local_midnight(start), local_midnight(end)
    items = queries.events_for([owner.pk], *window, viewer, include_declined=False)
    event_ids = {o.event_id for o in items if not o.reduced}
    found = bookings_of([owner.pk], *window, pending_event_ids=event_ids)
    queries.mark_pending(items, found)
    bookings = [b for b in found if b.event_id is None]
    if bookings:
        items = items + grid.booking_items(bookings, viewer, _booking_url)
        items.sort(key=lambda o: (not o.all_day, o.start, o.end))
    return items


def _department_options(viewer) -> tuple[list[tuple[int, str]], int | None]:
    """The department tree flattened for a <select> (indented by level), and the viewer's primary
    department."""
    options: list[tuple[int, str]] = []

    def walk(nodes, level: int) -> None:
        for node in nodes:
            options.append((node.department.pk, "\u3000" * level + node.department.name))
            walk(node.children, level + 1)

    walk(org_queries.department_tree(), 0)
    primary = (
        Membership.objects.filter(staff=viewer, is_primary=True)
        .values_list("department_id", flat=True)
        .first()
    )
    if primary is None:
        primary = Membership.objects.filter(staff=viewer).values_list("department_id", flat=True).first()
    return options, primary


@login_required
def group(request):
    options, primary = _department_options(request.user)
    department_id = request.GET.get("department", "")
    department = None
    if department_id.isdigit():
        department = Department.objects.filter(pk=int(department_id), is_active=True).first()
        if department is None:
            raise Http404(_("その所属はありません。"))
    elif primary is not None:
        department = Department.objects.filter(pk=primary).first()
    today = timezone.localdate()
    start = parse_date(request.GET.get("date"), today)
    context = {
        "department": department,
        "department_options": options,
        "start": start,
        "today": today,
        "heading": _("%(start)s 〜 %(end)s")
        % {
            "start": wareki(start, weekday=True),
            "end": wareki(start + dt.timedelta(days=GROUP_DAYS - 1), weekday=True),
        },
        "seireki": _seireki(start, start + dt.timedelta(days=GROUP_DAYS - 1)),
    }
    dept_param = str(department.pk) if department else ""
    path = request.path
    step = dt.timedelta(days=GROUP_DAYS)
    context.update(
        prev_url=_page_url(path, department=dept_param, date=(start - step).isoformat()),
        next_url=_page_url(path, department=dept_param, date=(start + step).isoformat()),
        prev_day_url=_page_url(path, department=dept_param, date=(start - dt.timedelta(days=1)).isoformat()),
        next_day_url=_page_url(path, department=dept_param, date=(start + dt.timedelta(days=1)).isoformat()),
        today_url=_page_url(path, department=dept_param, date=today.isoformat()),
    )
    if department is not None:
        schedule = queries.group_schedule(department, start, GROUP_DAYS, request.user)
        context["days"] = grid.make_days(start, GROUP_DAYS, today)
        back = _page_url(path, department=dept_param, date=start.isoformat())
        context["rows"] = _group_rows(schedule, context["days"], request.user, back)
    return render(request, "calendar/group.html", context)


def _group_rows(schedule, days: list[grid.Day], viewer, back: str) -> list[dict]:
    from django.utils.safestring import mark_safe

    day_labels = [wareki(day.date, weekday=True) for day in days]
    label = _("%(name)sさんの%(day)sに予定を登録")
    rows = []
    for member in schedule.rows:
        staff = member.staff
        name = staff.full_name or staff.username
        cells = []
        for index, day in enumerate(days):
            bookings = member.bookings[index] if member.bookings else ()
            blocks = grid.compact_blocks(member.days[index], day.date, bookings)
            new_url = grid.new_event_url(day.date, attendee=staff.username, back=back)
            cells.append(
                grid.group_cell_html(day, blocks, new_url, label % {"name": name, "day": day_labels[index]})
            )
        rows.append(
            {
                "staff": staff,
                "title": member.title,
                "is_me": staff.pk == viewer.pk,
                "cells_html": mark_safe("".join(cells)),  # noqa: S308 - built from escaped parts in grid
            }
        )
    return rows


# --- Events: form, detail, reply, delete ------------------------------------------------------------------

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
    from django.core.exceptions import ValidationError

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
    from django.core.exceptions import ValidationError

    from kiban.booking.actions import BookingConflict
    from kiban.calendar import actions

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
        from kiban.accounts.models import Staff
        from kiban.calendar.forms import split_usernames

        wanted = split_usernames(names)
        found = {s.username: s for s in Staff.objects.filter(username__in=wanted)}
        attendees = [found[n] for n in wanted if n in found]
    start_value = form["start_date"].value()
    nth_label = ""
    if start_value:
        from kiban.calendar.forms import describe_nth

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
    from kiban.calendar.forms import repeat_initial

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
    from kiban.calendar.forms import EventForm

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


def _occurrence_of(event, moment: dt.datetime | None):
    """The occurrence of `event` that starts (originally) at `moment`, exceptions applied; None when the
    series has no such occurrence. Without `moment`: the event itself."""
    from kiban.calendar.models import EventException

    if moment is None or not event.is_recurring:
        return queries.Occurrence(
            event=event,
            start=event.start,
            end=event.end,
            occurrence_start=None,
            title=event.title,
            location=event.location,
            description=event.description,
            all_day=event.all_day,
        )
    changed = EventException.objects.filter(event=event, recurrence_id=moment).first()
    if changed is not None:
        if changed.cancelled:
            return None
        return queries.Occurrence(
            event=event,
            start=changed.start,
            end=changed.end,
            occurrence_start=moment,
            title=changed.title,
            location=changed.location,
            description=changed.description,
            all_day=changed.all_day,
        )
    if not queries.is_rule_start(event, moment):
        return None
    return queries.Occurrence(
        event=event,
        start=moment,
        end=moment + (event.end - event.start),
        occurrence_start=moment,
        title=event.title,
        location=event.location,
        description=event.description,
        all_day=event.all_day,
    )


def _readable_event(request, event_id: int):
    """The event and the asked occurrence, for someone who may see its details (else 404: another person's
    private event is not there for them)."""
    from kiban.calendar import actions

    event = actions.access_event(request.user, event_id)
    if not actions.can_see_details(request.user, event):
        raise Http404
    key = request.GET.get("occurrence") or request.POST.get("occurrence") or ""
    moment = grid.parse_occurrence_key(key) if key else None
    occ = _occurrence_of(event, moment)
    if occ is None:
        raise Http404
    return event, occ


@login_required
def event_edit(request, event_id: int):
    from kiban.calendar import actions
    from kiban.calendar.forms import EventForm, initial_from_event
    from kiban.calendar.models import Reminder

    event = actions.access_event(request.user, event_id, write=True)
    key = request.GET.get("occurrence") or request.POST.get("occurrence") or ""
    moment = grid.parse_occurrence_key(key) if key and event.is_recurring else None
    occ = _occurrence_of(event, moment)
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


def _repeat_label(event) -> str:
    from kiban.calendar.forms import REPEAT_CHOICES, repeat_initial

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
    from kiban.calendar.forms import REMINDER_CHOICES, SCOPE_CHOICES
    from kiban.calendar.models import Attendee, Reminder

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
        booking.url = _booking_url(booking.pk) if is_organizer else ""
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


def _booking_url(booking_id: int) -> str:
    return reverse("booking:detail", args=[booking_id])


@login_required
def event_reply(request, event_id: int):
    from django.contrib import messages
    from django.core.exceptions import ValidationError

    from kiban.calendar import actions

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
    from django.contrib import messages
    from django.core.exceptions import ValidationError

    from kiban.calendar import actions

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
    from django.contrib import messages
    from django.core.exceptions import ValidationError

    from kiban.calendar import actions

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


# --- Settings: feed URL, export, import -------------------------------------------------------------------

MAX_IMPORT_BYTES = 10 * 1024 * 1024


@login_required
def calendar_settings(request):
    from kiban.calendar import actions, ics
    from kiban.calendar.models import FeedToken

    context: dict = {"max_mb": MAX_IMPORT_BYTES // (1024 * 1024)}
    status = 200
    if request.method == "POST":
        what = request.POST.get("action")
        if what == "feed":
            token, context["feed_replaced"] = actions.do_rotate_feed_token(request.user, request=request)
            context["feed_url"] = actions.feed_url(token, request)
        elif what == "import":
            upload = request.FILES.get("file")
            if upload is None:
                context["import_error"] = _("file: .ics ファイルを選んでください。")
                status = 400
            elif upload.size > MAX_IMPORT_BYTES:
                context["import_error"] = _("file: ファイルが大きすぎます（%(n)d MBまで）。") % {
                    "n": MAX_IMPORT_BYTES // (1024 * 1024)
                }
                status = 400
            else:
                try:
                    context["report"] = actions.do_import_ics(request.user, upload.read())
                except ics.IcsError as error:
                    context["import_error"] = _("file: 読み込めませんでした: %(why)s") % {"why": error}
                    status = 400
    token_row = FeedToken.objects.filter(staff=request.user).first()
    context["feed_created"] = token_row.created_at if token_row else None
    return render(request, "calendar/settings.html", context, status=status)
