"""The portal's 今日の予約 section: rooms, cars and equipment the person booked or drives today, and — for
the sections that approve bookings — how many requests wait for a decision (Kiban's own pending approvals)."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiban.booking.models import Booking
from kiban.booking.queries import (
    MAX_BOOKING_SPAN,
    local_day_bounds,
    pending_count,
    shown_purpose,
    with_purpose_hidden,
)
from kiban.core.modules import PortalSection
from kiban.core.schemas import OutSchema, Timestamp

MAX_SHOWN = 20


class TodayBookingOut(OutSchema):
    id: int
    resource: str
    kind: str
    start: Timestamp
    end: Timestamp
    purpose: str
    status: str
    destination: str
    driving: bool
    url: str


class TodayBookingsOut(OutSchema):
    bookings: list[TodayBookingOut]
    pending_approvals: int
    approvals_url: str


def panel(request) -> PortalSection | None:
    user = request.user
    start, end = local_day_bounds(timezone.localdate())
    rows = list(
        with_purpose_hidden(
            Booking.objects.filter(
                Q(booked_by_id=user.pk) | Q(driver_id=user.pk),
                status__in=Booking.HOLDING,
                start__gte=start - MAX_BOOKING_SPAN,
                start__lt=end,
                end__gt=start,
            ),
            user,
        )
        .select_related("resource")
        .order_by("start", "id")[: MAX_SHOWN + 1]
    )
    waiting = pending_count(user)
    if not rows and not waiting:
        return None
    bookings = [
        TodayBookingOut(
            id=b.pk, resource=b.resource.name, kind=b.resource.kind, start=b.start, end=b.end,
            purpose=shown_purpose(b.purpose, b.purpose_hidden), status=b.status,
            destination=b.destination, driving=b.driver_id == user.pk and b.booked_by_id != user.pk,
            url=reverse("booking:detail", args=[b.pk]),
        )
        for b in rows[:MAX_SHOWN]
    ]  # fmt: skip
    return PortalSection(
        title=_("今日の予約"),
        template="booking/portal.html",
        data=TodayBookingsOut(
            bookings=bookings,
            pending_approvals=waiting,
            approvals_url=reverse("booking:approvals"),
        ),  # fmt: skip
        url=reverse("booking:index"),
        count=len(bookings) if bookings else None,
    )
