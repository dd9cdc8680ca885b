"""The calendar grids: one's own and another person's calendar (day, week, month) and the group schedule
(グループスケジュール). Layout lives in `kiban.calendar.grid`."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from kiban.booking.queries import bookings_of
from kiban.calendar import grid, queries
from kiban.calendar.views.common import (
    GROUP_DAYS,
    VIEWS,
    booking_url,
    local_midnight,
    month_label,
    page_url,
    parse_date,
    seireki,
)
from kiban.core.wareki import nendo, wareki
from kiban.org import actions as org_actions
from kiban.org import queries as org_queries
from kiban.org.models import Department, Membership


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
        context["heading"] = month_label(first)
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
            context["seireki"] = seireki(start)
        else:
            context["heading"] = _("%(start)s 〜 %(end)s") % {
                "start": wareki(start, weekday=True),
                "end": _short_day(last) if last.year == start.year else wareki(last, weekday=True),
            }
            context["seireki"] = seireki(start, last)
        step = dt.timedelta(days=count)
        prev_date, next_date = start - step, start + step

    path = request.path
    context.update(
        prev_url=page_url(path, view=view, date=prev_date.isoformat()),
        next_url=page_url(path, view=view, date=next_date.isoformat()),
        today_url=page_url(path, view=view, date=today.isoformat()),
        view_urls=[
            (name, label, page_url(path, view=name, date=day.isoformat()))
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
    window = local_midnight(start), local_midnight(end)
    items = queries.events_for([owner.pk], *window, viewer, include_declined=False)
    event_ids = {o.event_id for o in items if not o.reduced}
    found = bookings_of([owner.pk], *window, pending_event_ids=event_ids)
    queries.mark_pending(items, found)
    bookings = [b for b in found if b.event_id is None]
    if bookings:
        items = items + grid.booking_items(bookings, viewer, booking_url)
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
        "seireki": seireki(start, start + dt.timedelta(days=GROUP_DAYS - 1)),
    }
    dept_param = str(department.pk) if department else ""
    path = request.path
    step = dt.timedelta(days=GROUP_DAYS)
    context.update(
        prev_url=page_url(path, department=dept_param, date=(start - step).isoformat()),
        next_url=page_url(path, department=dept_param, date=(start + step).isoformat()),
        prev_day_url=page_url(path, department=dept_param, date=(start - dt.timedelta(days=1)).isoformat()),
        next_day_url=page_url(path, department=dept_param, date=(start + dt.timedelta(days=1)).isoformat()),
        today_url=page_url(path, department=dept_param, date=today.isoformat()),
    )
    if department is not None:
        schedule = queries.group_schedule(department, start, GROUP_DAYS, request.user)
        context["days"] = grid.make_days(start, GROUP_DAYS, today)
        back = page_url(path, department=dept_param, date=start.isoformat())
        context["rows"] = _group_rows(schedule, context["days"], request.user, back)
    return render(request, "calendar/group.html", context)


def _group_rows(schedule, days: list[grid.Day], viewer, back: str) -> list[dict]:
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
