"""Official-car pages: record an alcohol check, hand over the key, record the return; the fleet manager's
log (filters, CSV export through the API) and the licence registry."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiban.booking import actions, fleet, queries, rules
from kiban.booking.forms import AlcoholCheckForm, LicenceForm, LogFilterForm, ReturnForm
from kiban.booking.models import DriverLicence


def _errors(request, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


@login_required
@require_POST
def alcohol_check(request, booking_id: int):
    booking = actions.access_booking(request.user, booking_id)
    form = AlcoholCheckForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, " ".join(f"{form.fields[k].label}: {' '.join(v)}" for k, v in form.errors.items())
        )
        return redirect("booking:detail", booking.pk)
    data = form.cleaned_data
    try:
        fleet.do_record_alcohol_check(
            request.user, booking, kind=data["kind"], method=data["method"], result=data["result"],
            reading=data["reading"], detector_used=data["detector_used"], notes=data["notes"],
        )  # fmt: skip
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, _("アルコールチェックを記録しました。"))
    return redirect("booking:detail", booking.pk)


@login_required
@require_POST
def key_handover(request, booking_id: int):
    booking = actions.access_booking(request.user, booking_id)
    try:
        fleet.do_hand_over_key(request.user, booking)
    except fleet.KeyHandoverRefused as refused:
        messages.error(request, str(refused))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, _("鍵を貸し出しました。"))
    return redirect("booking:detail", booking.pk)


@login_required
@require_POST
def car_return(request, booking_id: int):
    booking = actions.access_booking(request.user, booking_id)
    form = ReturnForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            fleet.do_record_return(
                request.user, booking, odometer_end=data["odometer_end"], odometer_start=data["odometer_start"],
                fuel_added=data["fuel_added"], notes=data["notes"],
            )  # fmt: skip
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("返却を記録しました。"))
    else:
        messages.error(
            request, " ".join(f"{form.fields[k].label}: {' '.join(v)}" for k, v in form.errors.items())
        )
    return redirect("booking:detail", booking.pk)


@login_required
def fleet_log(request):
    scope = rules.fleet_resource_filter(request.user)
    if scope is None:
        raise Http404
    today = timezone.localdate()
    form = LogFilterForm(request.GET or {"start": today.replace(day=1), "end": today})
    checks, csv_url = [], ""
    if form.is_valid():
        data = form.cleaned_data
        if data["end"] < data["start"] or (data["end"] - data["start"]).days > 400:
            form.add_error("end", _("期間は開始日から400日以内にしてください。"))
        else:
            driver_id = None
            if data["driver"]:
                from django.contrib.auth import get_user_model

                driver = get_user_model().objects.filter(username=data["driver"]).first()
                driver_id = driver.pk if driver else -1
            start = queries.local_day_bounds(data["start"])[0]
            end = queries.local_day_bounds(data["end"])[1]
            checks = list(queries.alcohol_log(scope, start=start, end=end, driver_id=driver_id)[:2000])
            params = {"from": data["start"].isoformat(), "to": data["end"].isoformat()}
            if data["driver"]:
                params["driver"] = data["driver"]
            csv_url = "/api/v1/fleet/alcohol-checks.csv?" + urlencode(params)
    return render(request, "booking/fleet_log.html", {"form": form, "checks": checks, "csv_url": csv_url})


@login_required
def licences(request):
    if not rules.can_keep_licences(request.user):
        raise Http404
    if request.method == "POST":
        form = LicenceForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                fleet.do_set_licence(
                    request.user,
                    data["username"],
                    expires_on=data["expires_on"],
                    number_last4=data["number_last4"],
                )
            except ValidationError as error:
                _errors(request, error)
            else:
                messages.success(request, _("運転免許を登録しました。"))
                return redirect("booking:licences")
    else:
        form = LicenceForm()
    today = timezone.localdate()
    rows = list(
        DriverLicence.objects.select_related("staff", "checked_by").order_by("expires_on", "staff__sort_key")
    )
    return render(
        request,
        "booking/licences.html",
        {
            "form": form,
            "licences": rows,
            "today": today,
            "soon": today + dt.timedelta(days=30),
            # An IT administrator keeps the register without reading the alcohol-check log (personal data).
            "can_see_log": rules.fleet_resource_filter(request.user) is not None,
        },
    )
