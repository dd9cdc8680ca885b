"""HR import, applying: a plan (`importer_plan`) written in one transaction through the org actions
(departments created, changed, moved, closed; memberships added, changed, ended — each audited per object and
announced exactly as when a person makes the change) and the accounts action that retires people; the people's
own rows (names, kana, contact) are written here in bulk, then their search index."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from kiban.accounts import actions as accounts_actions
from kiban.accounts.models import SEARCH_FIELDS, Staff
from kiban.core.audit import record
from kiban.org import actions as org_actions
from kiban.org.importer_parse import DEPARTMENTS
from kiban.org.importer_plan import ImportPlan
from kiban.org.models import Department
from kiban.org.search import reindex_staff

BATCH = 1000


def apply_plan(
    plan: ImportPlan,
    *,
    actor=None,
    actor_username: str = "",
    reshuffle_id: int | None = None,
    effective_date: dt.date | None = None,
) -> dict:
    """Write the plan in one transaction and record the import's audit entry. Returns the counts.

    The plan must have been built just before, in the same transaction when the caller needs to exclude
    concurrent changes (the reshuffle job does); the CLI accepts the small window between the preview
    and the write. A reshuffle passes its id and effective date (発令日): every entry the actions write
    carries them, so the audit log says which 人事異動 made each change and as of when.
    """
    context: dict = {"via": "import", "source": plan.source}
    if reshuffle_id is not None:
        context["reshuffle"] = reshuffle_id
    if effective_date is not None:
        context["effective"] = effective_date.isoformat()
    who = {"actor": actor, "actor_username": actor_username}
    with transaction.atomic():
        if plan.kind == DEPARTMENTS:
            _apply_departments(plan, who, context)
        else:
            _apply_staff(plan, who, context)
        counts = plan.counts()
        record(
            "org.import.apply",
            actor=actor,
            actor_username=actor_username,
            target_type="org.import",
            target_repr=plan.source,
            kind=plan.kind,
            full=plan.full,
            reshuffle=reshuffle_id,
            **counts,
        )
    return counts


def _apply_departments(plan: ImportPlan, who: dict, context: dict) -> None:
    org_actions.do_create_departments(
        [
            org_actions.DepartmentSpec(row.code, row.name, row.order or 0, row.parent_code)
            for row in plan.dept_create
        ],
        **who,
        **context,
    )
    ids = dict(Department.objects.values_list("code", "id"))
    updates: list[tuple[int, dict]] = []
    moves: list[tuple[int, int | None]] = []
    for department_id, _code, changes in plan.dept_update:
        fields = {name: value for name, (_old, value) in changes.items() if name != "parent"}
        if fields:
            updates.append((department_id, fields))
        if "parent" in changes:
            parent_code = changes["parent"][1]
            moves.append((department_id, ids[parent_code] if parent_code else None))
    org_actions.do_update_departments(updates, **who, **context)
    org_actions.do_move_departments(moves, **who, **context)
    org_actions.do_close_departments(
        [department_id for department_id, *_rest in plan.dept_retire], **who, **context
    )


def _apply_staff(plan: ImportPlan, who: dict, context: dict) -> None:
    now = timezone.now()
    new_staff = []
    for person in plan.staff_create:
        primary = next(m for m in person.memberships if m.primary)
        values = {k: v for k, v in person.values.items() if v is not None}
        staff = Staff(username=person.username, title=primary.title, **values)
        # Imported people sign in once an administrator sets a password (or SSO maps them).
        staff.set_unusable_password()
        staff.refresh_search_fields()
        new_staff.append(staff)
    Staff.objects.bulk_create(new_staff, batch_size=BATCH)
    ids = _ids_by_username([p.username for p in plan.staff_create])

    updated = _load_and_change(plan)
    for key, people in updated.items():
        fields = key.split(",") + list(SEARCH_FIELDS)
        if "is_active" in fields:
            fields.append("retired_at")
        Staff.objects.bulk_update(people, fields, batch_size=BATCH)

    # Memberships: ended first, then changed (rows losing 本務 before rows gaining it), then added, so that
    # the one-本務-per-person constraint holds after every statement.
    org_actions.do_end_memberships(plan.membership_delete, **who, **context)
    org_actions.do_update_memberships(plan.membership_update, **who, **context)
    ids.update(_ids_by_username([u for u, _d, _f in plan.membership_create if u not in ids]))
    org_actions.do_add_memberships(
        [
            (ids[username], department_id, fields)
            for username, department_id, fields in plan.membership_create
        ],
        **who,
        **context,
    )

    retired = [staff_id for staff_id, _u, _n in plan.staff_retire]
    for start in range(0, len(retired), BATCH):
        # Through the accounts action, so a retirement by import ends sessions and tokens and is audited
        # per person exactly like any other.
        accounts_actions.do_retire_staff(retired[start : start + BATCH], at=now, **who)

    reindex_staff(list(ids.values()) + [staff_id for staff_id, _p, _c in plan.staff_update])


def _load_and_change(plan: ImportPlan) -> dict[str, list[Staff]]:
    changes_by_id = {staff_id: changes for staff_id, _person, changes in plan.staff_update}
    updated: dict[str, list[Staff]] = defaultdict(list)
    staff_ids = list(changes_by_id)
    for start in range(0, len(staff_ids), BATCH):
        for staff in Staff.objects.filter(pk__in=staff_ids[start : start + BATCH]):
            changes = changes_by_id[staff.pk]
            for name, (_old, value) in changes.items():
                setattr(staff, name, value)
            if "is_active" in changes:
                staff.retired_at = None
            staff.refresh_search_fields()
            updated[",".join(sorted(changes))].append(staff)
    return updated


def _ids_by_username(usernames: list[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for start in range(0, len(usernames), BATCH):
        ids.update(
            Staff.objects.filter(username__in=usernames[start : start + BATCH]).values_list("username", "id")
        )
    return ids
