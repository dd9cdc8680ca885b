"""Reads of the booking module, shared by the calendar, the API and the pages.

`busy_ranges(resource_ids, start, end) -> {resource_id: [(start, end), …]}` slot-holding bookings
    (confirmed and pending) overlapping the window, sorted; resources without any map to [].
`bookings_of(user_ids, start, end) -> list[Booking]` a person's standalone bookings (no event; made by
    them or driven by them) that hold a slot and overlap the window, for their calendar (resource loaded).
`availability(kind, first_day, days, viewer=…) -> Grid` the availability grid of one kind of resource.
`with_purpose_hidden(queryset, viewer)` / `shown_purpose(booking, hidden)`: a booking made for a private
    event carries the event's title as its purpose; only its booker and the event's organiser and attendees
    read it, everyone else reads 予定あり (as the calendar shows that event to them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.booking.models import AlcoholCheck, Booking, Resource
from kiban.booking.rules import managed_department_ids
from kiban.core.permissions import is_it_admin
from kiban.core.wareki import holiday_name

# No booking is longer than this (actions.MAX_SPAN): a window query can bound `start` from below too, so it
# reads one short index range instead of every earlier booking of the resource.
MAX_BOOKING_SPAN = dt.timedelta(days=31)


# calendar.Event.Visibility.PRIVATE: booking sits below calendar (import-linter layers), so it asks through
# the Booking.event relation by value instead of importing the calendar's models.
PRIVATE_EVENT = "private"


def with_purpose_hidden(queryset, viewer):
    """Annotate `purpose_hidden`: True when `viewer` must not read the booking's purpose (it belongs to a
    private event that the viewer neither booked, organises nor attends). One subquery, no extra round trip."""
    viewer_id = getattr(viewer, "pk", None)
    attends = Booking.objects.filter(pk=OuterRef("pk"), event__attendees__staff_id=viewer_id)
    hidden = Q(event__visibility=PRIVATE_EVENT)
    if viewer_id is not None:
        hidden &= ~Q(booked_by_id=viewer_id) & ~Q(event__organizer_id=viewer_id) & ~Exists(attends)
    return queryset.annotate(purpose_hidden=ExpressionWrapper(hidden, output_field=BooleanField()))


def shown_purpose(purpose: str, hidden: bool) -> str:
    return _("予定あり") if hidden else purpose


def busy_ranges(
    resource_ids: Iterable[int], start: dt.datetime, end: dt.datetime
) -> dict[int, list[tuple[dt.datetime, dt.datetime]]]:
    ids = list(resource_ids)
    result: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {rid: [] for rid in ids}
    rows = (
        Booking.objects.filter(
            resource_id__in=ids,
            status__in=Booking.HOLDING,
            start__gte=start - MAX_BOOKING_SPAN,
            start__lt=end,
            end__gt=start,
        )
        .order_by("start")
        .values_list("resource_id", "start", "end")
    )
    for rid, s, e in rows:
        result[rid].append((s, e))
    return result


def bookings_of(
    user_ids: Iterable[int], start: dt.datetime, end: dt.datetime, *, pending_event_ids: Iterable[int] = ()
) -> list[Booking]:
    """Standalone bookings the people made, or drive (a car booked for a colleague is in the driver's
    calendar too); with `pending_event_ids`, in the same query, those events' bookings still waiting for
    approval (their `event_id` is set: the calendar marks the event as pending)."""
    from django.db.models import Q

    user_ids = list(user_ids)
    wanted = Q(event_id__isnull=True) & (Q(booked_by_id__in=user_ids) | Q(driver_id__in=user_ids))
    event_ids = list(pending_event_ids)
    if event_ids:
        wanted |= Q(event_id__in=event_ids, status=Booking.Status.PENDING)
    return list(
        Booking.objects.filter(
            wanted,
            status__in=Booking.HOLDING,
            start__gte=start - MAX_BOOKING_SPAN,
            start__lt=end,
            end__gt=start,
        )
        .select_related("resource")
        .order_by("start", "id")
    )


def local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, start + dt.timedelta(days=1)


@dataclass
class Block:
    booking: GridBooking
    start: dt.datetime  # clipped to the day, local time
    end: dt.datetime
    # Grid columns (1-based, quarter hours from GRID_FIRST_HOUR; CSS classes gs-N / ge-N place them).
    col_start: int = 1
    col_end: int = 2


@dataclass
class Day:
    date: dt.date
    holiday: str | None
    weekend: bool
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Row:
    resource: Resource
    days: list[Day]


@dataclass
class Grid:
    kind: str
    first_day: dt.date
    days: list[dt.date]
    rows: list[Row]
    hours: list[int]


# The grid shows this window of each day; bookings outside it are clipped to its edges.
GRID_FIRST_HOUR = 7
GRID_LAST_HOUR = 21


@dataclass(frozen=True)
class GridBooking:
    """What a grid block shows: plain values, not model instances (a week of 60 rooms is 1,200 of them)."""

    pk: int
    resource_id: int
    start: dt.datetime
    end: dt.datetime
    purpose: str
    status: str
    event_id: int | None
    booked_by_id: int
    booked_by_name: str


def availability(kind: str, first_day: dt.date, days: int = 1, *, viewer, resources=None) -> Grid:
    """Resources of `kind` (active, in display order) as rows, `days` days from `first_day` as columns,
    each with its slot-holding bookings (as GridBooking, the purpose as `viewer` may read it). Two queries
    whatever the size."""
    if resources is None:
        resources = list(Resource.objects.filter(kind=kind, active=True).select_related("department"))
    tz = timezone.get_current_timezone()
    dates = [first_day + dt.timedelta(days=i) for i in range(days)]
    # Per date, once: its bounds, the start of the drawn window, the holiday (jpholiday is not free).
    frames = []
    for date in dates:
        day_start, day_end = local_day_bounds(date)
        frames.append(
            (date, day_start, day_end, day_start + dt.timedelta(hours=GRID_FIRST_HOUR), holiday_name(date))
        )
    window_start, window_end = frames[0][1], frames[-1][2]
    rows_ = (
        with_purpose_hidden(Booking.objects, viewer)
        .filter(
            resource__in=resources,
            status__in=Booking.HOLDING,
            start__gte=window_start - MAX_BOOKING_SPAN,
            start__lt=window_end,
            end__gt=window_start,
        )
        .order_by("start")
        .values_list(
            "id", "resource_id", "start", "end", "purpose", "status", "event_id", "booked_by_id",
            "booked_by__family_name", "booked_by__given_name", "purpose_hidden",
        )
    )  # fmt: skip
    bookings = [
        GridBooking(
            pk, rid, s, e, shown_purpose(purpose, hidden), status, event, by, f"{family} {given}".strip()
        )
        for pk, rid, s, e, purpose, status, event, by, family, given, hidden in rows_
    ]
    quarters = (GRID_LAST_HOUR - GRID_FIRST_HOUR) * 4
    cells: dict[tuple[int, int], list[Block]] = {}
    for b in bookings:
        for index, (_date, day_start, day_end, grid_start, _h) in enumerate(frames):
            if b.start < day_end and b.end > day_start:
                s = max(b.start, day_start).astimezone(tz)
                e = min(b.end, day_end).astimezone(tz)
                first = min(max(int((s - grid_start).total_seconds() // 900), 0), quarters - 1)
                last = min(max(-int(-(e - grid_start).total_seconds() // 900), first + 1), quarters)
                cells.setdefault((b.resource_id, index), []).append(Block(b, s, e, first + 1, last + 1))
    rows = []
    for resource in resources:
        row_days = [
            Day(
                date=date,
                holiday=holiday,
                weekend=date.weekday() >= 5,
                blocks=cells.get((resource.pk, i), []),
            )
            for i, (date, _s, _e, _g, holiday) in enumerate(frames)
        ]
        rows.append(Row(resource, row_days))
    return Grid(kind, first_day, dates, rows, list(range(GRID_FIRST_HOUR, GRID_LAST_HOUR)))


def _pending_queryset(user):

    # A request whose time has come is no longer offered (the decision action refuses it too).
    qs = Booking.objects.filter(status=Booking.Status.PENDING, start__gt=timezone.now())
    if not is_it_admin(user):
        qs = qs.filter(resource__department_id__in=managed_department_ids(user))
    return qs


def pending_for(user) -> list[Booking]:
    """Pending bookings of the resources whose owning section the person belongs to (or all, for IT admins)."""
    qs = with_purpose_hidden(_pending_queryset(user), user).select_related("resource", "booked_by")
    return list(qs.order_by("start", "id")[:500])


def pending_count(user) -> int:
    return _pending_queryset(user).count()


def my_bookings(user, *, since: dt.datetime | None = None, limit: int = 200) -> list[Booking]:
    from django.db.models import Q

    qs = Booking.objects.filter(Q(booked_by=user) | Q(driver=user)).select_related("resource", "driver")
    if since is not None:
        qs = qs.filter(end__gt=since)
    return list(qs.order_by("start", "id")[:limit])


def alcohol_log(resource_filter, *, start: dt.datetime, end: dt.datetime, driver_id: int | None = None):
    qs = AlcoholCheck.objects.filter(
        resource_filter_q(resource_filter), checked_at__gte=start, checked_at__lt=end
    ).select_related("driver", "checker", "booking__resource")
    if driver_id:
        qs = qs.filter(driver_id=driver_id)
    return qs.order_by("checked_at", "id")


def resource_filter_q(resource_filter):
    from django.db.models import Q

    # `resource_filter` is a Q over Resource; re-root it at booking__resource.
    def reroot(node):
        if isinstance(node, Q):
            q = Q(*[reroot(c) for c in node.children], _connector=node.connector, _negated=node.negated)
            return q
        key, value = node
        return (f"booking__resource__{key}", value)

    return reroot(resource_filter) if resource_filter is not None else Q()


# --- What the calendar asks (it reaches booking only through here and booking.actions) -------------------


def event_bookings(event_id: int) -> list[Booking]:
    """The bookings an event holds (confirmed or pending), with their resources, by resource name and start."""
    return list(
        Booking.objects.filter(event_id=event_id, status__in=Booking.HOLDING)
        .select_related("resource")
        .order_by("resource__name", "start")
    )


def event_booking_ids(event_id: int) -> list[int]:
    return list(
        Booking.objects.filter(event_id=event_id, status__in=Booking.HOLDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def resources_held(event_ids: Iterable[int]) -> dict[int, list[int]]:
    """Resource ids each event holds (confirmed or pending), in one query; events without any are absent."""
    held: dict[int, list[int]] = {}
    for event_id, resource_id in (
        Booking.objects.filter(event_id__in=list(event_ids), status__in=Booking.HOLDING)
        .order_by("resource_id")
        .values_list("event_id", "resource_id")
        .distinct()
    ):
        held.setdefault(event_id, [])
        if resource_id not in held[event_id]:
            held[event_id].append(resource_id)
    return held


def resource_exists(resource_id: int) -> bool:
    return Resource.objects.filter(pk=resource_id).exists()


def bookable_with_events() -> list[Resource]:
    """Meeting rooms and equipment an event can hold (cars are booked on the booking pages: they need a
    driver and a destination)."""
    return list(
        Resource.objects.filter(active=True, kind__in=[Resource.Kind.ROOM, Resource.Kind.EQUIPMENT]).order_by(
            "-kind", "sort_order", "name", "id"
        )
    )


def first_come_rooms() -> list[Resource]:
    return list(Resource.objects.filter(kind="room", policy="first_come", active=True).order_by("sort_order"))
