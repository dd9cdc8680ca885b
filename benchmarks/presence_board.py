"""Presence read cost: the board of the largest section and a 200-person batch (a chat member list), computed
at read time, beside a baseline of one query fetching the same people's stored presence rows; and the minute
job over the watched people.

    uv run python benchmarks/presence_board.py [--staff 2000] [--runs 50]
    uv run python benchmarks/presence_board.py --database-url postgres://postgres@127.0.0.1:5432/kiban

Data: the demo organisation with N staff; for every person six timed events today (a third now, a tenth
private, some with accepted attendees), an all-day leave for 5 %, a manual status for 20 %. Uses a throwaway
database (benchdb). Not a test.
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchdb import configure, drop_pg, percentile  # noqa: E402


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def generate(staff_ids: list[int]) -> None:
    from django.db import transaction
    from django.utils import timezone

    from kiban.calendar import fields
    from kiban.calendar.models import Attendee, Event
    from kiban.presence.models import Presence

    rng = random.Random(7)
    now = timezone.now()
    day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    events, attendees, rows = [], [], []
    for sid in staff_ids:
        for i in range(6):
            start = (
                now - dt.timedelta(minutes=30)
                if i == 0 and rng.random() < 0.33
                else day + dt.timedelta(hours=8 + i * 1.5)
            )
            event = Event(
                organizer_id=sid, title="打合せ", location="第1会議室", start=start, end=start + dt.timedelta(hours=1),
                visibility="private" if rng.random() < 0.1 else "public", uid=f"{uuid.uuid4()}@bench",
            )  # fmt: skip
            fields.refresh_window(event)
            events.append(event)
        if rng.random() < 0.05:
            event = Event(organizer_id=sid, title="年次休暇", all_day=True, start=day, end=day + dt.timedelta(days=1),
                          uid=f"{uuid.uuid4()}@bench")  # fmt: skip
            fields.refresh_window(event)
            events.append(event)
        if rng.random() < 0.2:
            rows.append(
                Presence(
                    user_id=sid, status="out", destination="県民会館", expires_at=now + dt.timedelta(hours=2)
                )
            )
    with transaction.atomic():
        Event.objects.bulk_create(events, batch_size=2000)
        for event in rng.sample(events, len(events) // 10):
            other = rng.choice(staff_ids)
            if other != event.organizer_id:
                attendees.append(Attendee(event=event, staff_id=other, status="accepted", start=event.start,
                                          series_end=event.series_end, long_running=event.long_running))  # fmt: skip
        Attendee.objects.bulk_create(attendees, batch_size=2000, ignore_conflicts=True)
        Presence.objects.bulk_create(rows, batch_size=2000)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--staff", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        name = configure(args.database_url, Path(tmp), "presence")
        try:
            run(args)
        finally:
            if args.database_url:
                drop_pg(args.database_url, name)


def run(args) -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from kiban.core import modules
    from kiban.org import demo
    from kiban.org.models import Membership
    from kiban.presence import actions
    from kiban.presence.models import Watch
    from kiban.presence.queries import presence_of

    call_command("migrate", verbosity=0)
    modules.demo_loaders = list
    demo.load_demo(staff=args.staff)
    Staff = get_user_model()
    staff = list(Staff.objects.filter(is_active=True).only("id", "username"))
    generate([s.pk for s in staff])
    top = Membership.objects.values("department_id").annotate(n=Count("id")).order_by("-n").first()
    section = [
        m.staff for m in Membership.objects.filter(department_id=top["department_id"]).select_related("staff")
    ]
    batch = staff[:200]

    def baseline(people):
        ids = [p.pk for p in people]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT s.id, s.username, p.status, p.destination, p.until, p.note FROM accounts_staff s "
                f"LEFT JOIN presence_presence p ON p.user_id = s.id WHERE s.id IN ({','.join(['%s'] * len(ids))})",  # noqa: S608
                ids,
            )
            return cursor.fetchall()

    print(f"# presence, {connection.vendor}, {len(staff)} staff, section of {len(section)}, "
          f"{platform.machine()}, load {os.getloadavg()[0]:.2f} (shared machine)")  # fmt: skip
    for label, people in ((f"board ({len(section)} people)", section), ("batch of 200", batch)):
        presence_of(people)
        base = timed(lambda people=people: baseline(people), args.runs)
        real = timed(lambda people=people: presence_of(people), args.runs)
        print(f"{label:22} presence_of median {statistics.median(real):6.2f} ms p95 {percentile(real, 0.95):6.2f} ms"
              f"   baseline (one query of stored rows) median {statistics.median(base):5.2f} ms p95 {percentile(base, 0.95):5.2f} ms")  # fmt: skip
    watcher = staff[0]
    now = timezone.now()
    Watch.objects.bulk_create(
        [Watch(watcher=watcher, user=s, expires_at=now + dt.timedelta(minutes=10)) for s in staff[:500]]
    )
    start = time.perf_counter()
    first = actions.publish_changes()
    first_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    again = actions.publish_changes()
    again_ms = (time.perf_counter() - start) * 1000
    print(
        f"minute job, 500 watched: first run {first_ms:.0f} ms ({first} published), "
        f"next run {again_ms:.0f} ms ({again} published)"
    )


if __name__ == "__main__":
    main()
