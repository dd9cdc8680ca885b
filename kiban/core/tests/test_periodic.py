from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kiban.accounts.jobs import prune_security_records
from kiban.accounts.models import LoginFailure
from kiban.core.jobs import PERIODIC, run_pending_jobs, schedule_periodic_jobs

pytestmark = pytest.mark.django_db


def _rows():
    return DBTaskResult.objects.filter(task_path=prune_security_records.module_path)


def test_a_starting_worker_books_each_repeating_job_once():
    assert prune_security_records.module_path in PERIODIC
    booked = schedule_periodic_jobs()
    assert booked == len(PERIODIC)
    assert schedule_periodic_jobs() == 0  # already waiting: not booked twice
    assert _rows().filter(status="READY").count() == 1


def test_a_repeating_job_books_its_next_run_when_it_runs():
    old = LoginFailure.objects.create(username="someone", at=timezone.now() - dt.timedelta(days=3))
    schedule_periodic_jobs()
    before = timezone.now()
    run_pending_jobs()
    assert not LoginFailure.objects.filter(pk=old.pk).exists()
    assert _rows().filter(status="SUCCESSFUL").count() == 1
    upcoming = _rows().get(status="READY")
    assert upcoming.run_after >= before + dt.timedelta(days=1) - dt.timedelta(seconds=5)
    # Not due yet: a worker run now leaves it waiting.
    run_pending_jobs()
    assert _rows().filter(status="READY").count() == 1
