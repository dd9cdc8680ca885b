"""A reshuffle (人事異動) that moves N people to another section, written three ways in the same run:

- baseline: the writes as the HR importer made them before it went through the org actions (one bulk DELETE
  and one bulk INSERT of memberships per thousand, no audit entry, no event);
- actions: the same moves through `org.actions.do_end_memberships` + `do_add_memberships` (per-object audit
  entries in bulk, one `org.changed` per call);
- import: the whole `kiban import-staff` path for a staff CSV of the N people (`build_plan` + `apply_plan`).

Each run is rolled back, so every measurement starts from the same organisation.

    uv run python benchmarks/org_import.py [--people 5000] [--runs 3]
    uv run python benchmarks/org_import.py --database-url postgres://postgres@127.0.0.1:5432/kiban
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchdb import configure, drop_pg  # noqa: E402


class Rollback(Exception):
    pass


def timed(fn, runs: int) -> tuple[float, float]:
    """(median wall ms, median CPU ms) of `fn` inside a transaction that is rolled back."""
    from django.db import transaction

    walls, cpus = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        try:
            with transaction.atomic():
                fn()
                raise Rollback
        except Rollback:
            pass
        walls.append((time.perf_counter() - began) * 1000)
        cpus.append((time.process_time() - began_cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def run(args) -> None:
    from django.core.management import call_command

    from kiban.accounts.models import Staff
    from kiban.org import actions
    from kiban.org.importer import apply_plan, build_plan, parse_csv
    from kiban.org.models import Department, Membership

    call_command("migrate", verbosity=0)
    source = Department.objects.create(code="100100", name="人事課")
    target = Department.objects.create(code="500100", name="道路課")
    Staff.objects.bulk_create(
        [
            Staff(username=f"{200000 + i}", family_name="山田", given_name=f"太郎{i}", family_name_kana="ヤマダ",
                  given_name_kana="タロウ", email=f"{200000 + i}@pref.example.lg.jp")
            for i in range(args.people)
        ],
        batch_size=1000,
    )  # fmt: skip
    ids = list(Staff.objects.order_by("pk").values_list("pk", flat=True))
    Membership.objects.bulk_create(
        [Membership(staff_id=pk, department=source, title="主事", rank=80) for pk in ids], batch_size=1000
    )
    membership_ids = list(Membership.objects.order_by("pk").values_list("pk", flat=True))
    fields = {"title": "主事", "is_primary": True, "is_head": False, "rank": 80}

    def baseline() -> None:
        for start in range(0, len(membership_ids), 1000):
            Membership.objects.filter(id__in=membership_ids[start : start + 1000]).delete()
        Membership.objects.bulk_create(
            [Membership(staff_id=pk, department=target, **fields) for pk in ids], batch_size=1000
        )

    def through_actions() -> None:
        actions.do_end_memberships(membership_ids, actor_username="bench")
        actions.do_add_memberships([(pk, target.pk, dict(fields)) for pk in ids], actor_username="bench")

    header = "username,family_name,given_name,family_name_kana,given_name_kana,email,department_code,title,primary,head"
    rows = [
        f"{200000 + i},山田,太郎{i},ヤマダ,タロウ,{200000 + i}@pref.example.lg.jp,500100,主事,1,0"
        for i in range(args.people)
    ]
    data = ("\n".join([header, *rows]) + "\n").encode()

    def whole_import() -> None:
        apply_plan(build_plan(parse_csv(data, "bench.csv")), actor_username="bench")

    engine = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{engine}, {args.people} people moved to another section, median of {args.runs} runs")
    print(f"{'path':<58} {'wall ms':>9} {'CPU ms':>9}")
    for label, fn in (
        ("baseline: bulk DELETE + INSERT, no audit, no event", baseline),
        ("actions: do_end_memberships + do_add_memberships", through_actions),
        ("import: parse + build_plan + apply_plan (through actions)", whole_import),
    ):
        wall, cpu = timed(fn, args.runs)
        print(f"{label:<58} {wall:>9.0f} {cpu:>9.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        name = configure(args.database_url, Path(tmp), "orgimport")
        try:
            run(args)
        finally:
            if args.database_url:
                drop_pg(args.database_url, name)


if __name__ == "__main__":
    main()
