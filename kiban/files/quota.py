"""Per-section quotas, enforced by the database.

Usage is one counter row per section, changed only by a conditional UPDATE (`used + n <= limit`): two
uploads racing for the last free bytes cannot both pass, whichever engine. Which section pays: a section's
folder charges that section; a personal or conversation folder charges the uploader's primary section
(本務). The charge is recorded on the version, so purging it gives back exactly what was taken.
"""

from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext as _

from kiban.files.models import Folder, Scope, SectionQuota, SectionUsage
from kiban.org.models import Membership


class QuotaExceeded(Exception):
    def __init__(self, department_id: int, limit: int, used: int) -> None:
        super().__init__(department_id)
        self.department_id, self.limit, self.used = department_id, limit, used

    @property
    def detail(self) -> str:
        mib = 1024 * 1024
        return _("file: 所属の容量上限（%(limit)d MB）を超えます（使用中 %(used)d MB）。") % {
            "limit": self.limit // mib,
            "used": self.used // mib,
        }


def charged_department(root: Folder, uploader) -> int | None:
    if root.scope == Scope.DEPARTMENT:
        return root.department_id

    return (
        Membership.objects.filter(staff_id=uploader.pk, is_primary=True)
        .values_list("department_id", flat=True)
        .first()
    )


def limit_for(department_id: int) -> int | None:
    rows = dict(
        SectionQuota.objects.filter(department_id__in=[department_id]).values_list(
            "department_id", "limit_bytes"
        )
    )
    if department_id in rows:
        return rows[department_id]
    return SectionQuota.objects.filter(department__isnull=True).values_list("limit_bytes", flat=True).first()


def used_by(department_id: int) -> int:
    return (
        SectionUsage.objects.filter(department_id=department_id).values_list("used_bytes", flat=True).first()
        or 0
    )


def check(department_id: int | None, size: int) -> None:
    """An early, non-binding check (before a long upload starts); `charge` decides."""
    if department_id is None:
        return
    limit = limit_for(department_id)
    used = used_by(department_id)
    if limit is not None and used + size > limit:
        raise QuotaExceeded(department_id, limit, used)


def charge(department_id: int | None, size: int) -> None:
    """Take `size` bytes of the section's quota, inside the caller's transaction, or raise QuotaExceeded."""
    if department_id is None or size == 0:
        return
    SectionUsage.objects.bulk_create([SectionUsage(department_id=department_id)], ignore_conflicts=True)
    limit = limit_for(department_id)
    rows = SectionUsage.objects.filter(department_id=department_id)
    if limit is not None:
        rows = rows.filter(used_bytes__lte=limit - size)
    if rows.update(used_bytes=F("used_bytes") + size) != 1:
        raise QuotaExceeded(department_id, limit or 0, used_by(department_id))


def give_back(department_id: int | None, size: int) -> None:
    if department_id is None or size == 0:
        return
    SectionUsage.objects.filter(department_id=department_id).update(used_bytes=F("used_bytes") - size)
