"""The resource, booking and alcohol-check objects of CONTRACT.md, once: the API answers with these schemas,
`kiban.booking.serializers` builds them from the models, and the tests compare with them."""

from __future__ import annotations

from pydantic import Field

from kiban.core.schemas import OutSchema, Timestamp


class ResourceOut(OutSchema):
    id: int
    kind: str = Field(description="`room`, `car` or `equipment`")
    name: str
    location: str
    capacity: int | None
    policy: str = Field(description="`first_come` or `approval` (by the owning section)")
    notes: str
    department: int | None = Field(description="The owning section (department id)")
    photo_url: str | None
    plate_number: str | None = None
    vehicle_type: str | None = None
    seats: int | None = None
    fuel_type: str | None = None


class BookingOut(OutSchema):
    id: int
    resource: int
    resource_name: str
    start: Timestamp
    end: Timestamp
    purpose: str
    booked_by: str
    status: str = Field(
        description="`confirmed`, `pending` (awaiting approval; holds the slot), `rejected`, `cancelled`"
    )
    event: int | None
    series: str | None = Field(description="Occurrences of one recurring booking share it")
    decision_comment: str
    destination: str | None = None
    driver: str | None = None
    passengers: list[str] | None = None
    key_handed_over_at: Timestamp | None = None
    returned_at: Timestamp | None = None
    odometer_start: int | None = None
    odometer_end: int | None = None
    mileage: int | None = None
    fuel_added: float | None = None
    return_notes: str | None = None


class BookingCreated(BookingOut):
    occurrences: list[BookingOut] = Field(description="Every booking made (one per occurrence)")


class AlcoholCheckOut(OutSchema):
    id: int
    booking: int
    driver: str
    kind: str
    checked_at: Timestamp
    checker: str
    method: str
    detector_used: bool
    reading: float | None
    result: str
    notes: str
