"""The background queue: retries with backoff, exactly-once under several workers, catching up after downtime.

Side effects are rows of django.contrib.auth's Group (a table every install has), named after the job and the
run, so "ran exactly once" is a count in the database, seen from any thread.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

import pytest
from django.contrib.auth.models import Group
from django.db import connections
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kiban.core.jobs import WorkerThread, backoff_delay, enqueue_on_commit, job, run_pending_jobs


@job(retries=5, backoff=10, max_backoff=1000)
def flaky(key: str) -> str:
    attempts = Group.objects.filter(name__startswith=f"attempt-{key}-").count() + 1
    Group.objects.create(name=f"attempt-{key}-{attempts}")
    if attempts < 3:
        raise ConnectionError(f"attempt {attempts} of {key} fails")
    Group.objects.create(name=f"done-{key}-{uuid.uuid4().hex[:8]}")
    return f"done after {attempts}"


@job(retries=1, backoff=10)
def always_fails(key: str) -> None:
    Group.objects.create(name=f"fail-{key}-{uuid.uuid4().hex[:8]}")
    raise RuntimeError("broken for good")


@job()
def once(key: str) -> str:
    Group.objects.create(name=f"once-{key}-{uuid.uuid4().hex[:8]}")
    return key


def _time_passes() -> None:
    """Every waiting retry becomes due, as if its backoff had elapsed."""
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now() - dt.timedelta(seconds=1))


def test_backoff_doubles_and_is_capped():
    assert [backoff_delay(n, 30, 1800) for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1800, 1800]


def test_job_failing_twice_then_succeeding_completes_once_with_failed_attempts_kept(db):
    flaky.enqueue("k1")

    assert run_pending_jobs() == 1
    # The retry waits for its backoff: a worker running now does nothing.
    assert run_pending_jobs() == 0
    _time_passes()
    assert run_pending_jobs() == 1
    _time_passes()
    assert run_pending_jobs() == 1
    _time_passes()
    assert run_pending_jobs() == 0

    rows = list(DBTaskResult.objects.order_by("enqueued_at"))
    assert [r.status for r in rows] == ["FAILED", "FAILED", "SUCCESSFUL"]
    assert [r.args_kwargs["kwargs"].get("_attempt", 1) for r in rows] == [1, 2, 3]
    assert "ConnectionError: attempt 1 of k1 fails" in rows[0].traceback
    assert rows[0].exception_class_path == "builtins.ConnectionError"
    assert rows[2].return_value == "done after 3"
    assert Group.objects.filter(name__startswith="done-k1-").count() == 1
    assert Group.objects.filter(name__startswith="attempt-k1-").count() == 3


def test_retry_is_scheduled_after_the_backoff_delay(db):
    flaky.enqueue("k2")
    run_pending_jobs()
    retry = DBTaskResult.objects.get(status="READY")
    # run_after is computed just before the row is inserted, so it trails enqueued_at by the delay (10 s)
    # minus the insert itself.
    assert dt.timedelta(seconds=9) < retry.run_after - retry.enqueued_at <= dt.timedelta(seconds=10)
    _time_passes()
    run_pending_jobs()
    retry = DBTaskResult.objects.get(status="READY")
    assert dt.timedelta(seconds=19) < retry.run_after - retry.enqueued_at <= dt.timedelta(seconds=20)


def test_job_gives_up_after_its_retries_and_stays_failed(db):
    always_fails.enqueue("k3")
    run_pending_jobs()
    _time_passes()
    run_pending_jobs()
    _time_passes()
    assert run_pending_jobs() == 0
    assert list(DBTaskResult.objects.values_list("status", flat=True)) == ["FAILED", "FAILED"]
    assert Group.objects.filter(name__startswith="fail-k3-").count() == 2


def test_enqueue_on_commit_waits_for_the_transaction(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enqueue_on_commit(once, "k4")
        assert DBTaskResult.objects.count() == 0
    assert len(callbacks) == 1
    callbacks[0]()
    assert DBTaskResult.objects.get().task_path == "kiban.core.tests.test_jobs.once"


def _worker_thread(results: list[int], barrier: threading.Barrier) -> None:
    try:
        barrier.wait()
        results.append(run_pending_jobs())
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_several_workers_on_one_queue_run_each_job_exactly_once():
    for i in range(40):
        once.enqueue(f"j{i}")
    results: list[int] = []
    barrier = threading.Barrier(4)
    threads = [threading.Thread(target=_worker_thread, args=(results, barrier)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)

    assert sum(results) == 40
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 40
    for i in range(40):
        assert Group.objects.filter(name__startswith=f"once-j{i}-").count() == 1
    assert Group.objects.count() == 40


@pytest.mark.django_db(transaction=True)
def test_job_that_came_due_while_no_worker_ran_runs_at_the_next_start():
    overdue = once.using(run_after=timezone.now() - dt.timedelta(days=1)).enqueue("overdue")
    future = once.using(run_after=timezone.now() + dt.timedelta(days=1)).enqueue("future")

    worker = WorkerThread(interval=0.05)
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if DBTaskResult.objects.filter(pk=overdue.id, status="SUCCESSFUL").exists():
                break
            time.sleep(0.05)
    finally:
        worker.stop()

    assert not worker.is_alive()
    assert DBTaskResult.objects.get(pk=overdue.id).status == "SUCCESSFUL"
    assert DBTaskResult.objects.get(pk=future.id).status == "READY"
    assert Group.objects.filter(name__startswith="once-overdue-").count() == 1
    assert Group.objects.filter(name__startswith="once-future-").count() == 0
