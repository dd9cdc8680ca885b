"""Booking pages: the availability grid (day and week), the booking form, a booking, my bookings, the
approval queue. Car pages (checks, key, return, fleet log, licences) are in views_car.py."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kiban.booking import actions, queries, rules
from kiban.booking.forms import AlcoholCheckForm, BookingForm, ReturnForm
from kiban.booking.models import Resource
from kiban.core.permissions import is_it_admin

KINDS = [
    ("room", gettext_lazy("会議室")),
    ("car", gettext_lazy("公用車")),
    ("equipment", gettext_lazy("備品")),
]
# Form fields the actions' ValidationError keys land on; others are shown above the form.
FIELD_OF = {"end": "end_time", "start": "start_time", "destination": "destination", "driver": "driver",
            "passengers": "passengers", "purpose": "purpose", "rrule": "repeat"}  # fmt: skip


def _date_param(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        return timezone.localdate()


@login_required
def index(request):
    kind = request.GET.get("kind", "room")
    if kind not in Resource.Kind.values:
        kind = "room"
    view = "week" if request.GET.get("view") == "week" else "day"
    day = _date_param(request.GET.get("date"))
    if view == "week":
        first, days, step = day - dt.timedelta(days=day.weekday()), 7, 7
    else:
        first, days, step = day, 1, 1
    grid = queries.availability(kind, first, days, viewer=request.user)
    context = {
        "grid": grid,
        "kind": kind,
        "kinds": KINDS,
        "view": view,
        "day": day,
        "today": timezone.localdate(),
        "prev": first - dt.timedelta(days=step),
        "next": first + dt.timedelta(days=step),
        "free_hours": [
            (f"{h:02d}:00", (h - grid.hours[0]) * 4 + 1, (h - grid.hours[0]) * 4 + 5) for h in grid.hours
        ],
        "pending_count": queries.pending_count(request.user),
        "is_fleet_manager": kind == "car" and rules.fleet_resource_filter(request.user) is not None,
    }
    if request.headers.get("HX-Request") == "true" and request.headers.get("HX-Target") == "bk-grid":
        return render(request, "booking/_grid.html", context)
    return render(request, "booking/index.html", context)


def _apply_errors(form, error: ValidationError) -> None:
    for key, msgs in error.message_dict.items():
        field = FIELD_OF.get(key)
        for msg in msgs:
            form.add_error(field if field in form.fields else None, msg)


@login_required
def new_booking(request, resource_id: int):
    resource = get_object_or_404(Resource, pk=resource_id, active=True)
    car = resource.is_car
    if request.method == "POST":
        form = BookingForm(request.POST, car=car)
        if form.is_valid():
            data = form.cleaned_data
            try:
                rrule = form.rrule()
                ranges = (
                    actions.expand_rrule(rrule, data["start"], data["end"])
                    if rrule
                    else [(data["start"], data["end"])]
                )
                car_fields = (
                    {"destination": data["destination"], "driver": data["driver"], "passengers": data["passengers"]}
                    if car else None
                )  # fmt: skip
                created = actions.reserve(
                    resource_ids=[resource.pk], ranges=ranges, booked_by=request.user, purpose=data["purpose"],
                    car=car_fields,
                )  # fmt: skip
            except actions.BookingConflict as conflict:
                form.add_error(None, str(conflict))
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                if created[0].status == "pending":
                    messages.success(request, _("予約を申請しました。管理所属の承認をお待ちください。"))
                else:
                    messages.success(request, _("%(n)d件の予約をしました。") % {"n": len(created)})
                return redirect("booking:detail", created[0].pk)
    else:
        start = request.GET.get("start", "09:00")
        try:
            start_time = dt.time.fromisoformat(start)
        except ValueError:
            start_time = dt.time(9, 0)
        end_time = (dt.datetime.combine(timezone.localdate(), start_time) + dt.timedelta(hours=1)).time()
        initial = {
            "date": _date_param(request.GET.get("date")),
            "start_time": start_time,
            "end_time": end_time,
        }
        if car:
            initial["driver"] = request.user.username
        form = BookingForm(initial=initial, car=car)
    busy = queries.availability(
        resource.kind,
        _date_param(request.GET.get("date") or request.POST.get("date")),
        1,
        viewer=request.user,
        resources=[resource],
    )
    return render(
        request, "booking/new.html", {"resource": resource, "form": form, "busy": busy.rows[0].days[0]}
    )


@login_required
def detail(request, booking_id: int):
    booking = actions.access_booking(request.user, booking_id)
    context = {
        "booking": booking,
        "can_change": rules.can_change_booking(request.user, booking)
        and booking.status in ("confirmed", "pending"),
        "can_decide": booking.status == "pending"
        and booking.start > timezone.now()
        and rules.manages_resource(request.user, booking.resource),
    }
    if booking.resource.is_car:
        from django.contrib.auth import get_user_model

        context["passengers"] = list(get_user_model().objects.filter(pk__in=booking.passengers or []))
        context["can_see_checks"] = rules.can_see_checks(request.user, booking)
        context["can_record"] = (
            rules.can_record_checks(request.user, booking) and booking.driver_id != request.user.pk
        )
        context["can_return"] = (
            (rules.owns_booking(request.user, booking) or rules.can_record_checks(request.user, booking))
            and booking.key_handed_over_at is not None and booking.returned_at is None
        )  # fmt: skip
        if context["can_see_checks"]:
            context["checks"] = list(booking.alcohol_checks.select_related("checker", "driver"))
        context["check_form"] = AlcoholCheckForm(
            initial={"kind": "before" if not booking.key_handed_over_at else "after"}
        )
        context["return_form"] = ReturnForm(initial={"odometer_start": booking.odometer_start})
    return render(request, "booking/detail.html", context)


@login_required
@require_POST
def cancel(request, booking_id: int):
    booking = actions.access_booking(request.user, booking_id)
    actions.do_cancel_booking(request.user, booking, whole_series=request.POST.get("series") == "1")
    if request.headers.get("HX-Request") == "true":
        booking.refresh_from_db()
        return render(request, "booking/_mine_row.html", {"b": booking})
    messages.success(request, _("予約を取り消しました。"))
    return redirect("booking:mine")


@login_required
@require_POST
def decide(request, booking_id: int):
    booking = actions.access_booking(request.user, booking_id)
    try:
        actions.do_decide_booking(
            request.user,
            booking,
            action=request.POST.get("action", ""),
            comment=request.POST.get("comment", "")[:500],
        )
    except PermissionDenied as denied:
        messages.error(request, str(denied))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("承認しました。") if booking.status == "confirmed" else _("却下しました。")
        )
    if request.POST.get("next") == "approvals":
        return redirect("booking:approvals")
    return redirect("booking:detail", booking.pk)


@login_required
def mine(request):
    since = timezone.now() - dt.timedelta(days=7)
    return render(request, "booking/mine.html", {"bookings": queries.my_bookings(request.user, since=since)})


@login_required
def approvals(request):
    if not rules.managed_department_ids(request.user) and not is_it_admin(request.user):
        raise Http404
    return render(request, "booking/approvals.html", {"bookings": queries.pending_for(request.user)})
