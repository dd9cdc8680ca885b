"""Reads of safety checks: the dashboard counts (by department, sub-departments rolled up), who has not
answered, who watches a dashboard, what a person still has to answer, and the CSV export.

The counts are one GROUP BY over the `(check, department, status, can_work)` index — at most a few hundred
groups whatever the audience — so they are exact at any moment and cost the same while thousands answer.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.contrib.auth.models import Permission
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.accounts.models import Staff
from kiban.org import queries as org_queries
from kiban.org.models import Department, Membership
from kiban.safety.models import SafetyCheck, Status, Target

UNANSWERED_MAX = 1000


@dataclass
class DepartmentCount:
    id: int
    name: str
    parent: int | None
    depth: int
    audience: int = 0
    answered: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


@dataclass
class Summary:
    audience: int
    answered: int
    by_status: dict[str, int]
    can_work: dict[str, int]
    departments: list[DepartmentCount]


def _scoped(check: SafetyCheck, scope: set[int] | None):
    rows = Target.objects.filter(safety_check=check)
    return rows if scope is None else rows.filter(department_id__in=scope)


def summary(check: SafetyCheck, scope: set[int] | None = None) -> Summary:
    """Counts overall and per department; a department's figures include every department below it.
    `scope` (a section head's departments) limits everything to those departments."""
    groups = (
        _scoped(check, scope)
        .values_list("department_id", "status", "can_work")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_status = dict.fromkeys(Status.values, 0)
    can_work = {"yes": 0, "no": 0}
    audience = answered = 0
    per_department: dict[int | None, dict[str, int]] = {}
    for department_id, status, works, n in groups:
        audience += n
        counts = per_department.setdefault(department_id, {"": 0, **dict.fromkeys(Status.values, 0)})
        counts[status] += n
        if status:
            answered += n
            by_status[status] += n
            can_work["yes" if works else "no"] += n
    departments = _rolled_up(per_department, scope)
    return Summary(audience, answered, by_status, can_work, departments)


def _rolled_up(
    per_department: dict[int | None, dict[str, int]], scope: set[int] | None
) -> list[DepartmentCount]:
    """Each counted department and its ancestors (within `scope`), in tree order, with the counts of its
    subtree."""
    tree = {
        pk: (parent_id, (order, code), org_queries.department_label(name, parent_name, shared))
        for pk, parent_id, order, code, name, parent_name, shared in Department.objects.annotate(
            shared=org_queries.name_is_shared()
        ).values_list("pk", "parent_id", "order", "code", "name", "parent__name", "shared")
    }  # one query: the department tree with the names people read
    parents = {pk: row[0] for pk, row in tree.items()}
    totals: dict[int, dict[str, int]] = {}
    for department_id, counts in per_department.items():
        seen: set[int] = set()
        current = department_id
        while current is not None and current not in seen:
            seen.add(current)
            if scope is None or current in scope:
                into = totals.setdefault(current, {"": 0, **dict.fromkeys(Status.values, 0)})
                for key, n in counts.items():
                    into[key] += n
            current = parents.get(current)
    if not totals:
        return []
    labels = {pk: tree[pk][2] for pk in totals if pk in tree}
    order = {pk: tree[pk][1] for pk in totals if pk in tree}
    children: dict[int | None, list[int]] = {}
    for pk in totals:
        parent = parents.get(pk)
        children.setdefault(parent if parent in totals else None, []).append(pk)
    out: list[DepartmentCount] = []

    def walk(pk: int, depth: int) -> None:
        counts = totals[pk]
        answered = sum(counts[s] for s in Status.values)
        out.append(DepartmentCount(
            id=pk, name=labels.get(pk, ""), parent=parents.get(pk) if parents.get(pk) in totals else None,
            depth=depth, audience=answered + counts[""], answered=answered,
            by_status={s: counts[s] for s in Status.values},
        ))  # fmt: skip
        for child in sorted(children.get(pk, []), key=lambda c: order.get(c, (0, ""))):
            walk(child, depth + 1)

    for root in sorted(children.get(None, []), key=lambda c: order.get(c, (0, ""))):
        walk(root, 0)
    return out


def unanswered(check: SafetyCheck, scope: set[int] | None = None, *, limit: int = 200, offset: int = 0):
    """(targets with `staff` and `department`, more?) of those who have not answered, by section then
    五十音 — for calling them: names, sections and extensions."""
    rows = list(
        _scoped(check, scope)
        .filter(status="")
        .select_related("staff", "department")
        .order_by("department__order", "department__code", "staff__sort_key", "staff__username")[
            offset : offset + limit + 1
        ]
    )
    return rows[:limit], len(rows) > limit


def unanswered_usernames(
    check: SafetyCheck, scope: set[int] | None = None, *, limit: int = 200, offset: int = 0
):
    """(usernames, more?): the API's page of `unanswered`, in the order of `unanswered` (no objects built)."""
    names = list(
        _scoped(check, scope)
        .filter(status="")
        .order_by("department__order", "department__code", "staff__sort_key", "staff__username")
        .values_list("staff__username", flat=True)[offset : offset + limit + 1]
    )
    return names[:limit], len(names) > limit


def answers(check: SafetyCheck, scope: set[int] | None = None):
    return (
        _scoped(check, scope)
        .select_related("staff", "department", "answered_by")
        .order_by("department__order", "department__code", "staff__sort_key", "staff__username")
    )


def dashboard_viewer_ids(check: SafetyCheck) -> list[int]:
    """Who watches the check's dashboard: the administrators (IT, 防災担当) and the heads of the sections
    it asks and of the departments above them."""
    department_ids = set(
        Target.objects.filter(safety_check=check, department__isnull=False)
        .values_list("department_id", flat=True)
        .distinct()
    )
    parents = dict(Department.objects.values_list("pk", "parent_id"))
    chain = set()
    for department_id in department_ids:
        current = department_id
        while current is not None and current not in chain:
            chain.add(current)
            current = parents.get(current)
    heads = set(
        Membership.objects.filter(department_id__in=chain, is_head=True, staff__is_active=True).values_list(
            "staff_id", flat=True
        )
    )
    permission = Permission.objects.filter(content_type__app_label="safety", codename="manage_checks")
    admins = set(
        Staff.objects.filter(is_active=True)
        .filter(Q(is_staff=True) | Q(user_permissions__in=permission) | Q(groups__permissions__in=permission))
        .values_list("pk", flat=True)
    )
    return sorted(heads | admins)


def open_for(user):
    """The open checks the person has not answered yet, newest first (one query on the (staff, status) index)."""
    return list(
        Target.objects.filter(staff_id=user.pk, status="", safety_check__closed_at__isnull=True)
        .select_related("safety_check")
        .order_by("-safety_check__started_at")[:20]
    )


def checks_for(user, *, admin: bool, scope: set[int]):
    """The checks a person may open: all (administrators), else those asking them or their sections."""
    checks = SafetyCheck.objects.all()
    if not admin:
        asked = Q(staff_id=user.pk)
        if scope:
            asked |= Q(department_id__in=scope)
        checks = checks.filter(pk__in=Target.objects.filter(asked).values("safety_check_id"))
    return checks.select_related("started_by").order_by("-started_at", "-pk")


def my_targets(user, check_ids) -> dict[int, Target]:
    return {
        t.safety_check_id: t
        for t in Target.objects.filter(staff_id=user.pk, safety_check_id__in=list(check_ids))
    }


def _safe_cell(value: str) -> str:
    """Cells a spreadsheet would take as a formula are prefixed (CSV injection), as in every Kiban export."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_bytes(check: SafetyCheck, scope: set[int] | None = None) -> bytes:
    """Every person asked (within `scope`), with their answer: UTF-8 with BOM, as Excel opens it. Names,
    not staff numbers: people read this."""
    labels = {
        Status.SAFE: _("無事"), Status.MINOR: _("軽傷"), Status.SERIOUS: _("重傷"), "": _("未回答"),
    }  # fmt: skip
    rows = list(answers(check, scope))
    names = org_queries.department_labels({t.department_id for t in rows if t.department_id})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [_("所属"), _("氏名"), _("内線"), _("状態"), _("出勤"), _("コメント"), _("回答日時"), _("代理回答者")]
    )
    for t in rows:
        works = "" if t.can_work is None else (_("可") if t.can_work else _("不可"))
        when = timezone.localtime(t.answered_at).strftime("%Y-%m-%d %H:%M") if t.answered_at else ""
        proxy = t.answered_by.get_full_name() if t.answered_by_id and t.answered_by_id != t.staff_id else ""
        writer.writerow([
            _safe_cell(str(c)) for c in (
                names.get(t.department_id, ""), t.staff.get_full_name(), t.staff.extension,
                labels.get(t.status, t.status), works, t.comment, when, proxy,
            )
        ])  # fmt: skip
    return ("\ufeff" + out.getvalue()).encode("utf-8")
