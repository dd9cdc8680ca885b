"""Builds the resource, booking and alcohol-check schemas (`kiban.booking.schemas`, the one definition of each
object) from the models."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.utils import timezone

from kiban.booking.models import AlcoholCheck, Booking, Resource
from kiban.booking.queries import shown_purpose
from kiban.booking.schemas import AlcoholCheckOut, BookingOut, ResourceOut


def local(value):
    """Times go out in Asia/Tokyo (+09:00), as people read them."""
    return timezone.localtime(value) if value is not None else None


def resource_out(resource: Resource) -> ResourceOut:
    data = {
        "id": resource.pk,
        "kind": resource.kind,
        "name": resource.name,
        "location": resource.location,
        "capacity": resource.capacity,
        "policy": resource.policy,
        "notes": resource.notes,
        "department": resource.department_id,
        "photo_url": resource.photo.url if resource.photo else None,
    }
    if resource.is_car:
        data.update(
            plate_number=resource.plate_number,
            vehicle_type=resource.vehicle_type,
            seats=resource.seats,
            fuel_type=resource.fuel_type,
        )
    return ResourceOut(**data)


def _usernames(ids: Iterable[int]) -> dict[int, str]:
    ids = set(ids)
    if not ids:
        return {}
    return dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))


def bookings_out(bookings: list[Booking]) -> list[BookingOut]:
    """Booking objects; `booked_by`, `driver`, `resource` should be loaded (select_related)."""
    names = _usernames(p for b in bookings for p in (b.passengers or []))
    return [_booking_out(b, names) for b in bookings]


def booking_out(booking: Booking) -> BookingOut:
    return bookings_out([booking])[0]


def _booking_out(b: Booking, names: dict[int, str]) -> BookingOut:
    data = {
        "id": b.pk,
        "resource": b.resource_id,
        "resource_name": b.resource.name,
        "start": local(b.start),
        "end": local(b.end),
        # Annotated by queries.with_purpose_hidden where someone else's private event may be read.
        "purpose": shown_purpose(b.purpose, getattr(b, "purpose_hidden", False)),
        "booked_by": b.booked_by.username,
        "status": b.status,
        "event": b.event_id,
        "series": str(b.series) if b.series else None,
        "decision_comment": b.decision_comment,
    }
    if b.resource.is_car:
        data.update(
            destination=b.destination,
            driver=b.driver.username if b.driver_id else None,
            passengers=[names[p] for p in (b.passengers or []) if p in names],
            key_handed_over_at=local(b.key_handed_over_at),
            returned_at=local(b.returned_at),
            odometer_start=b.odometer_start,
            odometer_end=b.odometer_end,
            mileage=b.mileage,
            fuel_added=float(b.fuel_added) if b.fuel_added is not None else None,
            return_notes=b.return_notes,
        )
    return BookingOut(**data)


def alcohol_check_out(c: AlcoholCheck) -> AlcoholCheckOut:
    return AlcoholCheckOut(
        **{
            "id": c.pk,
            "booking": c.booking_id,
            "driver": c.driver.username,
            "kind": c.kind,
            "checked_at": local(c.checked_at),
            "checker": c.checker.username,
            "method": c.method,
            "detector_used": c.detector_used,
            "reading": float(c.reading) if c.reading is not None else None,
            "result": c.result,
            "notes": c.notes,
        }
    )
