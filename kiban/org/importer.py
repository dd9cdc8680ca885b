"""HR import (`kiban import-staff`): parse → validate → plan → apply, all or nothing.

`parse_csv` (`importer_parse`) reads the file; `build_plan` (`importer_plan`) checks the rows against each other
and against the organisation as it is now and computes every change; `apply_plan` (`importer_apply`) writes the
plan in one transaction through the org actions' bulk variants (100,000 rows), so an imported change leaves the
same audit entries and events as the same change made by hand. Nothing is written unless every row is valid.
This module is the one call the command and the reshuffles use.

Judgements made here (documented in the command's help too):
- A person in a staff file gets exactly the memberships of their rows: rows are the person's whole
  assignment after the import (人事異動), so a membership missing from the rows is removed.
- With `--full`, a person absent from the file is retired: is_active=False, retired_at set, their memberships
  removed (a retired person must not appear as a department's member or head, nor in approval routes; the
  import's audit entry and preview keep what they were), their sessions and API tokens revoked. IT
  administrator and superuser accounts are never retired by an import (HR files do not list the `admin`
  account; an import must not lock the administrators out) — the preview lists them as skipped.
- With `--full`, a department absent from the file is retired (is_active=False). Its remaining members are
  kept, so a department file can be applied before the staff file that moves people out of it.
- A person or department present in the file but retired is re-activated.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kiban.org.importer_apply import apply_plan
from kiban.org.importer_parse import ImportFailed, ParsedFile, RowError, parse_csv
from kiban.org.importer_plan import ImportPlan, build_plan
from kiban.org.titles import TITLE_RANKS, rank_for_title

__all__ = [
    "TITLE_RANKS",
    "ImportFailed",
    "ImportPlan",
    "RowError",
    "apply_plan",
    "build_plan",
    "parse_csv",
    "rank_for_title",
    "read_file",
    "run_import",
    "tokyo_midnight",
]


def read_file(path: str) -> ParsedFile:
    with open(path, "rb") as f:
        data = f.read()
    return parse_csv(data, path)


def run_import(
    path: str, *, full: bool = False, dry_run: bool = False, actor=None, actor_username: str = ""
) -> tuple[ImportPlan, dict | None]:
    """Parse, validate, plan and (unless `dry_run`) apply. Raises ImportFailed; nothing applied then."""
    plan = build_plan(read_file(path), full=full)
    if dry_run or plan.is_empty:
        return plan, None
    return plan, apply_plan(plan, actor=actor, actor_username=actor_username)


def tokyo_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())
