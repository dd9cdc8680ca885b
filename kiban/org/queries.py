"""Reads of the organisation used by pages, the API and the vCard export."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, QuerySet

from kiban.accounts.models import Staff
from kiban.org.models import Department, Membership


def name_is_shared(department_field: str = "pk"):
    """An expression: another active department bears the same name as the one at `department_field`
    (a path to a department id from the queried model)."""
    name_field = "name" if department_field == "pk" else department_field.removesuffix("_id") + "__name"
    return Exists(
        Department.objects.filter(is_active=True, name=OuterRef(name_field)).exclude(
            pk=OuterRef(department_field)
        )
    )


def department_label(name: str, parent_name: str | None, shared: bool) -> str:
    """How a person reads a department: its name, and its parent in brackets where another department has
    the same name (工務課（東部土木事務所） beside 工務課（西部土木事務所）)."""
    return f"{name}（{parent_name}）" if shared and parent_name else name


def department_labels(departments: Iterable[Department | int]) -> dict[int, str]:
    """`department_label` of each department (given as objects or ids; one query)."""
    ids = [d.pk if isinstance(d, Department) else d for d in departments]
    rows = (
        Department.objects.filter(pk__in=ids)
        .annotate(shared=name_is_shared())
        .values_list("pk", "name", "parent__name", "shared")
    )
    return {pk: department_label(name, parent_name, shared) for pk, name, parent_name, shared in rows}


def labelled_departments() -> list[Department]:
    """Active departments in display order, each with `label` (`department_label`): for the lists people
    choose a department from (survey and inquiry audiences, file shares). One query."""
    departments = list(
        Department.objects.filter(is_active=True)
        .select_related("parent")
        .annotate(shared_name=name_is_shared())
        .order_by("order", "code")
    )
    for d in departments:
        d.label = department_label(d.name, d.parent.name if d.parent else None, d.shared_name)
    return departments


def attach_posts(people: Iterable[Staff]) -> list[Staff]:
    """Set `person.posts`: their memberships with departments, primary (本務) first, in one query. Each
    membership also has `department_label` (`department_label`).

    A plain list rather than prefetch_related: Django's prefetch clones a queryset per person, which
    cost more than the search itself for a page of 50 results."""
    people = list(people)
    by_id: dict[int, list[Membership]] = {p.pk: [] for p in people}
    if by_id:
        for m in (
            Membership.objects.filter(staff_id__in=by_id)
            .select_related("department__parent")
            .annotate(shared_name=name_is_shared("department_id"))
            .order_by("-is_primary", "department__order", "department__code")
        ):
            parent = m.department.parent
            m.department_label = department_label(
                m.department.name, parent.name if parent else None, m.shared_name
            )
            by_id[m.staff_id].append(m)
    for person in people:
        person.posts = by_id[person.pk]
    return people


def staff_with_departments(queryset: QuerySet[Staff] | None = None) -> list[Staff]:
    """Evaluate `queryset` (all staff by default) with `posts` attached (two queries)."""
    return attach_posts(Staff.objects.all() if queryset is None else queryset)


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
    if not include_retired:
        memberships = memberships.filter(staff__is_active=True)
    memberships = list(memberships)
    if with_all_departments:
        attach_posts(m.staff for m in memberships)
    return memberships


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


# --- Organisation questions (one place: booking rules, workflow routes, safety and bulletin audiences) -----


def sections_of(person, *, include_inactive: bool = False) -> list[Membership]:
    """The person's posts: the primary section (本務) first, then each 兼務, with their departments."""
    memberships = Membership.objects.filter(staff=person).select_related("department")
    if not include_inactive:
        memberships = memberships.filter(department__is_active=True)
    return list(memberships.order_by("-is_primary", "department__order", "department__code"))


def section_ids_of(person) -> set[int]:
    """Ids of every section the person belongs to (本務 and 兼務)."""
    return set(Membership.objects.filter(staff=person).values_list("department_id", flat=True))


def is_member_of(person, department_id: int | None) -> bool:
    """Whether the person belongs to that section (本務 or 兼務); not to its sub-sections."""
    if department_id is None or not getattr(person, "is_authenticated", False):
        return False
    return Membership.objects.filter(staff=person, department_id=department_id).exists()


def member_ids(department_id: int, *, include_retired: bool = False) -> list[int]:
    """Staff ids of the section's members (本務 and 兼務), each once, in 職員録 order."""
    memberships = Membership.objects.filter(department_id=department_id)
    if not include_retired:
        memberships = memberships.filter(staff__is_active=True)
    return list(
        dict.fromkeys(
            memberships.order_by("-is_head", "rank", "staff__sort_key", "staff__username").values_list(
                "staff_id", flat=True
            )
        )
    )


def heads_of(department: Department | int) -> list[Staff]:
    """The section's head(s) (所属長), active only; a 兼務 head counts (an acting head, 事務取扱)."""
    department_id = department if isinstance(department, int) else department.pk
    return list(
        Staff.objects.filter(
            is_active=True, memberships__department_id=department_id, memberships__is_head=True
        ).order_by("memberships__rank", "sort_key", "username")
    )


def head_chain(department: Department) -> list[tuple[Department, list[Staff]]]:
    """From the section upward to the top level: each department with its heads (empty where a level has
    none), in two queries — the departments above, then every head among them."""
    chain = [department, *reversed(department_ancestors(department))]
    heads: dict[int, list[Staff]] = {d.pk: [] for d in chain}
    for membership in (
        Membership.objects.filter(department_id__in=heads, is_head=True, staff__is_active=True)
        .select_related("staff")
        .order_by("rank", "staff__sort_key", "staff__username")
    ):
        heads[membership.department_id].append(membership.staff)
    return [(d, heads[d.pk]) for d in chain]


def subtree_ids(department: Department | int | Iterable[int], *, include_inactive: bool = False) -> set[int]:
    """The department(s) and every department below, at any depth (one query: the table is small)."""
    if isinstance(department, Department):
        roots = [department.pk]
    elif isinstance(department, int):
        roots = [department]
    else:
        roots = list(department)
    rows = Department.objects.all() if include_inactive else Department.objects.filter(is_active=True)
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in rows.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, todo = set(roots), list(roots)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def subtree_member_ids(department: Department | int, *, include_retired: bool = False) -> set[int]:
    """Staff ids of everyone in the department or below it (本務 or 兼務), each once."""
    memberships = Membership.objects.filter(department_id__in=subtree_ids(department))
    if not include_retired:
        memberships = memberships.filter(staff__is_active=True)
    return set(memberships.values_list("staff_id", flat=True))
