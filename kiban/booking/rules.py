"""Who may do what with resources and bookings (one place, used by actions, queries, API and pages).

- Anyone signed in sees the availability grid (busy blocks with booker and purpose, as in Garoon).
- The owning section's members (管理所属) and IT administrators manage a resource's bookings: approve or
  reject, hand over car keys, record alcohol checks, cancel.
- Fleet managers (安全運転管理者, `FleetManager`) see and export the alcohol-check log of the cars in their
  scope and keep the licence registry.
- A booking is its booker's (and, for a car, its driver's); anyone else gets 404 for it.
"""

from __future__ import annotations

from django.db.models import Q

from kiban.booking.models import Booking, FleetManager, Resource
from kiban.core.permissions import is_it_admin
from kiban.org import queries as org_queries


def manages_resource(user, resource: Resource) -> bool:
    if is_it_admin(user):
        return True
    return org_queries.is_member_of(user, resource.department_id)


def managed_department_ids(user) -> set[int]:
    """The sections whose resources the person manages: every section they belong to (本務 and 兼務)."""
    return org_queries.section_ids_of(user)


def fleet_scope(user) -> tuple[bool, set[int]]:
    """(whole prefecture?, department ids) the person is fleet manager for."""
    if not user.is_authenticated:
        return False, set()
    rows = list(FleetManager.objects.filter(staff=user).values_list("department_id", flat=True))
    return (None in rows), {d for d in rows if d is not None}


def is_fleet_manager(user, resource: Resource | None = None) -> bool:
    whole, departments = fleet_scope(user)
    if resource is None:
        return whole or bool(departments)
    return whole or resource.department_id in departments


def fleet_resource_filter(user) -> Q | None:
    """A filter on Resource for the cars whose log the person may read; None when none."""
    whole, departments = fleet_scope(user)
    if whole:
        return Q(kind=Resource.Kind.CAR)
    if departments:
        return Q(kind=Resource.Kind.CAR, department_id__in=departments)
    return None


def owns_booking(user, booking: Booking) -> bool:
    return booking.booked_by_id == user.pk or (booking.driver_id is not None and booking.driver_id == user.pk)


def can_see_booking(user, booking: Booking) -> bool:
    return (
        owns_booking(user, booking)
        or manages_resource(user, booking.resource)
        or (booking.resource.is_car and is_fleet_manager(user, booking.resource))
    )


def can_change_booking(user, booking: Booking) -> bool:
    return booking.booked_by_id == user.pk or manages_resource(user, booking.resource)


def can_record_checks(user, booking: Booking) -> bool:
    return manages_resource(user, booking.resource) or is_fleet_manager(user, booking.resource)


def can_see_checks(user, booking: Booking) -> bool:
    """Check records are personal data: the driver, the checkers and fleet managers only."""
    if booking.driver_id == user.pk or is_fleet_manager(user, booking.resource):
        return True
    return booking.alcohol_checks.filter(checker=user).exists()


def can_keep_licences(user) -> bool:
    return is_fleet_manager(user) or is_it_admin(user)
