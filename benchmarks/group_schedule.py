"""Calendar read latency at scale: the group schedule week grid, a month view and free/busy, each beside a
baseline of one indexed query fetching the same rows.

    uv run python benchmarks/group_schedule.py [--staff 5000] [--runs 100] [--per-week 3]
    uv run python benchmarks/group_schedule.py --database-url postgres://postgres@127.0.0.1:5432/kiban

Data: the demo organisation with N staff, then two years (a year back, a year ahead) of events: for every
person `--per-week` single events a week (a fifth of them with 1–3 attendees, a tenth private), a personal
monthly series, and per section a weekly meeting and a Monday 朝礼 series with the members attending
(plus some EXDATEs and moved occurrences). Sixty-person groups are made of 兼務 memberships.

Measured (server-side Python, no HTTP):
- week grid: `kiban.calendar.queries.group_schedule(department of 60, monday, 7, viewer)`;
- month view: `events_for([one person], month, viewer)`;
- free/busy: `freebusy(20 people, a week)`.
Baseline: one raw indexed SQL query returning the event rows (organised or attended) in the window.

Uses a throwaway database (a temporary SQLite file, or `<name>_bench_calendar` on the PostgreSQL server,
dropped afterwards). Not a test: nothing here runs under pytest.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchdb import configure, drop_pg, percentile  # noqa: E402

CPU: dict[int, list[float]] = {}


def timed(fn, args_list) -> list[float]:
    """Wall-clock ms per call; this process's CPU ms are kept in CPU (the steadier figure for SQLite, which
    runs in this process, on a shared and loaded machine)."""
    wall, cpu = [], []
    for args in args_list:
        start, start_cpu = time.perf_counter(), time.process_time()
        fn(*args)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    CPU[id(wall)] = cpu
    return wall


def generate(staff_ids: list[int], sections: dict[int, list[int]], per_week: int, today: dt.date) -> dict:
    """Bulk-insert two years of events. Returns counts."""
    from django.db import transaction

    from kiban.calendar import fields
    from kiban.calendar.models import Attendee, Event, EventException
    from kiban.core.recurrence import TOKYO

    rng = random.Random(42)
    first = today - dt.timedelta(days=365)
    first -= dt.timedelta(days=first.weekday())
    weeks = 104
    titles = ["打合せ", "出張", "研修", "来客対応", "現地調査", "係内打合せ", "予算ヒアリング"]
    hours = [9, 10, 11, 13, 14, 15, 16]

    def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TOKYO).astimezone(dt.UTC)

    until = at(first + dt.timedelta(weeks=weeks), 0).strftime("%Y%m%dT%H%M%SZ")
    counts = {"single": 0, "series": 0, "attendees": 0, "exceptions": 0}
    batch: list[Event] = []
    attendee_plan: list[tuple[int, list[int]]] = []  # (index in batch, staff ids)

    def flush() -> None:
        with transaction.atomic():
            Event.objects.bulk_create(batch, batch_size=5000)
            rows = []
            for index, people in attendee_plan:
                event = batch[index]
                for person in people:
                    rows.append(
                        Attendee(
                            event_id=event.pk, staff_id=person, start=event.start, series_end=event.series_end,
                            long_running=event.long_running, status="accepted",
                        )
                    )  # fmt: skip
            Attendee.objects.bulk_create(rows, batch_size=5000)
        counts["attendees"] += len(rows)
        batch.clear()
        attendee_plan.clear()

    for person in staff_ids:
        for week in range(weeks):
            monday = first + dt.timedelta(weeks=week)
            for _ in range(per_week):
                day = monday + dt.timedelta(days=rng.randrange(5))
                start = at(day, rng.choice(hours), rng.choice([0, 30]))
                end = start + dt.timedelta(minutes=rng.choice([30, 60, 60, 90, 120]))
                batch.append(
                    Event(
                        organizer_id=person, title=rng.choice(titles), start=start, end=end,
                        series_end=end, long_running=False, uid=uuid.uuid4().hex,
                        visibility="private" if rng.random() < 0.1 else "public",
                    )
                )  # fmt: skip
                if rng.random() < 0.2:
                    attendee_plan.append((len(batch) - 1, rng.sample(staff_ids, rng.randint(1, 3))))
                counts["single"] += 1
        day = first + dt.timedelta(days=rng.randrange(28))
        series = Event(
            organizer_id=person, title="定例報告", start=at(day, 16), end=at(day, 16, 30),
            rrule=f"FREQ=MONTHLY;UNTIL={until}", uid=uuid.uuid4().hex,
        )  # fmt: skip
        fields.refresh_window(series)
        batch.append(series)
        counts["series"] += 1
        if len(batch) >= 50_000:
            flush()
    section_series = []
    for members in sections.values():
        head, others = members[0], members[1:40]
        for title, rule, hour in (("朝礼", "BYDAY=MO", 8), ("課内会議", "BYDAY=WE", 10)):
            event = Event(
                organizer_id=head, title=title, start=at(first, hour, 30), end=at(first, hour + 1),
                rrule=f"FREQ=WEEKLY;{rule};UNTIL={until}", uid=uuid.uuid4().hex,
                exdates=[(at(first, hour, 30) + dt.timedelta(weeks=w)).strftime("%Y-%m-%dT%H:%M:%SZ")
                         for w in (10, 30, 60)],
            )  # fmt: skip
            fields.refresh_window(event)
            batch.append(event)
            attendee_plan.append((len(batch) - 1, others))
            section_series.append(event)
            counts["series"] += 1
    flush()
    exceptions = []
    for event in section_series[::3]:
        original = event.start + dt.timedelta(weeks=52)
        exceptions.append(
            EventException(event=event, recurrence_id=original, title=event.title + "(変更)",
                           start=original + dt.timedelta(hours=2), end=original + dt.timedelta(hours=3))
        )  # fmt: skip
    EventException.objects.bulk_create(exceptions)
    counts["exceptions"] = len(exceptions)
    return counts


BASELINE_SQL = """
SELECT e.id, e.organizer_id, e.title, e.start, e."end", e.rrule, e.visibility, e.all_day
FROM calendar_event e
WHERE e.organizer_id IN ({ids}) AND e.long_running = {false} AND e.start >= %s AND e.start < %s AND e."end" > %s
UNION ALL
SELECT e.id, e.organizer_id, e.title, e.start, e."end", e.rrule, e.visibility, e.all_day
FROM calendar_attendee a JOIN calendar_event e ON e.id = a.event_id
WHERE a.staff_id IN ({ids}) AND a.long_running = {false} AND a.start >= %s AND a.start < %s AND e."end" > %s
"""


def baseline(user_ids: list[int], start: dt.datetime, end: dt.datetime) -> list:
    """One indexed query for the same single-event rows (recurring series are few; the raw query does not
    expand them, which is the work the real code adds)."""
    from django.db import connection

    from kiban.calendar.models import MAX_SHORT_SPAN

    false = "false" if connection.vendor == "postgresql" else "0"
    ids = ",".join(str(int(i)) for i in user_ids)
    sql = BASELINE_SQL.format(ids=ids, false=false)
    lo = start - MAX_SHORT_SPAN
    with connection.cursor() as cursor:
        cursor.execute(sql, [lo, end, start, lo, end, start])
        return cursor.fetchall()


def orm_baseline(user_ids: list[int], start: dt.datetime, end: dt.datetime) -> list:
    """The same single-event rows as model instances through the ORM (organised, then attended: two
    indexed queries), what any Django read pays per row."""
    from kiban.calendar.models import MAX_SHORT_SPAN, Event

    lo = start - MAX_SHORT_SPAN
    window = {"long_running__in": [False], "start__gte": lo, "start__lt": end, "end__gt": start}
    own = list(Event.objects.filter(organizer_id__in=user_ids, **window).order_by())
    attended = list(
        Event.objects.filter(
            attendees__staff_id__in=user_ids,
            attendees__long_running__in=[False],
            attendees__start__gte=lo,
            attendees__start__lt=end,
            end__gt=start,
        ).order_by()
    )
    return own + attended


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--staff", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=100, help="timed calls per measure")
    parser.add_argument("--per-week", type=int, default=3, help="single events per person per week")
    parser.add_argument("--database-url", default=os.environ.get("KIBAN_DATABASE_URL") or None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kiban-bench-") as tmp:
        name = configure(args.database_url, Path(tmp), "calendar")
        try:
            run(args)
        finally:
            if args.database_url:
                drop_pg(args.database_url, name)


def run(args) -> None:
    from django.core.management import call_command
    from django.db import connection

    from kiban.accounts.models import Staff
    from kiban.calendar.models import Attendee, Event
    from kiban.calendar.queries import events_for, freebusy, group_schedule
    from kiban.core.recurrence import TOKYO
    from kiban.org.models import Department, Membership

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    from kiban.core import modules
    from kiban.org import demo

    # The organisation only: the other modules' demo data would be noise here.
    modules.demo_loaders = list
    demo.load_demo(staff=args.staff)
    staff_ids = list(Staff.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    sections: dict[int, list[int]] = {}
    for staff_id, department_id in (
        Membership.objects.filter(is_primary=True)
        .order_by("department_id", "-is_head", "rank")
        .values_list("staff_id", "department_id")
    ):
        sections.setdefault(department_id, []).append(staff_id)
    rng = random.Random(3)
    groups = []
    for n in range(10):
        group = Department.objects.create(code=f"BENCH{n}", name=f"ベンチ{n}", order=999)
        members = rng.sample(staff_ids, 60)
        Membership.objects.bulk_create(
            [
                Membership(staff_id=s, department=group, is_primary=False, rank=50 + i)
                for i, s in enumerate(members)
            ]
        )
        groups.append((group, members))
    today = dt.datetime.now(tz=TOKYO).date()
    load_started = time.perf_counter()
    counts = generate(staff_ids, sections, args.per_week, today)
    generate_seconds = time.perf_counter() - load_started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    load_seconds = time.perf_counter() - started

    viewer = Staff.objects.get(pk=staff_ids[0])
    monday0 = today - dt.timedelta(days=today.weekday())
    weeks = [monday0 + dt.timedelta(weeks=rng.randrange(-40, 40)) for _ in range(args.runs)]

    def bounds(day: dt.date, days: int) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.combine(day, dt.time(), tzinfo=TOKYO)
        return start, start + dt.timedelta(days=days)

    grid_calls = [(groups[i % len(groups)][0], weeks[i], 7, viewer) for i in range(args.runs)]
    grid_base = [([*groups[i % len(groups)][1]], *bounds(weeks[i], 7)) for i in range(args.runs)]
    month_people = [rng.choice(staff_ids) for _ in range(args.runs)]
    month_days = [
        (monday0 + dt.timedelta(weeks=rng.randrange(-40, 40))).replace(day=1) for _ in range(args.runs)
    ]
    month_calls = [([p], *bounds(d, 31), viewer) for p, d in zip(month_people, month_days, strict=True)]
    month_base = [([p], *bounds(d, 31)) for p, d in zip(month_people, month_days, strict=True)]
    fb_people = [rng.sample(staff_ids, 20) for _ in range(args.runs)]
    fb_calls = [(people, *bounds(weeks[i], 7)) for i, people in enumerate(fb_people)]

    # Warm caches equally.
    for call in grid_calls[:5]:
        group_schedule(*call)
    for call in grid_base[:5]:
        baseline(*call)
    rows_grid = statistics.mean(len(baseline(*c)) for c in grid_base[:20])
    measures = [
        ("week grid, 60 people", timed(group_schedule, grid_calls), timed(baseline, grid_base), 50),
        ("month view, 1 person", timed(events_for, month_calls), timed(baseline, month_base), None),
        ("free/busy, 20 people/week", timed(freebusy, fb_calls), timed(baseline, fb_calls), 100),
    ]
    orm = {
        "week grid, 60 people": timed(orm_baseline, grid_base),
        "month view, 1 person": timed(orm_baseline, month_base),
        "free/busy, 20 people/week": timed(orm_baseline, fb_calls),
    }
    engine = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if engine == "PostgreSQL" else "SELECT sqlite_version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    print(f"# Calendar reads — {engine} {version}, {len(staff_ids):,} staff, {args.runs} calls per measure")
    print(
        f"# {platform.node()} {platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(
        f"# data: {Event.objects.count():,} events ({counts['single']:,} single, {counts['series']:,} series, "
        f"{counts['exceptions']} moved occurrences), {Attendee.objects.count():,} attendee rows; "
        f"events generated in {generate_seconds:.0f} s, total load {load_seconds:.0f} s"
    )
    print(f"# baseline rows per 60-person week: {rows_grid:.0f}; load average {os.getloadavg()[0]:.1f}")
    print("# wall ms (CPU ms of this process in brackets); base = one raw indexed query for the same rows;")
    print("# ORM = the same single-event rows as model instances in one ORM query")
    print(
        f"{'measure':28} {'p50':>16} {'p95':>16} {'base p50':>16} {'base p95':>16} {'p95/base':>9} "
        f"{'ORM p95':>8} {'p95/ORM':>8} {'target':>13}"
    )
    for label, own, base, target in measures:
        p50, p95 = statistics.median(own), percentile(own, 0.95)
        c50, c95 = statistics.median(CPU[id(own)]), percentile(CPU[id(own)], 0.95)
        b50, b95 = statistics.median(base), percentile(base, 0.95)
        bc50, bc95 = statistics.median(CPU[id(base)]), percentile(CPU[id(base)], 0.95)
        verdict = ""
        if target is not None:
            verdict = f"<{target} ms {'ok' if p95 < target else 'MISSED'}"
        print(
            f"{label:28} {p50:7.2f} ({c50:6.2f}) {p95:7.2f} ({c95:6.2f}) {b50:7.2f} ({bc50:6.2f}) "
            f"{b95:7.2f} ({bc95:6.2f}) {p95 / b95:9.1f} {percentile(orm[label], 0.95):8.2f} "
            f"{p95 / percentile(orm[label], 0.95):8.1f} {verdict:>13}"
        )


if __name__ == "__main__":
    main()
