"""Reshuffles (人事異動): an HR import validated now, stored, and applied on its effective date.

The annual April 1 transfer is prepared weeks ahead. `do_store_reshuffle` checks the file against today's
organisation (plus departments that earlier pending reshuffles will create), stores the parsed rows and the
preview, and schedules `apply_due_reshuffles` for 00:00 Asia/Tokyo of the effective date. The job applies
every pending reshuffle due by then, oldest date first, each re-validated against the organisation of that
day; one that no longer fits is marked FAILED with the errors, audited, and mailed to the IT administrators.
A job that came due while no worker ran is run at the next worker start (the queue keeps it READY).
"""

from __future__ import annotations

import datetime as dt
import os

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.accounts.models import Staff
from kiban.core.audit import record
from kiban.core.jobs import enqueue_on_commit, job
from kiban.core.mail import send_mail
from kiban.core.permissions import is_it_admin
from kiban.core.wareki import wareki
from kiban.org.importer import ImportFailed, apply_plan, build_plan, tokyo_midnight
from kiban.org.importer_parse import DEPARTMENTS, ParsedFile
from kiban.org.models import Reshuffle


def pending_department_codes(effective_date: dt.date) -> set[str]:
    """Codes of departments that pending reshuffles due on or before `effective_date` will create."""
    codes: set[str] = set()
    for payload in Reshuffle.objects.filter(
        status=Reshuffle.Status.PENDING, effective_date__lte=effective_date, payload__kind=DEPARTMENTS
    ).values_list("payload", flat=True):
        codes.update(row["code"] for row in payload["rows"])
    return codes


def do_store_reshuffle(
    parsed: ParsedFile,
    *,
    effective_date: dt.date,
    full: bool = False,
    actor: Staff | None = None,
    actor_username: str = "",
) -> Reshuffle:
    """Validate `parsed` now and store it to apply on `effective_date`. Raises ImportFailed (nothing stored)."""
    plan = build_plan(parsed, full=full, extra_department_codes=pending_department_codes(effective_date))
    with transaction.atomic():
        reshuffle = Reshuffle.objects.create(
            effective_date=effective_date,
            source_name=os.path.basename(parsed.source)[:255],
            full=full,
            payload=parsed.to_payload(),
            summary="\n".join(plan.preview_lines()),
            created_by=actor,
        )
        record(
            "org.reshuffle.create",
            actor=actor,
            actor_username=actor_username,
            target=reshuffle,
            effective_date=effective_date.isoformat(),
            full=full,
            **plan.counts(),
        )
        enqueue_on_commit(apply_due_reshuffles, run_after=tokyo_midnight(effective_date))
    return reshuffle


@job(retries=5, backoff=60)
def apply_due_reshuffles() -> str:
    """Apply every pending reshuffle whose date has come, in effective-date order."""
    due = list(
        Reshuffle.objects.filter(status=Reshuffle.Status.PENDING, effective_date__lte=timezone.localdate())
        .order_by("effective_date", "id")
        .values_list("pk", flat=True)
    )
    outcomes = [f"{pk}:{apply_reshuffle(pk)}" for pk in due]
    return " ".join(outcomes) or "nothing due"


def apply_reshuffle(reshuffle_id: int) -> str:
    """Apply one pending reshuffle now. Locks its row, so two workers cannot apply it twice.
    Returns `applied`, `failed` (the rows no longer fit the organisation) or `skipped` (not pending)."""
    with transaction.atomic():
        reshuffle = Reshuffle.objects.select_for_update().get(pk=reshuffle_id)
        if reshuffle.status != Reshuffle.Status.PENDING:
            return "skipped"
        parsed = ParsedFile.from_payload(reshuffle.source_name, reshuffle.payload)
        try:
            plan = build_plan(parsed, full=reshuffle.full)
        except ImportFailed as failure:
            reshuffle.status = Reshuffle.Status.FAILED
            reshuffle.error = str(failure)
            reshuffle.save(update_fields=["status", "error"])
            record(
                "org.reshuffle.fail",
                actor_username="system",
                target=reshuffle,
                errors=[str(e) for e in failure.errors[:100]],
            )
            _mail_failure(reshuffle)
            return "failed"
        counts = apply_plan(
            plan, actor_username="system", reshuffle_id=reshuffle.pk, effective_date=reshuffle.effective_date
        )
        reshuffle.status = Reshuffle.Status.APPLIED
        reshuffle.applied_at = timezone.now()
        # What was really applied on the day (the stored preview was computed weeks before).
        reshuffle.summary = "\n".join(plan.preview_lines())
        reshuffle.save(update_fields=["status", "applied_at", "summary"])
        record("org.reshuffle.apply", actor_username="system", target=reshuffle, **counts)
    return "applied"


def _mail_failure(reshuffle: Reshuffle) -> None:
    recipients = list(
        Staff.objects.filter(is_staff=True, is_active=True).exclude(email="").values_list("email", flat=True)
    )
    subject = _("人事異動の適用に失敗しました(%(date)s %(name)s)") % {
        "date": wareki(reshuffle.effective_date),
        "name": reshuffle.source_name,
    }
    body = _(
        "%(date)s 発令の人事異動 #%(id)d(%(name)s)は、現在の組織に合わないため適用しませんでした。\n"
        "何も変更していません。内容を直して取り込み直してください。\n\n%(errors)s\n"
    ) % {
        "date": wareki(reshuffle.effective_date),
        "id": reshuffle.pk,
        "name": reshuffle.source_name,
        "errors": reshuffle.error,
    }
    send_mail(recipients, subject, body)


# --- Administration -------------------------------------------------------------------------------------


def access_reshuffle(user, reshuffle_id: int) -> Reshuffle:
    """Only IT administrators see reshuffles; for anyone else they do not exist."""
    if not is_it_admin(user):
        raise Http404
    try:
        return Reshuffle.objects.get(pk=reshuffle_id)
    except Reshuffle.DoesNotExist:
        raise Http404 from None


def do_cancel_reshuffle(reshuffle: Reshuffle, *, actor: Staff, request=None) -> bool:
    """Cancel a pending reshuffle. Returns False when it was no longer pending (applied, failed or cancelled
    already); the conditional update makes a cancel racing the job's apply lose cleanly one way or the other."""
    with transaction.atomic():
        cancelled = Reshuffle.objects.filter(pk=reshuffle.pk, status=Reshuffle.Status.PENDING).update(
            status=Reshuffle.Status.CANCELLED, cancelled_by=actor
        )
        if cancelled:
            reshuffle.refresh_from_db()
            record(
                "org.reshuffle.cancel",
                actor=actor,
                request=request,
                target=reshuffle,
                effective_date=reshuffle.effective_date.isoformat(),
            )
    return bool(cancelled)


def listed_reshuffles() -> list[Reshuffle]:
    """Pending reshuffles first (by date), then the 20 most recent others."""
    pending = list(Reshuffle.objects.filter(status=Reshuffle.Status.PENDING).order_by("effective_date", "id"))
    others = list(
        Reshuffle.objects.exclude(status=Reshuffle.Status.PENDING).order_by("-effective_date", "-id")[:20]
    )
    return pending + others
