"""Demo prefecture load time: `load_demo(staff=N)` against a bare bulk insert of the same rows.

    uv run python benchmarks/demo_load.py [--staff 100000]

Uses a throwaway SQLite database (or, with KIBAN_DATABASE_URL set, a separate PostgreSQL database
`<name>_bench_demo`, dropped afterwards). The baseline inserts N rows of the same width into a plain
table with one `executemany` in the same database: the floor no ORM-level loader can beat. The issue's
target is 100,000 staff in under two minutes. This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--staff", type=int, default=100_000)
    args = parser.parse_args()
    db_url = os.environ.get("KIBAN_DATABASE_URL") or None
    with tempfile.TemporaryDirectory(prefix="kiban-bench-demo-") as tmp:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiban.settings")
        os.environ["KIBAN_DATA_DIR"] = tmp
        from django.conf import settings

        name = None
        if db_url:
            import dj_database_url
            import psycopg

            db = dj_database_url.parse(db_url, conn_max_age=0)
            name = f"{db['NAME']}_bench_demo"
            with psycopg.connect(
                host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname="postgres", autocommit=True
            ) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
                admin.execute(f'CREATE DATABASE "{name}"')
            db["NAME"] = name
            settings.DATABASES["default"] = db
        else:
            settings.DATABASES["default"]["NAME"] = Path(tmp) / "bench.sqlite3"
        import django

        django.setup()
        try:
            run(args.staff)
        finally:
            if name:
                from django.db import connections

                connections.close_all()
                with psycopg.connect(
                    host=db["HOST"],
                    port=db["PORT"] or 5432,
                    user=db["USER"],
                    dbname="postgres",
                    autocommit=True,
                ) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def run(n: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from kiban.accounts.models import Staff
    from kiban.org.demo import load_demo
    from kiban.org.models import Membership

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    cpu = time.process_time()
    load_demo(staff=n)
    demo_wall, demo_cpu = time.perf_counter() - started, time.process_time() - cpu
    staff, memberships = Staff.objects.count(), Membership.objects.count()

    # Baseline: the same number of rows, about as wide as a staff row, in one executemany.
    rows = [
        (
            f"{i:08d}",
            "山田",
            "太郎",
            "ヤマダ",
            "タロウ",
            "Yamada Taro",
            f"u{i}@pref.example.lg.jp",
            f"{i % 10000:04d}",
        )
        for i in range(n)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_plain (id INTEGER PRIMARY KEY, username TEXT, fn TEXT, gn TEXT, fk TEXT, gk TEXT,"
            " romaji TEXT, email TEXT, ext TEXT)"
            if connection.vendor == "sqlite"
            else "CREATE TABLE bench_plain (id serial PRIMARY KEY, username text, fn text, gn text, fk text, gk text,"
            " romaji text, email text, ext text)"
        )
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO bench_plain (username, fn, gn, fk, gk, romaji, email, ext) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
    base_wall = time.perf_counter() - started

    engine = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    print(
        f"# Demo load — {engine}, {platform.node()} {platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"# load average {os.getloadavg()[0]:.1f} at the end of the run")
    print(f"{'what':44} {'wall s':>8} {'cpu s':>8}")
    print(f"{f'load_demo: {staff:,} staff, {memberships:,} memberships':44} {demo_wall:8.1f} {demo_cpu:8.1f}")
    print(f"{f'baseline: executemany of {n:,} plain rows':44} {base_wall:8.1f}")
    print(f"ratio demo / baseline: {demo_wall / base_wall:.1f}; target: under 120 s for 100,000 staff")


if __name__ == "__main__":
    main()
