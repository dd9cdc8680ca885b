"""Directory search latency at scale: p50/p95 server time per kind of query, next to an indexed lookup.

    uv run python benchmarks/directory_search.py [--staff 100000] [--runs 200]

Uses a throwaway database: a temporary SQLite file, or — when KIBAN_DATABASE_URL is set — a separate
PostgreSQL database `<name>_bench_directory` on that server, dropped afterwards. The development
database is never touched. Times the search function (`kiban.org.search.search_staff`: the index query,
the staff rows and their departments), not HTTP. This is a benchmark, not a test: nothing here runs under
pytest.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchdb import configure, drop_pg, percentile  # noqa: E402


def time_calls(fn, args_list) -> tuple[list[float], list[float]]:
    """Wall-clock and this process's CPU milliseconds per call. On a shared, overloaded machine the CPU
    time is the steadier figure for SQLite (it runs in this process); PostgreSQL's work is in the server,
    so only wall time counts there."""
    wall, cpu = [], []
    for args in args_list:
        start, start_cpu = time.perf_counter(), time.process_time()
        fn(args)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--staff", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200, help="timed queries per kind")
    args = parser.parse_args()
    db_url = os.environ.get("KIBAN_DATABASE_URL") or None

    with tempfile.TemporaryDirectory(prefix="kiban-bench-") as tmp:
        name = configure(db_url, Path(tmp), "directory")
        try:
            run(args, db_url)
        finally:
            if db_url:
                drop_pg(db_url, name)


def run(args, db_url: str | None) -> None:
    from django.core.management import call_command
    from django.db import connection

    from kiban.accounts.models import Staff
    from kiban.core.text import hiragana_to_katakana, normalize
    from kiban.org.demo import load_demo
    from kiban.org.search import search_staff, search_staff_ids

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    load_demo(staff=args.staff)
    # Statistics for every table, as autovacuum would have them soon after a bulk load (without them
    # PostgreSQL scanned all 100,000 memberships to load a page of results).
    with connection.cursor() as cursor:
        # VACUUM as well on PostgreSQL: it sets the visibility map that index-only scans need.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    load_seconds = time.perf_counter() - started

    rng = random.Random(7)
    people = list(
        Staff.objects.exclude(username="admin").values_list(
            "username", "family_name", "family_name_kana", "romaji", "extension", "email"
        )
    )
    sample = [rng.choice(people) for _ in range(args.runs)]
    half = str.maketrans(
        dict(zip("アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン",
                               "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝ", strict=True))
        | {"ガ": "ｶﾞ", "ギ": "ｷﾞ", "グ": "ｸﾞ", "ゲ": "ｹﾞ", "ゴ": "ｺﾞ", "ザ": "ｻﾞ", "ジ": "ｼﾞ", "ズ": "ｽﾞ",
           "ゼ": "ｾﾞ", "ゾ": "ｿﾞ", "ダ": "ﾀﾞ", "デ": "ﾃﾞ", "ド": "ﾄﾞ", "バ": "ﾊﾞ", "ビ": "ﾋﾞ", "ブ": "ﾌﾞ",
           "ベ": "ﾍﾞ", "ボ": "ﾎﾞ", "パ": "ﾊﾟ", "ピ": "ﾋﾟ", "プ": "ﾌﾟ", "ペ": "ﾍﾟ", "ポ": "ﾎﾟ", "ャ": "ｬ",
           "ュ": "ｭ", "ョ": "ｮ", "ッ": "ｯ", "ー": "ｰ"}
    )  # fmt: skip
    kinds = {
        "kanji surname": [p[1] for p in sample],
        "hiragana reading": [normalize(p[2]) for p in sample],
        "half-width katakana": [hiragana_to_katakana(p[2]).translate(half) for p in sample],
        "romaji surname": [p[3].split()[0].lower() for p in sample],
        "extension": [p[4] for p in sample],
        "variant kanji (高→髙 etc.)": [
            p[1].replace("高", "髙").replace("崎", "﨑").replace("辺", "邉") for p in sample
        ],
        "surname + given name": [f"{p[1]} {p[3].split()[-1].lower()}" for p in sample],
        "email (exact)": [p[5] for p in sample],
    }

    # Warm the caches the same way for every kind, then time.
    for queries in kinds.values():
        for q in queries[:10]:
            search_staff(q)
    baseline, _ = time_calls(lambda u: Staff.objects.get(username=u), [p[0] for p in sample])
    index_only = {kind: time_calls(search_staff_ids, queries)[0] for kind, queries in kinds.items()}
    results = {kind: time_calls(search_staff, queries) for kind, queries in kinds.items()}
    hits = {kind: sum(1 for q in queries[:20] if search_staff(q).staff) for kind, queries in kinds.items()}

    engine = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if engine == "PostgreSQL" else "SELECT sqlite_version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    print(
        f"# Directory search — {engine} {version}, {Staff.objects.count():,} staff, {args.runs} queries per kind"
    )
    print(
        f"# {platform.node()} {platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"# load (migrate + demo {args.staff:,} staff + analyze): {load_seconds:.1f} s")
    base50, base95 = statistics.median(baseline), percentile(baseline, 0.95)
    print(f"# load average {os.getloadavg()[0]:.1f} at the end of the run")
    print("# index = search_staff_ids (the index query); full = search_staff (+ staff rows and departments)")
    print(
        f"{'query kind':30} {'index p50':>9} {'index p95':>9} {'full p50':>9} {'full p95':>9} "
        f"{'full p95 CPU':>12} {'p95/base':>8} {'hits':>6}"
    )
    print(f"{'baseline: get(username=…)':30} {'':>9} {'':>9} {base50:9.2f} {base95:9.2f} {'':>12} {1:8.1f}")
    for kind, (wall, cpu) in results.items():
        i50, i95 = statistics.median(index_only[kind]), percentile(index_only[kind], 0.95)
        p50, p95 = statistics.median(wall), percentile(wall, 0.95)
        print(
            f"{kind:30} {i50:9.2f} {i95:9.2f} {p50:9.2f} {p95:9.2f} {percentile(cpu, 0.95):12.2f} "
            f"{p95 / base95:8.1f} {hits[kind]:>4}/20"
        )


if __name__ == "__main__":
    main()
