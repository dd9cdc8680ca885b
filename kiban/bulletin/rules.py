"""Who may do what on the bulletin board (one place for actions, queries, the API and pages).

- Anyone signed in reads the posts addressed to them (all staff, or one of their sections or a department
  above one of them — 本務 and 兼務), between `publish_at` and `expires_at`.
- A category's editors post in it and see all its posts, scheduled and expired ones included: the owning
  department's members, the people named as editors, and IT administrators.
- A category is managed (renamed, editors named, deleted when empty) by the owning department's heads
  (所属長, the section administrators) and by IT administrators. A category without a department is the
  IT administrators'.
- A post is edited, deleted and its readers seen by its author and the category's editors.
"""

from __future__ import annotations

from kiban.bulletin.models import Category, Post
from kiban.core.permissions import is_it_admin
from kiban.org.models import Department, Membership


def is_head_of(user, department_id: int | None) -> bool:
    if department_id is None or not getattr(user, "is_authenticated", False):
        return False
    return Membership.objects.filter(staff=user, department_id=department_id, is_head=True).exists()


def can_manage_category(user, category: Category) -> bool:
    return is_it_admin(user) or is_head_of(user, category.department_id)


def can_create_category(user, department_id: int | None) -> bool:
    return is_it_admin(user) or is_head_of(user, department_id)


def editable_category_ids(user) -> set[int] | None:
    """Ids of the categories the person may post in; None means every category (an IT administrator)."""
    if is_it_admin(user):
        return None
    sections = Membership.objects.filter(staff=user).values("department_id")
    by_department = Category.objects.filter(department_id__in=sections).values_list("pk", flat=True)
    named = Category.editors.through.objects.filter(staff_id=user.pk).values_list("category_id", flat=True)
    return set(by_department) | set(named)


def can_post(user, category: Category) -> bool:
    editable = editable_category_ids(user)
    return editable is None or category.pk in editable


def can_edit_post(user, post: Post) -> bool:
    return post.author_id == user.pk or can_post(user, post.category)


def reader_scope(user) -> set[int]:
    """The departments whose posts reach the person: their sections (本務 and 兼務) and every department
    above each. Two small queries (the department table is read whole: a few hundred rows)."""
    sections = set(Membership.objects.filter(staff=user).values_list("department_id", flat=True))
    if not sections:
        return set()
    parents = dict(Department.objects.values_list("pk", "parent_id"))
    scope: set[int] = set()
    for department_id in sections:
        current: int | None = department_id
        while current is not None and current not in scope:
            scope.add(current)
            current = parents.get(current)
    return scope
