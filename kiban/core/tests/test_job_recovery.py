from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kiban.core.jobs import ATTEMPT_KWARG, queue_housekeeping, recover_abandoned_jobs, run_pending_jobs
from kiban.core.models import OutgoingEmail

pytestmark = pytest.mark.django_db


def _claim_as_dead_worker(row_id, started_minutes_ago: int) -> None:
    DBTaskResult.objects.filter(pk=row_id).update(
        status="RUNNING",
        started_at=timezone.now() - dt.timedelta(minutes=started_minutes_ago),
        worker_ids=["worker-that-died"],
    )


def test_a_job_whose_worker_died_runs_again_as_its_next_attempt(settings):
    from kiban.core.mail import deliver_email

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    email = OutgoingEmail.objects.create(
        to=["a@example.jp"], subject="件名", body="本文", message_id="<x@kiban>"
    )
    result = deliver_email.enqueue(email.pk)
    _claim_as_dead_worker(result.id, started_minutes_ago=45)

    assert recover_abandoned_jobs() == 1

    lost = DBTaskResult.objects.get(pk=result.id)
    assert lost.status == "FAILED"
    assert lost.exception_class_path == "kiban.core.jobs.WorkerLost"
    retry = DBTaskResult.objects.get(status="READY", task_path=deliver_email.module_path)
    assert retry.args_kwargs == {"args": [email.pk], "kwargs": {ATTEMPT_KWARG: 2}}
    assert run_pending_jobs() == 1
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT


def test_a_job_still_within_its_time_is_left_running():
    result = queue_housekeeping.enqueue()
    _claim_as_dead_worker(result.id, started_minutes_ago=5)
    assert recover_abandoned_jobs() == 0
    assert DBTaskResult.objects.get(pk=result.id).status == "RUNNING"


def test_housekeeping_forgets_old_successful_rows_and_keeps_recent_ones():
    old = queue_housekeeping.enqueue()
    recent = queue_housekeeping.enqueue()
    DBTaskResult.objects.filter(pk=old.id).update(
        status="SUCCESSFUL", finished_at=timezone.now() - dt.timedelta(days=8)
    )
    DBTaskResult.objects.filter(pk=recent.id).update(
        status="SUCCESSFUL", finished_at=timezone.now() - dt.timedelta(days=1)
    )
    outcome = queue_housekeeping.call()
    assert outcome == {"recovered": 0, "pruned_successful": 1, "pruned_failed": 0}
    assert not DBTaskResult.objects.filter(pk=old.id).exists()
    assert DBTaskResult.objects.filter(pk=recent.id).exists()
