"""Page layout of the calendar views (the web layer only): occurrences placed on day/week time grids, month
cells and group-schedule cells. Pure functions of `queries.Occurrence` lists; no database access.

The time grid has one CSS grid row per 15 minutes. A block says where it goes by classes (`gr-N` row start,
`sp-N` rows spanned, `ln-I-N` lane I of N for overlapping blocks) because the Content-Security-Policy forbids
inline styles; the classes are defined in static/kiban/calendar/calendar.css.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass, field
from html import escape
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kiban.core.wareki import holiday_name

SLOT_MINUTES = 15
DEFAULT_FIRST_HOUR = 8
DEFAULT_LAST_HOUR = 19
MONTH_CHIPS = 3
# Lane counts the stylesheet defines; more overlapping blocks than the largest share lanes.
_LANE_COUNTS = (1, 2, 3, 4, 6)


def occurrence_key(occ) -> str:
    """The `?occurrence=` value naming one occurrence of a series: its original start in UTC, iCalendar
    style (no characters that need escaping in a URL)."""
    if occ.occurrence_start is None:
        return ""
    return occ.occurrence_start.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def parse_occurrence_key(value: str) -> dt.datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    for fmt in ("%Y%m%dT%H%M%SZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return dt.datetime.strptime(value, fmt).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


@functools.lru_cache(maxsize=1)
def _event_url_parts() -> tuple[str, str]:
    # One reverse() for a whole grid: a group schedule has over a thousand blocks.
    head, _zero, tail = reverse("calendar:event_detail", args=[0]).rpartition("0")
    return head, tail


def event_url(occ) -> str:
    head, tail = _event_url_parts()
    url = f"{head}{occ.event_id}{tail}"
    key = occurrence_key(occ)
    return f"{url}?occurrence={key}" if key else url


@functools.lru_cache(maxsize=1)
def _new_event_path() -> str:
    return reverse("calendar:event_new")


def new_event_url(day: dt.date, *, hour: int | None = None, attendee: str = "", back: str = "") -> str:
    params = {"date": day.isoformat()}
    if hour is not None:
        params["time"] = f"{hour:02d}:00"
    if attendee:
        params["attendee"] = attendee
    if back:
        params["next"] = back
    return f"{_new_event_path()}?{urlencode(params)}"


@dataclass
class Day:
    date: dt.date
    holiday: str
    is_today: bool

    @property
    def is_weekend(self) -> bool:
        return self.date.weekday() >= 5

    @property
    def css(self) -> str:
        classes = []
        if self.holiday:
            classes.append("is-holiday")
        elif self.is_weekend:
            classes.append("is-weekend")
        if self.date.weekday() == 5:
            classes.append("sat")
        if self.date.weekday() == 6 or self.holiday:
            classes.append("sun")
        if self.is_today:
            classes.append("is-today")
        return " ".join(classes)


def make_days(start: dt.date, count: int, today: dt.date | None = None) -> list[Day]:
    today = today or timezone.localdate()
    days = []
    for n in range(count):
        date = start + dt.timedelta(days=n)
        days.append(Day(date, holiday_name(date) or "", date == today))
    return days


@dataclass
class Block:
    """One occurrence as shown: on one day (a timed event over midnight gives one block per day)."""

    occ: object
    title: str
    time_label: str
    url: str  # empty for another person's private event: there is nothing more to see
    css: str
    start: dt.datetime  # local, clipped to the day
    end: dt.datetime
    row: int = 0
    span: int = 0
    lane: int = 0
    lanes: int = 1

    @property
    def place(self) -> str:
        classes = [f"gr-{self.row}", f"sp-{self.span}"]
        if self.lanes > 1:
            classes.append(f"ln-{self.lane}-{self.lanes}")
        return " ".join(classes)

    # Blocks are rendered here rather than by a template include: a group schedule of 60 people has
    # 1,500 of them, and the template engine spent seconds on what string building does in milliseconds.
    def render(self, *, place: bool = False, detail: bool = True, tooltip: bool = True) -> SafeString:
        classes = f"{self.css} {self.place}" if place else self.css
        inner = (
            f'<span class="ev-time">{escape(self.time_label)}</span>'
            f'<span class="ev-title">{escape(self.title)}</span>'
        )
        location = getattr(self.occ, "location", "") if detail else ""
        if location:
            inner += f' <span class="ev-rooms">{escape(location)}</span>'
        title = f' title="{escape(self.time_label)} {escape(self.title)}"' if tooltip else ""
        if self.url:
            return mark_safe(f'<a class="{classes}" href="{escape(self.url)}"{title}>{inner}</a>')  # noqa: S308
        return mark_safe(f'<span class="{classes}"{title}>{inner}</span>')  # noqa: S308

    @property
    def html(self) -> SafeString:
        return self.render(detail=False)

    @property
    def placed_html(self) -> SafeString:
        return self.render(place=True)


def _css(occ) -> str:
    if occ.reduced:
        return "ev is-busy"
    if isinstance(occ, BookingItem):
        return "ev cat-gray is-pending" if occ.pending else "ev cat-gray"
    css = f"ev cat-{getattr(occ.event, 'color', 'blue') or 'blue'}"
    return f"{css} is-pending" if getattr(occ, "pending", False) else css


@dataclass
class BookingItem:
    """A standalone booking (a car out, a room booked alone) shown among a person's events."""

    start: dt.datetime
    end: dt.datetime
    title: str
    url: str
    location: str = ""
    all_day: bool = False
    reduced: bool = False
    pending: bool = False  # waiting for approval: drawn hatched and labelled, never like a confirmed one


def _booking_title(booking, title: str) -> str:
    return _("%(title)s（承認待ち）") % {"title": title} if booking.status == "pending" else title


def booking_items(bookings, viewer, booking_url) -> list[BookingItem]:
    """The booker (and a car's driver) sees the purpose and a link; others see the resource only (the
    booking pages decide who may open a booking)."""
    items = []
    for booking in bookings:
        own = viewer.pk in (booking.booked_by_id, getattr(booking, "driver_id", None))
        title = booking.resource.name
        if own and booking.purpose:
            title = f"{title} {booking.purpose}"
        items.append(
            BookingItem(
                booking.start,
                booking.end,
                _booking_title(booking, title),
                booking_url(booking.pk) if own else "",
                booking.resource.location,
                pending=booking.status == "pending",
            )
        )
    return items


def _time_label(start: dt.datetime, end: dt.datetime, day: dt.date) -> str:
    """10:00–11:00; a block cut at midnight shows where it continues (…–24:00, 0:00–…)."""
    begin = f"{start:%H:%M}" if start.date() == day else "0:00"
    finish = f"{end:%H:%M}" if end.date() == day else "24:00"
    return f"{begin}–{finish}"


def _shown_title(occ) -> str:
    """An event whose room still waits for approval says so (a booking item's title already does)."""
    if getattr(occ, "pending", False) and not isinstance(occ, BookingItem):
        return _("%(title)s（承認待ち）") % {"title": occ.title}
    return occ.title


def blocks_for_day(occurrences, day: dt.date) -> tuple[list[Block], list[Block]]:
    """The all-day blocks and the timed blocks of `day` (timed ones clipped to the day)."""
    tz = timezone.get_current_timezone()
    day_start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    day_end = day_start + dt.timedelta(days=1)
    all_day: list[Block] = []
    timed: list[Block] = []
    for occ in occurrences:
        start = occ.start.astimezone(tz)
        end = occ.end.astimezone(tz)
        url = "" if occ.reduced else (occ.url if isinstance(occ, BookingItem) else event_url(occ))
        if occ.all_day:
            if start < day_end and (end > day_start or end == start == day_start):
                all_day.append(Block(occ, _shown_title(occ), _("終日"), url, _css(occ), start, end))
            continue
        overlaps = start < day_end and end > day_start
        instant = start == end and day_start <= start < day_end
        if not (overlaps or instant):
            continue
        label = _time_label(start, end, day) if end > start else f"{start:%H:%M}"
        timed.append(
            Block(occ, _shown_title(occ), label, url, _css(occ), max(start, day_start), min(end, day_end))
        )
    return all_day, timed


def hour_range(timed_blocks: list[Block]) -> tuple[int, int]:
    """Working hours by default, widened to show every block."""
    first, last = DEFAULT_FIRST_HOUR, DEFAULT_LAST_HOUR
    for block in timed_blocks:
        first = min(first, block.start.hour)
        end = block.end
        last_hour = (
            24 if end.date() > block.start.date() else end.hour + (1 if end.minute or end.second else 0)
        )
        last = max(last, last_hour)
    return first, min(last, 24)


def place_blocks(blocks: list[Block], first_hour: int, last_hour: int) -> None:
    """Set each block's grid row, span and lane (overlapping blocks side by side)."""
    rows = (last_hour - first_hour) * 60 // SLOT_MINUTES
    for block in blocks:
        minutes = (block.start.hour - first_hour) * 60 + block.start.minute
        row = max(0, minutes // SLOT_MINUTES)
        duration = (block.end - block.start).total_seconds() / 60
        span = max(2, math.ceil(duration / SLOT_MINUTES))
        row = min(row, rows - 2)
        block.row = row + 1
        block.span = max(1, min(span, rows - row))
    # Lanes: a cluster is a run of blocks that overlap one another transitively; each takes the first lane
    # free at its start, and all blocks of the cluster share its lane count.
    ordered = sorted(blocks, key=lambda b: (b.row, -b.span))
    cluster: list[Block] = []
    lane_ends: list[int] = []
    cluster_end = 0

    def close() -> None:
        count = len(lane_ends)
        lanes = next((n for n in _LANE_COUNTS if n >= count), _LANE_COUNTS[-1])
        for member in cluster:
            member.lanes = lanes
            member.lane = member.lane % lanes

    for block in ordered:
        if cluster and block.row >= cluster_end:
            close()
            cluster, lane_ends, cluster_end = [], [], 0
        for index, lane_end in enumerate(lane_ends):
            if lane_end <= block.row:
                block.lane = index
                lane_ends[index] = block.row + block.span
                break
        else:
            block.lane = len(lane_ends)
            lane_ends.append(block.row + block.span)
        cluster.append(block)
        cluster_end = max(cluster_end, block.row + block.span)
    if cluster:
        close()


@dataclass
class TimeGridColumn:
    day: Day
    all_day: list[Block]
    timed: list[Block]
    slots: list[tuple[int, int, str]] = field(default_factory=list)  # (row, hour, new-event url)
    now_row: int = 0


@dataclass
class TimeGrid:
    columns: list[TimeGridColumn]
    first_hour: int
    last_hour: int

    @property
    def rows(self) -> int:
        return (self.last_hour - self.first_hour) * 60 // SLOT_MINUTES

    @property
    def hours(self) -> list[tuple[int, int]]:
        """(grid row, hour) of each hour label."""
        return [(n * 4 + 1, self.first_hour + n) for n in range(self.last_hour - self.first_hour)]


def time_grid(occurrences, days: list[Day], *, attendee: str = "") -> TimeGrid:
    per_day = [(day, *blocks_for_day(occurrences, day.date)) for day in days]
    first, last = hour_range([b for _day, _all, timed in per_day for b in timed])
    now = timezone.localtime()
    columns = []
    for day, all_day, timed in per_day:
        place_blocks(timed, first, last)
        column = TimeGridColumn(day, all_day, sorted(timed, key=lambda b: (b.row, b.lane)))
        column.slots = [
            ((hour - first) * 4 + 1, hour, new_event_url(day.date, hour=hour, attendee=attendee))
            for hour in range(first, last)
        ]
        if day.date == now.date() and first <= now.hour < last:
            column.now_row = ((now.hour - first) * 60 + now.minute) // SLOT_MINUTES + 1
        columns.append(column)
    return TimeGrid(columns, first, last)


@dataclass
class MonthCell:
    day: Day
    in_month: bool
    blocks: list[Block]
    more: int


def month_grid(occurrences, first_of_month: dt.date, today: dt.date | None = None) -> list[list[MonthCell]]:
    """Weeks (Monday first) covering the month; each cell lists up to MONTH_CHIPS blocks, all-day first."""
    start = first_of_month - dt.timedelta(days=first_of_month.weekday())
    next_month = (first_of_month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    end = next_month + dt.timedelta(days=(7 - next_month.weekday()) % 7)
    days = make_days(start, (end - start).days, today)
    weeks: list[list[MonthCell]] = []
    for index, day in enumerate(days):
        all_day, timed = blocks_for_day(occurrences, day.date)
        for block in timed:
            block.time_label = block.time_label.split("–")[0]
        blocks = all_day + timed
        cell = MonthCell(day, day.date.month == first_of_month.month, blocks[:MONTH_CHIPS], 0)
        cell.more = max(0, len(blocks) - MONTH_CHIPS)
        if index % 7 == 0:
            weeks.append([])
        weeks[-1].append(cell)
    return weeks


def month_range(first_of_month: dt.date) -> tuple[dt.date, dt.date]:
    start = first_of_month - dt.timedelta(days=first_of_month.weekday())
    next_month = (first_of_month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    end = next_month + dt.timedelta(days=(7 - next_month.weekday()) % 7)
    return start, end


def compact_blocks(occurrences, day: dt.date, bookings=()) -> list[Block]:
    """A group-schedule cell: all-day first, then timed blocks (events and the person's standalone
    bookings together) by start, then by end, labelled by start–end."""
    all_day, timed = blocks_for_day(occurrences, day)
    timed += booking_blocks(bookings, day)
    return all_day + sorted(timed, key=lambda b: (b.start, b.end))


def booking_blocks(bookings, day: dt.date) -> list[Block]:
    """A person's standalone bookings (a car out, a room booked alone) as busy blocks named by the resource."""
    blocks = []
    for booking in bookings:
        start, end = timezone.localtime(booking.start), timezone.localtime(booking.end)
        day_start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        blocks.append(
            Block(
                booking,
                _booking_title(booking, booking.resource.name),
                _time_label(start, end, day),
                "",
                "ev cat-gray is-pending" if booking.status == "pending" else "ev cat-gray",
                max(start, day_start),
                min(end, day_start + dt.timedelta(days=1)),
            )
        )
    return blocks


def group_cell_html(day: Day, blocks: list[Block], new_url: str, label: str) -> str:
    """One cell of the group schedule: the empty-cell link that starts an event for that person and day
    (under the blocks, so a tap on a block opens the block), then the compact blocks."""
    html = (
        f'<td class="gs-cell {day.css}" data-date="{day.date:%Y-%m-%d}">'
        f'<a class="gs-add" href="{escape(new_url)}" aria-label="{escape(label)}"><span aria-hidden="true">＋</span></a>'
    )
    if blocks:
        html += '<ul class="gs-events">'
        html += "".join(f"<li>{block.render(detail=False, tooltip=False)}</li>" for block in blocks)
        html += "</ul>"
    return html + "</td>"
