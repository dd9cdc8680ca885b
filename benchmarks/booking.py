"""Booking cost at a year's volume: reserving (check + insert under the no-double-booking rule) beside a bare
insert, and building the availability grid beside one indexed query fetching the same rows.

    uv run python benchmarks/booking.py [--rooms 60] [--runs 200]

Throwaway database: a temporary SQLite file, or — when KIBAN_DATABASE_URL is set — a separate PostgreSQL
database `<name>_bench_booking` on that server (with the exclusion constraint), dropped afterwards. Loads
`--rooms` rooms with four bookings per room per working day over a year, then times, in this process:
- reserve: `kiban.booking.actions.reserve` of one free slot (validation, overlap check, insert, in one
  transaction) vs. baseline `Booking.objects.create` of the same row in a transaction (no check);
- grid: `kiban.booking.queries.availability("room", monday, 7)` for all rooms vs. baseline one query
  `values_list` of the week's slot-holding bookings with the booker's name (the same rows, no shaping).
This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchdb import configure, drop_pg  # noqa: E402
from benchdb import percentile as pct  # noqa: E402


def timed(fn, count: int) -> list[float]:
    out = []
    for i in range(count):
        start = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - start) * 1000)
    return out


def load(rooms: int) -> tuple[list, object, dt.date]:
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from kiban.accounts.models import Staff
    from kiban.booking.models import Booking, Resource

    call_command("migrate", verbosity=0)
    people = Staff.objects.bulk_create(
        [Staff(username=f"{200000 + i}", family_name="山田", given_name=f"太郎{i}") for i in range(200)]
    )
    people = list(Staff.objects.order_by("id"))
    resources = Resource.objects.bulk_create(
        [Resource(kind="room", name=f"第{i}会議室", sort_order=i) for i in range(rooms)]
    )
    resources = list(Resource.objects.order_by("id"))
    tz = timezone.get_current_timezone()
    first = timezone.localdate() - dt.timedelta(days=182)
    slots = [(9, 10), (10, 12), (13, 15), (15, 17)]
    rows = []
    for d in range(365):
        day = first + dt.timedelta(days=d)
        if day.weekday() >= 5:
            continue
        for r, resource in enumerate(resources):
            for s, (h1, h2) in enumerate(slots):
                rows.append(
                    Booking(resource=resource, booked_by=people[(d + r + s) % len(people)], purpose="打合せ",
                            start=dt.datetime.combine(day, dt.time(h1), tzinfo=tz),
                            end=dt.datetime.combine(day, dt.time(h2), tzinfo=tz))
                )  # fmt: skip
    with transaction.atomic():
        Booking.objects.bulk_create(rows, batch_size=5000)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE booking_booking")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    return resources, people, monday


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rooms", type=int, default=60)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    db_url = os.environ.get("KIBAN_DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp:
        name = configure(db_url, Path(tmp), "booking")
        try:
            run(args)
        finally:
            if db_url:
                drop_pg(db_url, name)


def run(args) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from kiban.booking import actions, queries
    from kiban.booking.models import Booking

    started = time.perf_counter()
    resources, people, monday = load(args.rooms)
    total = Booking.objects.count()
    print(
        f"{connection.vendor}: {args.rooms} rooms, {total} bookings over a year ({time.perf_counter() - started:.1f} s)"
    )
    tz = timezone.get_current_timezone()

    # Free slots: evenings (18:00–19:00) of days in the loaded year, one per run, per room in turn.
    def slot(i: int, hour: int) -> tuple[dt.datetime, dt.datetime]:
        day = monday + dt.timedelta(days=i // len(resources))
        start = dt.datetime.combine(day, dt.time(hour), tzinfo=tz)
        return start, start + dt.timedelta(hours=1)

    def reserve(i: int) -> None:
        actions.reserve(
            resource_ids=[resources[i % len(resources)].pk], ranges=[slot(i, 18)], booked_by=people[0]
        )

    def bare(i: int) -> None:
        start, end = slot(i, 19)
        with transaction.atomic():
            Booking.objects.create(
                resource=resources[i % len(resources)], booked_by=people[0], start=start, end=end
            )

    week_end = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(0), tzinfo=tz)
    week_start = dt.datetime.combine(monday, dt.time(0), tzinfo=tz)

    def grid(_i: int) -> None:
        queries.availability("room", monday, 7)

    def grid_baseline(_i: int) -> None:
        list(
            Booking.objects.filter(
                status__in=Booking.HOLDING,
                resource__kind="room",
                start__gte=week_start - dt.timedelta(days=31),
                start__lt=week_end,
                end__gt=week_start,
            ).values_list(
                "resource_id", "start", "end", "purpose", "booked_by__family_name", "booked_by__given_name"
            )
        )

    results = {}
    for label, fn in (
        ("reserve", reserve),
        ("bare insert", bare),
        ("week grid", grid),
        ("one query", grid_baseline),
    ):
        fn(0) if label in ("week grid", "one query") else None  # warm
        samples = timed(fn, args.runs)
        results[label] = samples
        print(f"{label:>12}: p50 {statistics.median(samples):7.2f} ms   p95 {pct(samples, 0.95):7.2f} ms")
    for a, b in (("reserve", "bare insert"), ("week grid", "one query")):
        print(
            f"{a} / {b}: p50 {statistics.median(results[a]) / statistics.median(results[b]):.1f}x   "
            f"p95 {pct(results[a], 0.95) / pct(results[b], 0.95):.1f}x"
        )


if __name__ == "__main__":
    main()
