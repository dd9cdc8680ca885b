"""Telling people about surveys and inquiries, and reminding those who have not answered."""

from __future__ import annotations

import datetime as dt

from kiban.blobs import store
from kiban.core.jobs import job
from kiban.notifications.actions import notify
from kiban.org.models import Membership
from kiban.surveys.models import Inquiry, InquiryFile, InquiryTarget, Recipient, Survey

REMIND_BEFORE = dt.timedelta(hours=24)


@job(retries=5)
def announce_survey(survey_id: int) -> int:
    from django.utils.translation import gettext as _

    survey = Survey.objects.select_related("author").get(pk=survey_id)
    ids = list(Recipient.objects.filter(survey=survey).values_list("staff_id", flat=True))
    notify(
        ids, kind="surveys.new", title=_("アンケート「%(title)s」への回答をお願いします") % {"title": survey.title},
        url=f"/surveys/{survey.pk}/", actor=survey.author,
    )  # fmt: skip
    return len(ids)


@job(retries=5)
def remind_survey(survey_id: int) -> int:
    from django.utils.translation import gettext as _

    survey = Survey.objects.get(pk=survey_id)
    ids = list(Recipient.objects.filter(survey=survey, answered=False).values_list("staff_id", flat=True))
    notify(
        ids, kind="surveys.reminder", title=_("【督促】アンケート「%(title)s」に未回答です") % {"title": survey.title},
        url=f"/surveys/{survey.pk}/",
    )  # fmt: skip
    return len(ids)


@job(retries=5)
def announce_inquiry(inquiry_id: int, department_ids: list[int] | None = None, reminder: bool = False) -> int:
    from django.utils.translation import gettext as _

    inquiry = Inquiry.objects.select_related("sender").get(pk=inquiry_id)
    if department_ids is None:
        pending = InquiryTarget.objects.filter(inquiry=inquiry).exclude(state=InquiryTarget.State.ANSWERED)
        department_ids = list(pending.values_list("department_id", flat=True))
    ids = list(
        Membership.objects.filter(department_id__in=department_ids, staff__is_active=True)
        .values_list("staff_id", flat=True)
        .distinct()
    )
    title = (
        _("【督促】照会「%(title)s」に未回答です") if reminder else _("照会「%(title)s」が届きました")
    ) % {"title": inquiry.title}
    notify(ids, kind="inquiries.reminder" if reminder else "inquiries.new", title=title,
           url=f"/inquiries/{inquiry.pk}/", actor=None if reminder else inquiry.sender)  # fmt: skip
    return len(ids)


@job(retries=3, every=dt.timedelta(hours=1))
def remind_before_deadlines() -> dict[str, int]:
    """A day before a deadline, remind whoever has not answered — once per survey or inquiry (claimed by
    a conditional update, so two workers never both send it)."""
    from django.utils import timezone

    now = timezone.now()
    sent = {"surveys": 0, "inquiries": 0}
    due = Survey.objects.filter(
        closed_at__isnull=True, reminded_at__isnull=True, deadline__gt=now, deadline__lte=now + REMIND_BEFORE
    )
    for survey_id in due.values_list("pk", flat=True):
        if Survey.objects.filter(pk=survey_id, reminded_at__isnull=True).update(reminded_at=now):
            remind_survey.func(survey_id)
            sent["surveys"] += 1
    due = Inquiry.objects.filter(
        closed_at__isnull=True, reminded_at__isnull=True, deadline__gt=now, deadline__lte=now + REMIND_BEFORE
    )
    for inquiry_id in due.values_list("pk", flat=True):
        if Inquiry.objects.filter(pk=inquiry_id, reminded_at__isnull=True).update(reminded_at=now):
            announce_inquiry.func(inquiry_id, None, True)
            sent["inquiries"] += 1
    return sent


@job(retries=3, every=dt.timedelta(hours=6))
def prune_unbound_inquiry_files() -> int:
    """Files uploaded for an inquiry or answer never sent (a closed tab) go after a day."""
    from django.db import transaction
    from django.utils import timezone

    old = InquiryFile.objects.filter(
        inquiry__isnull=True, target__isnull=True, created_at__lt=timezone.now() - dt.timedelta(days=1)
    )
    blob_ids = list(old.values_list("blob_id", flat=True))
    with transaction.atomic():
        count, _ = old.delete()
        transaction.on_commit(lambda: store.release(blob_ids))
    return count
