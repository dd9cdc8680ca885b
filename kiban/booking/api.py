"""REST API for facilities and official cars: resources, availability, bookings, approval, alcohol checks,
key handover, return, driver licences and the fleet manager's log (CSV for Excel)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from kiban.booking import actions, exports, fleet, queries, rules
from kiban.booking.models import Booking, DriverLicence, Resource
from kiban.booking.schemas import AlcoholCheckOut, BookingCreated, BookingOut, ResourceOut
from kiban.booking.serializers import alcohol_check_out, booking_out, bookings_out, local, resource_out
from kiban.core import paging

router = Router(tags=["booking"])

MAX_WINDOW = dt.timedelta(days=62)


class BusyOut(Schema):
    start: dt.datetime
    end: dt.datetime
    status: str
    booking: int
    booked_by: str = Field(description="The booker's username")
    booked_by_name: str
    purpose: str = Field(
        description="予定あり when the booking is for a private event the caller does not attend"
    )


class AvailabilityOut(Schema):
    resource: int
    start: dt.datetime
    end: dt.datetime
    busy: list[BusyOut]


class RangeIn(Schema):
    start: dt.datetime
    end: dt.datetime


class BookingIn(Schema):
    resource: int = Field(ge=1)
    start: dt.datetime | None = Field(None, description="With `end`; Asia/Tokyo when no offset is given")
    end: dt.datetime | None = None
    occurrences: list[RangeIn] | None = Field(None, max_length=actions.MAX_OCCURRENCES)
    rrule: str | None = Field(None, max_length=500, description="RFC 5545 RRULE repeating `start`–`end`")
    purpose: str = Field("", max_length=200)
    destination: str = Field("", max_length=200, description="Cars: required")
    driver: str | None = Field(None, max_length=32, description="Cars: the driver's username (required)")
    passengers: list[str] = Field(default_factory=list, max_length=20)


class BookingPatch(Schema):
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    purpose: str | None = Field(None, max_length=200)
    destination: str | None = Field(None, max_length=200)
    driver: str | None = Field(None, max_length=32)
    passengers: list[str] | None = Field(None, max_length=20)


class ConflictRange(Schema):
    start: dt.datetime
    end: dt.datetime


class ConflictOut(Schema):
    detail: str
    conflicts: list[ConflictRange]


class DetailOut(Schema):
    detail: str


class DecisionIn(Schema):
    action: Literal["approve", "reject"]
    comment: str = Field("", max_length=500)


class AlcoholCheckIn(Schema):
    kind: Literal["before", "after"]
    method: Literal["face_to_face", "video"]
    result: Literal["negative", "positive"]
    checked_at: dt.datetime | None = None
    reading: Decimal | None = Field(None, ge=0, lt=10, decimal_places=3)
    detector_used: bool = True
    notes: str = Field("", max_length=2000)


class KeyHandoverIn(Schema):
    odometer_start: int | None = Field(None, ge=0, le=9_999_999)


class ReturnIn(Schema):
    odometer_end: int = Field(ge=0, le=9_999_999)
    odometer_start: int | None = Field(None, ge=0, le=9_999_999)
    fuel_added: Decimal | None = Field(None, ge=0, lt=1000, decimal_places=2)
    notes: str = Field("", max_length=2000)


class LicenceIn(Schema):
    expires_on: dt.date
    number_last4: str = Field("", max_length=4)


class LicenceOut(Schema):
    username: str
    expires_on: dt.date
    number_last4: str
    valid: bool
    checked_by: str | None
    checked_at: dt.datetime | None


class BookingFilters(Schema):
    mine: bool = True
    resource: int | None = Field(None, ge=1)
    start: dt.datetime | None = None
    end: dt.datetime | None = None


class WindowIn(Schema):
    start: dt.datetime
    end: dt.datetime


class LogFilters(Schema):
    from_: dt.date = Field(alias="from")
    to: dt.date
    driver: str | None = Field(None, max_length=32)


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """CONTRACT: Asia/Tokyo when no offset is given."""
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _window(start: dt.datetime | None, end: dt.datetime | None, field: str = "end") -> tuple:
    start, end = aware(start), aware(end)
    if start is not None and end is not None:
        if end <= start:
            raise ValidationError({field: _("終了は開始より後にしてください。")})
        if end - start > MAX_WINDOW:
            raise ValidationError({field: _("期間は62日までです。")})
    return start, end


def _conflict(exc: actions.BookingConflict):
    return Status(
        409,
        {"detail": str(exc), "conflicts": [{"start": local(s), "end": local(e)} for s, e in exc.conflicts]},
    )


def _staff_or_400(username: str, field: str):
    person = get_user_model().objects.filter(username=username, is_active=True).first()
    if person is None:
        raise ValidationError({field: _("その職員はいません。")})
    return person


def _load(booking_id: int, viewer) -> Booking:
    """The booking after a change, as `viewer` may read it (a manager reads a private event's purpose as 予定あり)."""
    bookings = queries.with_purpose_hidden(Booking.objects, viewer)
    return bookings.select_related("resource", "booked_by", "driver", "decided_by").get(pk=booking_id)


# --- Resources ------------------------------------------------------------------------------------------


@router.get(
    "/resources", response=paging.Page[ResourceOut], summary="Meeting rooms, official cars and equipment"
)
def resource_list(
    request, page: Query[paging.PageQuery], kind: Literal["room", "car", "equipment"] | None = None
):
    qs = Resource.objects.filter(active=True)
    if kind:
        qs = qs.filter(kind=kind)
    return paging.page(qs, page, resource_out)


@router.get("/resources/{resource_id}", response=ResourceOut, summary="A resource")
def resource_detail(request, resource_id: int):
    return resource_out(get_object_or_404(Resource, pk=resource_id, active=True))


@router.get(
    "/resources/{resource_id}/availability", response=AvailabilityOut, summary="Busy blocks in a window"
)
def resource_availability(request, resource_id: int, window: Query[WindowIn]):
    """The slot-holding bookings (confirmed and pending) overlapping [start, end), at most 62 days."""
    resource = get_object_or_404(Resource, pk=resource_id, active=True)
    start, end = _window(window.start, window.end)
    rows = (
        queries.with_purpose_hidden(Booking.objects, request.auth)
        .filter(
            resource=resource,
            status__in=Booking.HOLDING,
            start__gte=start - queries.MAX_BOOKING_SPAN,
            start__lt=end,
            end__gt=start,
        )
        .select_related("booked_by")
        .order_by("start")
    )
    busy = [
        {
            "start": local(b.start), "end": local(b.end), "status": b.status, "booking": b.pk,
            "booked_by": b.booked_by.username, "booked_by_name": b.booked_by.full_name,
            "purpose": queries.shown_purpose(b.purpose, b.purpose_hidden),
        }
        for b in rows
    ]  # fmt: skip
    return {"resource": resource.pk, "start": local(start), "end": local(end), "busy": busy}


# --- Bookings -------------------------------------------------------------------------------------------


@router.post(
    "/bookings", response={201: BookingCreated, 409: ConflictOut}, summary="Book a resource (all or nothing)"
)
def booking_create(request, payload: BookingIn):
    """One range (`start`, `end`), a list of `occurrences`, or `start`/`end` repeated by `rrule`. Every
    occurrence is checked; one collision refuses the whole request (409 naming the clashing bookings'
    times). A car needs `destination` and `driver` with a licence valid on the booking date."""
    if payload.occurrences:
        if payload.rrule:
            raise ValidationError({"rrule": _("occurrences と同時には指定できません。")})
        ranges = [(aware(r.start), aware(r.end)) for r in payload.occurrences]
    else:
        if payload.start is None:
            raise ValidationError({"start": _("開始を指定してください。")})
        if payload.end is None:
            raise ValidationError({"end": _("終了を指定してください。")})
        start, end = aware(payload.start), aware(payload.end)
        ranges = actions.expand_rrule(payload.rrule, start, end) if payload.rrule else [(start, end)]
    car = None
    resource = Resource.objects.filter(pk=payload.resource).first()
    if resource is not None and resource.is_car:
        car = {
            "destination": payload.destination,
            "driver": _staff_or_400(payload.driver, "driver") if payload.driver else None,
            "passengers": [_staff_or_400(u, "passengers") for u in payload.passengers],
        }
    try:
        created = actions.reserve(
            resource_ids=[payload.resource], ranges=ranges, booked_by=request.auth, purpose=payload.purpose,
            car=car,
        )  # fmt: skip
    except actions.BookingConflict as exc:
        return _conflict(exc)
    loaded = list(
        Booking.objects.filter(pk__in=[b.pk for b in created])
        .select_related("resource", "booked_by", "driver")
        .order_by("start")
    )
    made = bookings_out(loaded)
    return Status(201, BookingCreated(**dict(made[0]), occurrences=made))


@router.get("/bookings", response=paging.Page[BookingOut], summary="Bookings: mine, or a managed resource's")
def booking_list(request, filters: Query[BookingFilters], page: Query[paging.PageQuery]):
    """Mine (as booker or driver). With `resource` and `mine=false`, all bookings of that resource when
    the person manages it (owning section, IT administrators). By start, a page at a time."""
    start, end = _window(filters.start, filters.end)
    user = request.auth
    qs = queries.with_purpose_hidden(Booking.objects, user).select_related("resource", "booked_by", "driver")
    if filters.resource is not None:
        resource = Resource.objects.filter(pk=filters.resource).first()
        if resource is None:
            raise ValidationError({"resource": _("その施設はありません。")})
        qs = qs.filter(resource=resource)
        if filters.mine or not rules.manages_resource(user, resource):
            qs = qs.filter(Q(booked_by=user) | Q(driver=user))
    else:
        qs = qs.filter(Q(booked_by=user) | Q(driver=user))
    if start is not None:
        qs = qs.filter(end__gt=start)
    if end is not None:
        qs = qs.filter(start__lt=end)
    result = paging.page(qs.order_by("start", "id"), page)
    return {**result, "results": bookings_out(result["results"])}


@router.get("/bookings/{booking_id}", response=BookingOut, summary="A booking")
def booking_detail(request, booking_id: int):
    return booking_out(actions.access_booking(request.auth, booking_id))


@router.patch(
    "/bookings/{booking_id}", response={200: BookingOut, 409: ConflictOut}, summary="Change a booking"
)
def booking_update(request, booking_id: int, payload: BookingPatch):
    booking = actions.access_booking(request.auth, booking_id)
    changes = payload.dict(exclude_unset=True)
    for key in ("start", "end"):
        if key in changes:
            if changes[key] is None:
                raise ValidationError({key: _("日時を指定してください。")})
            changes[key] = aware(changes[key])
    if changes.get("driver"):
        changes["driver"] = _staff_or_400(changes["driver"], "driver")
    if changes.get("passengers") is not None:
        changes["passengers"] = [_staff_or_400(u, "passengers") for u in changes["passengers"]]
    try:
        booking = actions.do_update_booking(request.auth, booking, **changes)
    except actions.BookingConflict as exc:
        return _conflict(exc)
    return booking_out(_load(booking.pk, request.auth))


@router.delete("/bookings/{booking_id}", response={204: None}, summary="Cancel a booking")
def booking_cancel(request, booking_id: int, series: bool = False):
    """The slot is free at once. `series=true` also cancels the later occurrences of a recurring booking."""
    booking = actions.access_booking(request.auth, booking_id)
    actions.do_cancel_booking(request.auth, booking, whole_series=series)
    return Status(204, None)


@router.post("/bookings/{booking_id}/decision", response=BookingOut, summary="Approve or reject")
def booking_decision(request, booking_id: int, payload: DecisionIn):
    """For approval-policy resources: the owning section's members (or IT administrators) decide; the
    booker is notified."""
    booking = Booking.objects.select_related("resource", "booked_by").filter(pk=booking_id).first()
    if booking is None:
        raise Http404
    actions.do_decide_booking(request.auth, booking, action=payload.action, comment=payload.comment)
    return booking_out(_load(booking.pk, request.auth))


# --- Cars -----------------------------------------------------------------------------------------------


@router.get("/bookings/{booking_id}/alcohol-checks", response=list[AlcoholCheckOut], summary="Alcohol checks")
def alcohol_check_list(request, booking_id: int):
    """The driver, the checkers and fleet managers only."""
    booking = actions.access_booking(request.auth, booking_id)
    if not rules.can_see_checks(request.auth, booking):
        raise Http404
    checks = booking.alcohol_checks.select_related("driver", "checker").order_by("checked_at", "id")
    return [alcohol_check_out(c) for c in checks]


@router.post(
    "/bookings/{booking_id}/alcohol-checks",
    response={201: AlcoholCheckOut},
    summary="Record an alcohol check",
)
def alcohol_check_create(request, booking_id: int, payload: AlcoholCheckIn):
    """The person recording is the checker (the owning section or a fleet manager, never the driver)."""
    booking = actions.access_booking(request.auth, booking_id)
    check = fleet.do_record_alcohol_check(
        request.auth, booking, kind=payload.kind, method=payload.method, result=payload.result,
        checked_at=aware(payload.checked_at), reading=payload.reading, detector_used=payload.detector_used,
        notes=payload.notes,
    )  # fmt: skip
    return Status(201, alcohol_check_out(check))


@router.post(
    "/bookings/{booking_id}/key-handover",
    response={200: BookingOut, 409: DetailOut},
    summary="Hand over the key",
)
def key_handover(request, booking_id: int, payload: KeyHandoverIn):
    """Refused (409) while the driver has no negative pre-drive alcohol check."""
    booking = actions.access_booking(request.auth, booking_id)
    try:
        fleet.do_hand_over_key(request.auth, booking, odometer_start=payload.odometer_start)
    except fleet.KeyHandoverRefused as exc:
        return Status(409, {"detail": str(exc)})
    return booking_out(_load(booking.pk, request.auth))


@router.post("/bookings/{booking_id}/return", response=BookingOut, summary="Record the car's return")
def car_return(request, booking_id: int, payload: ReturnIn):
    booking = actions.access_booking(request.auth, booking_id)
    fleet.do_record_return(
        request.auth, booking, odometer_end=payload.odometer_end, odometer_start=payload.odometer_start,
        fuel_added=payload.fuel_added, notes=payload.notes,
    )  # fmt: skip
    return booking_out(_load(booking.pk, request.auth))


def _licence_dict(licence: DriverLicence) -> dict:
    return {
        "username": licence.staff.username,
        "expires_on": licence.expires_on,
        "number_last4": licence.number_last4,
        "valid": licence.expires_on >= timezone.localdate(),
        "checked_by": licence.checked_by.username if licence.checked_by_id else None,
        "checked_at": local(licence.checked_at),
    }


@router.get("/drivers/{username}/licence", response=LicenceOut, summary="A driver's licence")
def licence_detail(request, username: str):
    """The driver themself, fleet managers and IT administrators."""
    person = get_object_or_404(get_user_model(), username=username)
    if person.pk != request.auth.pk and not rules.can_keep_licences(request.auth):
        raise Http404
    licence = DriverLicence.objects.select_related("staff", "checked_by").filter(staff=person).first()
    if licence is None:
        raise Http404
    return _licence_dict(licence)


@router.put("/drivers/{username}/licence", response=LicenceOut, summary="Register or renew a licence")
def licence_update(request, username: str, payload: LicenceIn):
    if not rules.can_keep_licences(request.auth):
        raise Http404
    person = get_object_or_404(get_user_model(), username=username, is_active=True)
    licence = fleet.do_set_licence(
        request.auth, person, expires_on=payload.expires_on, number_last4=payload.number_last4
    )
    return _licence_dict(DriverLicence.objects.select_related("staff", "checked_by").get(pk=licence.pk))


def _log(request, filters: LogFilters):
    scope = rules.fleet_resource_filter(request.auth)
    if scope is None:
        raise Http404
    if filters.to < filters.from_:
        raise ValidationError({"to": _("終了日は開始日以降にしてください。")})
    if (filters.to - filters.from_).days > 400:
        raise ValidationError({"to": _("期間は400日までです。")})
    driver_id = _staff_or_400(filters.driver, "driver").pk if filters.driver else None
    start = queries.local_day_bounds(filters.from_)[0]
    end = queries.local_day_bounds(filters.to)[1]
    return queries.alcohol_log(scope, start=start, end=end, driver_id=driver_id)


@router.get("/fleet/alcohol-checks", response=paging.Page[AlcoholCheckOut], summary="The alcohol-check log")
def fleet_log(request, filters: Query[LogFilters], page: Query[paging.PageQuery]):
    """Fleet managers (安全運転管理者): the checks of the cars in their scope, `from`–`to` inclusive."""
    return paging.page(_log(request, filters), page, alcohol_check_out)


@router.get("/fleet/alcohol-checks.csv", summary="The alcohol-check log as CSV (UTF-8 with BOM, for Excel)")
def fleet_log_csv(request, filters: Query[LogFilters]):
    body = exports.alcohol_log_csv(_log(request, filters))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    name = f"alcohol-checks-{filters.from_:%Y%m%d}-{filters.to:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
