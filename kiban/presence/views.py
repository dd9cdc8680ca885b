"""Pages: the section's whereabouts board (行先掲示板), setting one's status (the header's picker posts here),
and phone memos. Every page works without JavaScript; presence.js keeps the board live."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiban.core.permissions import is_it_admin
from kiban.org import queries as org_queries
from kiban.org.models import Department
from kiban.presence import actions, queries
from kiban.presence.models import PhoneMemo, Status

Staff = get_user_model()

UNTIL_CHOICES = (30, 60, 120, 180)  # minutes, the quick return times of the form


def _errors(error: ValidationError) -> list[str]:
    return [m for msgs in error.message_dict.values() for m in msgs]


def _back(request, default: str):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def _until(value: str) -> dt.datetime | None:
    """The form's return time: minutes from now ("60"), a time today ("15:30"), or empty."""
    value = (value or "").strip()
    if not value:
        return None
    now = timezone.localtime()
    if value.isdigit():
        return now + dt.timedelta(minutes=int(value))
    try:
        clock = dt.time.fromisoformat(value)
    except ValueError:
        raise ValidationError({"until": [_("戻り予定は 15:30 のように入力してください。")]}) from None
    moment = now.replace(hour=clock.hour, minute=clock.minute, second=0, microsecond=0)
    return moment if moment > now else moment + dt.timedelta(days=1)


def _clocks() -> list[str]:
    """Return times on the half hour from the next one until 20:00, for the form's list."""
    now = timezone.localtime()
    moment = now.replace(minute=30 if now.minute < 30 else 0, second=0, microsecond=0)
    if now.minute >= 30:
        moment += dt.timedelta(hours=1)
    clocks = []
    while moment.date() == now.date() and moment.hour < 20:
        clocks.append(f"{moment:%H:%M}")
        moment += dt.timedelta(minutes=30)
    return clocks


@login_required
def board(request):
    sections = org_queries.sections_of(request.user)
    department_id = request.GET.get("department")
    if department_id:
        department = get_object_or_404(
            Department, pk=department_id if department_id.isdigit() else 0, is_active=True
        )
    elif sections:
        department = sections[0].department
    else:  # someone without a section (an IT administrator's account): the largest section, to start from
        department = (
            Department.objects.filter(is_active=True, memberships__staff__is_active=True)
            .annotate(members=Count("memberships"))
            .order_by("-members", "order", "code")
            .first()
        )
    rows = []
    board_admin = False
    if department is not None:
        rows = org_queries.department_members(department)
        people = [m.staff for m in rows]
        current = queries.presence_of(people)
        actions.do_watch(request.user, [p.pk for p in people])
        board_admin = is_it_admin(request.user) or any(
            m.is_head and m.department_id == department.pk for m in sections
        )
        for row in rows:
            row.presence = current[row.staff_id]
            row.status_label = Status(row.presence.status).label
            row.may_set = row.staff_id == request.user.pk or board_admin
    return render(request, "presence/board.html", {
        "department": department,
        "rows": rows,
        "my_sections": [m.department for m in sections],
        "departments": org_queries.labelled_departments(),
        "statuses": Status.choices,
        "until_choices": UNTIL_CHOICES,
        "until_clocks": _clocks(),
        "board_admin": board_admin,
    })  # fmt: skip


@login_required
@require_POST
def set_status(request, username: str | None = None):
    person = request.user if not username else get_object_or_404(Staff, username=username, is_active=True)
    # The header's one-tap picker names its field `presence` (a page may have its own `status` field).
    status = request.POST.get("status") or request.POST.get("presence", "")
    try:
        if status == "clear":
            actions.do_clear_presence(request.user, person, request=request)
        else:
            actions.do_set_presence(
                request.user, person, status=status,
                destination=request.POST.get("destination", ""), until=_until(request.POST.get("until", "")),
                note=request.POST.get("note", ""), request=request,
            )  # fmt: skip
    except ValidationError as error:
        for message in _errors(error):
            messages.error(request, message)
    except Http404:
        raise
    return _back(request, "presence:board")


@login_required
def memos(request):
    mine = list(
        PhoneMemo.objects.select_related("taken_by")
        .filter(to=request.user, done_at__isnull=True)
        .order_by("-created_at")[:100]
    )
    actions.do_mark_read(request.user, mine)
    done = (
        PhoneMemo.objects.select_related("taken_by")
        .filter(to=request.user, done_at__isnull=False)
        .order_by("-done_at")[:20]
    )
    taken = PhoneMemo.objects.select_related("to").filter(taken_by=request.user).order_by("-created_at")[:30]
    return render(request, "presence/memos.html", {
        "mine": mine, "done": done, "taken": taken, "actions": PhoneMemo.Action.choices,
        "to": request.GET.get("to", ""),
    })  # fmt: skip


@login_required
@require_POST
def take_memo(request):
    to = Staff.objects.filter(username=request.POST.get("to", "").strip(), is_active=True).first()
    try:
        actions.do_take_memo(
            request.user, to, caller_name=request.POST.get("caller_name", ""),
            caller_org=request.POST.get("caller_org", ""), caller_phone=request.POST.get("caller_phone", ""),
            message=request.POST.get("message", ""), action=request.POST.get("action", "call_back"),
            request=request,
        )  # fmt: skip
    except ValidationError as error:
        for message in _errors(error):
            messages.error(request, message)
        return render(request, "presence/memos.html", {
            "mine": [], "done": [], "taken": [], "actions": PhoneMemo.Action.choices,
            "to": request.POST.get("to", ""), "form": request.POST,
        }, status=400)  # fmt: skip
    messages.success(
        request, _("電話メモを %(name)s さんに送りました。") % {"name": to.full_name or to.username}
    )
    return redirect("presence:memos")


@login_required
@require_POST
def memo_done(request, memo_id: int):
    memo = actions.access_memo(request.user, memo_id)
    actions.do_mark_done(request.user, memo, request=request)
    return redirect("presence:memos")
