"""Reads other modules call: what a person still has to answer (the portal shows it)."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from kiban.org.models import Membership
from kiban.surveys.models import Inquiry, InquiryTarget, Survey


def surveys_to_answer(user, *, limit: int = 20) -> list[Survey]:
    """Open surveys asking the person that they have not answered, nearest deadline first."""
    now = timezone.now()
    return list(
        Survey.objects.filter(
            recipients__staff_id=user.pk, recipients__answered=False, closed_at__isnull=True
        )
        .filter(Q(deadline__isnull=True) | Q(deadline__gt=now))
        .order_by("deadline", "-created_at")[:limit]
    )


def inquiries_to_answer(user, *, limit: int = 20) -> list[Inquiry]:
    """Open inquiries addressed to one of the person's sections that the section has not answered (or was
    sent back), nearest deadline first."""

    sections = Membership.objects.filter(staff_id=user.pk).values("department_id")
    pending = InquiryTarget.objects.filter(department_id__in=sections).exclude(
        state=InquiryTarget.State.ANSWERED
    )
    return list(
        Inquiry.objects.filter(closed_at__isnull=True, pk__in=pending.values("inquiry_id")).order_by(
            "deadline", "-created_at"
        )[:limit]
    )
