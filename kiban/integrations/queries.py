"""Reads of the integrations module: the systems list for administrators and one person's counts."""

from __future__ import annotations

from django.db.models import Count

from kiban.integrations.models import SCOPE_APPROVAL_COUNTS, ApprovalCount, ExternalSystem


def systems_with_counts() -> list[tuple[ExternalSystem, int]]:
    rows = ExternalSystem.objects.annotate(people=Count("approval_counts")).order_by("label", "id")
    return [(system, system.people) for system in rows]


def approval_counts_of(user) -> list[tuple[ExternalSystem, int]]:
    """Each enabled system that takes approval counts, with the person's count (0 when none was pushed).
    Two queries: the systems (a handful) and the person's rows through the (staff, system) index."""
    systems = [
        s
        for s in ExternalSystem.objects.filter(enabled=True).order_by("label", "id")
        if s.has_scope(SCOPE_APPROVAL_COUNTS)
    ]
    if not systems:
        return []
    counts = dict(ApprovalCount.objects.filter(staff_id=user.pk).values_list("system_id", "pending"))
    return [(s, counts.get(s.pk, 0)) for s in systems]
