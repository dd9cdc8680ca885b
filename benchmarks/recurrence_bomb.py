"""The group schedule of one section for one week, with a normal week beside the worst series the server
accepts (issue 9 item 2): one colleague's hourly series (FREQ=HOURLY, 24 a day, the densest rule allowed)
plus 500 RDATEs (the most a series may carry) in the same week.

    uv run python benchmarks/recurrence_bomb.py [--members 20] [--runs 20]
    uv run python benchmarks/recurrence_bomb.py --database-url postgres://postgres@127.0.0.1:5432/kiban

Measured through the test client (the API `GET /api/v1/schedules/group` and the page `/calendar/group/`,
rendering included): median wall-clock and CPU ms, and the response size. Uses a throwaway database.
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


def measure(client, path: str, params: dict, runs: int) -> tuple[float, float, int]:
    """(median wall ms, median CPU ms of this process, response bytes); one warm-up call first. CPU time is
    the steadier figure on a shared, loaded machine (SQLite runs in this process)."""
    client.get(path, params)
    times, cpu, size = [], [], 0
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        response = client.get(path, params)
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
        assert response.status_code == 200, response.status_code
        size = len(response.content)
    return statistics.median(times), statistics.median(cpu), size


def run(args) -> None:
    from django.core.management import call_command
    from django.test import Client

    from kiban.accounts.models import Staff
    from kiban.calendar import fields
    from kiban.calendar.models import Event
    from kiban.core import recurrence
    from kiban.org.models import Department, Membership

    call_command("migrate", verbosity=0)
    section = Department.objects.create(code="B1", name="ベンチ課")
    people = []
    for i in range(args.members):
        person = Staff.objects.create_user(
            username=f"9{i:05d}",
            password="x",
            family_name="試験",
            given_name=f"{i}",
            email=f"b{i}@example.jp",
        )
        Membership.objects.create(staff=person, department=section, is_primary=True, rank=i)
        people.append(person)
    monday = dt.date(2026, 11, 23)
    tokyo = recurrence.TOKYO

    def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(monday + dt.timedelta(days=day), dt.time(hour, minute), tzinfo=tokyo)

    def store(person, start, end, **values) -> None:
        event = Event(organizer=person, start=start, end=end, title=values.pop("title", "打合せ"), **values)
        event.uid = f"{person.username}-{start.isoformat()}-{event.title}"
        fields.refresh_window(event)
        event.save()

    # A normal week: three meetings a day for everyone and a weekly 朝礼.
    for person in people:
        store(person, at(0, 8, 30), at(0, 8, 45), title="朝礼", rrule="FREQ=WEEKLY;BYDAY=MO")
        for day in range(5):
            for hour in (10, 13, 15):
                store(person, at(day, hour), at(day, hour, 45))
    viewer = people[0]
    client = Client(HTTP_HOST="localhost")
    client.force_login(viewer)
    params_api = {"department": section.pk, "start": monday.isoformat(), "days": 7}
    params_page = {"department": section.pk, "date": monday.isoformat()}
    rows = [("normal week", measure(client, "/api/v1/schedules/group", params_api, args.runs),
             measure(client, "/calendar/group/", params_page, args.runs))]  # fmt: skip
    worst = people[1]
    rdates = [recurrence.iso(at(0, 0, 5) + dt.timedelta(minutes=10 * i)) for i in range(recurrence.MAX_DATES)]
    store(worst, at(-300, 0), at(-300, 0, 30), title="毎時", rrule="FREQ=HOURLY", rdates=rdates)
    rows.append(
        ("worst accepted series (hourly + 500 RDATEs)",
         measure(client, "/api/v1/schedules/group", params_api, args.runs),
         measure(client, "/calendar/group/", params_page, args.runs))
    )  # fmt: skip
    print(f"{args.members} members, {args.runs} runs, database {Event.objects.db}")
    print(f"load average {os.getloadavg()[0]:.1f}")
    print("| week | API wall / CPU ms (median) | API bytes | page wall / CPU ms (median) | page bytes |")
    print("| --- | --- | --- | --- | --- |")
    for label, (api_med, api_max, api_size), (page_med, page_max, page_size) in rows:
        print(
            f"| {label} | {api_med:.0f} / {api_max:.0f} | {api_size:,} | {page_med:.0f} / {page_max:.0f} "
            f"| {page_size:,} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default=os.environ.get("KIBAN_DATABASE_URL") or None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kiban-bench-") as tmp:
        name = configure(args.database_url, Path(tmp), "bomb")
        try:
            run(args)
        finally:
            if args.database_url:
                drop_pg(args.database_url, name)


if __name__ == "__main__":
    main()
