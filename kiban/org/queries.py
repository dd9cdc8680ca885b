"""Reads of the organisation used by pages, the API and the vCard export."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from kiban.accounts.models import Staff
from kiban.org.models import Department, Membership


def staff_with_departments() -> QuerySet[Staff]:
    """Staff with their memberships (primary first) and departments loaded in one extra query."""
    memberships = Membership.objects.select_related("department").order_by(
        "-is_primary", "department__order", "department__code"
    )
    return Staff.objects.prefetch_related(Prefetch("memberships", queryset=memberships))


@dataclass
class DepartmentNode:
    department: Department
    children: list[DepartmentNode] = field(default_factory=list)


def department_tree(*, include_inactive: bool = False) -> list[DepartmentNode]:
    """The whole tree (部局 → 課/室 → 係) in `order`, built from one query."""
    departments = Department.objects.order_by("order", "code")
    if not include_inactive:
        departments = departments.filter(is_active=True)
    nodes = {d.pk: DepartmentNode(d) for d in departments}
    roots: list[DepartmentNode] = []
    for node in nodes.values():
        parent = nodes.get(node.department.parent_id)
        (parent.children if parent else roots).append(node)
    return roots


def department_members(
    department: Department, *, include_retired: bool = False, with_all_departments: bool = False
) -> list[Membership]:
    """Members in the order of a printed 職員録: heads, then rank (部長 before 主事), then 五十音.
    `with_all_departments` also loads each member's other memberships (one more query)."""
    memberships = (
        Membership.objects.filter(department=department)
        .select_related("staff")
        .order_by("-is_head", "rank", "staff__sort_key", "staff__username")
    )
    if with_all_departments:
        memberships = memberships.prefetch_related(
            Prefetch(
                "staff__memberships",
                queryset=Membership.objects.select_related("department").order_by(
                    "-is_primary", "department__order", "department__code"
                ),
            )
        )
    if not include_retired:
        memberships = memberships.filter(staff__is_active=True)
    return list(memberships)


def department_ancestors(department: Department) -> list[Department]:
    """From the top level down to the parent (the tree is shallow: a query per level)."""
    chain: list[Department] = []
    current = department.parent
    seen = {department.pk}
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        chain.append(current)
        current = current.parent
    return list(reversed(chain))


def sub_departments(department: Department) -> list[Department]:
    return list(department.children.filter(is_active=True).order_by("order", "code"))
