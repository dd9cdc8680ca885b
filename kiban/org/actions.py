"""Access to organisation objects. The directory is readable by every signed-in person; retired staff
and retired departments are visible to IT administrators only (others get 404, as for anything absent)."""

from __future__ import annotations

from django.http import Http404

from kiban.accounts.models import Staff
from kiban.core.permissions import is_it_admin
from kiban.org.models import Department
from kiban.org.queries import staff_with_departments


def can_see_retired(user) -> bool:
    return is_it_admin(user)


def access_staff(user, username: str) -> Staff:
    """The person with this 職員番号, memberships loaded. Http404 when unknown, or retired and the
    viewer is not an IT administrator."""
    found = staff_with_departments(Staff.objects.filter(username=username))
    person = found[0] if found else None
    if person is None or (not person.is_active and not can_see_retired(user)):
        raise Http404("staff not found")
    return person


def access_department(user, department_id: int) -> Department:
    department = Department.objects.select_related("parent").filter(pk=department_id).first()
    if department is None or (not department.is_active and not can_see_retired(user)):
        raise Http404("department not found")
    return department
