"""Telling people about a safety check (in-app and by email), reminding those who have not answered, and
the throttled live update of the dashboards. All run off the request path."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kiban.accounts.models import Staff
from kiban.core.jobs import job
from kiban.core.mail import send_mail
from kiban.notifications.actions import notify
from kiban.realtime import publish
from kiban.safety import queries
from kiban.safety.events import SafetyProgress
from kiban.safety.models import SafetyCheck, Target


def _mail_and_notify(check: SafetyCheck, staff_ids: list[int], *, reminder: bool) -> int:
    from django.utils.translation import gettext as _

    url = f"/safety/{check.pk}/"
    if reminder:
        title = _("【督促】安否確認「%(title)s」に回答してください") % {"title": check.title}
    else:
        title = _("【安否確認】%(title)s：安否を回答してください") % {"title": check.title}
    notify(staff_ids, kind="safety.reminder" if reminder else "safety.check", title=title,
           body=check.message[:500], url=url, actor=None if reminder else check.started_by)  # fmt: skip
    link = settings.BASE_URL.rstrip("/") + url
    body = "\n\n".join(
        part
        for part in (
            check.message,
            _("次のページで、無事・軽傷・重傷と出勤できるかを回答してください（2回のタップで済みます）。"),
            link,
        )
        if part
    )
    emails = 0
    for address in (
        Staff.objects.filter(pk__in=staff_ids, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    ):
        send_mail([address], title, body)
        emails += 1
    return emails


@job(retries=5)
def announce_check(check_id: int) -> int:
    """Notify everyone asked and email those with an address. Claimed once (a retry after a crash sends
    nothing twice: the claim, the notifications' job row and the emails commit together)."""
    with transaction.atomic():
        if not SafetyCheck.objects.filter(pk=check_id, announced_at__isnull=True).update(
            announced_at=timezone.now()
        ):
            return 0
        check = SafetyCheck.objects.select_related("started_by").get(pk=check_id)
        ids = list(Target.objects.filter(safety_check=check).values_list("staff_id", flat=True))
        return _mail_and_notify(check, ids, reminder=False)


@job(retries=5)
def remind_check(check_id: int, department_ids: list[int] | None = None) -> int:
    """Remind whoever has not answered yet (in `department_ids` when given: a section head's reminder)."""
    with transaction.atomic():
        check = SafetyCheck.objects.select_related("started_by").get(pk=check_id)
        if not check.is_open:
            return 0
        pending = Target.objects.filter(safety_check=check, status="")
        if department_ids is not None:
            pending = pending.filter(department_id__in=department_ids)
        ids = list(pending.values_list("staff_id", flat=True))
        return _mail_and_notify(check, ids, reminder=True)


@job(retries=3, backoff=2.0, max_backoff=30.0)
def push_progress(check_id: int) -> int:
    """One `safety.progress` to the dashboard viewers. Clears `progress_due` first, so an answer committed
    after this point schedules the next update: the last answers of a burst are never left unshown."""
    with transaction.atomic():
        SafetyCheck.objects.filter(pk=check_id).update(progress_due=None)
        check = SafetyCheck.objects.filter(pk=check_id).first()
        if check is None:
            return 0
        viewers = queries.dashboard_viewer_ids(check)
        publish(viewers, SafetyProgress(check=check.pk, open=check.is_open))
    return len(viewers)
