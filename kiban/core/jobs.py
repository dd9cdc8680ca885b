"""The background work queue: django-tasks with its database backend, plus retries with backoff.

Every module defines its slow or timed work with `@job` and schedules it with `enqueue_on_commit`
(never from inside an open transaction: a job must not run before the data it needs is committed).

django-tasks marks a task whose function raised as FAILED and never runs it again. `@job` adds what a
mature queue has: the failed attempt stays visible to IT administrators (a FAILED row with its traceback,
listed at /manage/jobs) and a new attempt is enqueued with exponential backoff, up to `retries` times. The
database backend claims each row with SELECT … FOR UPDATE SKIP LOCKED (an exclusive transaction on SQLite),
so several workers never run the same attempt twice; a job that came due while nothing ran is simply READY
at the next start.

A worker killed in the middle of a job leaves its row RUNNING (django-tasks-db has no lease): it is neither
retried nor run again automatically, and /manage/jobs shows it. Jobs with an external side effect (mail)
claim their own work idempotently, so enqueueing one again is always safe.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

from django.db import connections, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import task
from django_tasks.base import Task

logger = logging.getLogger(__name__)

ATTEMPT_KWARG = "_attempt"
ALL_QUEUES = ["*"]


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait before attempt `attempt + 1` after attempt `attempt` failed: base, 2·base, 4·base …"""
    return min(cap, base * (2 ** (attempt - 1)))


# Jobs that repeat (housekeeping): task path → (task, interval). Filled by `@job(every=…)`.
PERIODIC: dict[str, tuple[Task, dt.timedelta]] = {}


def job(
    *,
    retries: int = 5,
    backoff: float = 30.0,
    max_backoff: float = 3600.0,
    queue_name: str = "default",
    every: dt.timedelta | None = None,
) -> Callable[[Callable[..., Any]], Task]:
    """Turn a module-level function into a background job that is retried `retries` times with backoff.

    The function receives JSON-serialisable arguments only. It must be safe to run again after it raised
    (the retry runs it from the start), so a job with an external effect claims its work first.
    With `every`, the job (which then takes no arguments) repeats: each run schedules the next one, and a
    starting worker schedules it when none is waiting (`schedule_periodic_jobs`).
    """

    def decorate(func: Callable[..., Any]) -> Task:
        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            attempt = int(kwargs.pop(ATTEMPT_KWARG, 1))
            if every is not None and attempt == 1:
                _schedule_next(wrapped, every)
            try:
                return func(*args, **kwargs)
            except Exception:
                if attempt <= retries:
                    delay = backoff_delay(attempt, backoff, max_backoff)
                    logger.warning(
                        "job %s attempt %d failed; retrying in %.0f s",
                        func.__qualname__,
                        attempt,
                        delay,
                        exc_info=True,
                    )
                    # Enqueued before the worker marks this attempt FAILED: if the process dies in between,
                    # the retry exists already, and the attempt row stays visible as RUNNING.
                    wrapped.using(run_after=timezone.now() + dt.timedelta(seconds=delay)).enqueue(
                        *args, **{**kwargs, ATTEMPT_KWARG: attempt + 1}
                    )
                else:
                    logger.error("job %s failed after %d attempts; giving up", func.__qualname__, attempt)
                raise

        wrapped = task(queue_name=queue_name)(run)
        if every is not None:
            PERIODIC[wrapped.module_path] = (wrapped, every)
        return wrapped

    return decorate


def _waiting(job_task: Task, *, exclude_running: bool = False) -> bool:
    from django_tasks_db.models import DBTaskResult

    statuses = ["READY"] if exclude_running else ["READY", "RUNNING"]
    return DBTaskResult.objects.filter(task_path=job_task.module_path, status__in=statuses).exists()


def _schedule_next(job_task: Task, every: dt.timedelta) -> None:
    # The running row is RUNNING, so only a READY one means the next run is already booked.
    if not _waiting(job_task, exclude_running=True):
        job_task.using(run_after=timezone.now() + every).enqueue()


def schedule_periodic_jobs() -> int:
    """Book every repeating job that has no run waiting (at worker start). Returns how many were booked.

    Two workers starting at once may both book one; the jobs are housekeeping and idempotent, and the
    next run books only when nothing is waiting, so the extra booking does not multiply."""
    import importlib

    # The registry fills as modules are imported; import each app's jobs module so it is complete.
    from django.apps import apps

    for app in apps.get_app_configs():
        if app.name.startswith("kiban."):
            try:
                importlib.import_module(f"{app.name}.jobs")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app.name}.jobs":
                    raise
    booked = 0
    for job_task, _every in PERIODIC.values():
        if not _waiting(job_task):
            job_task.enqueue()
            booked += 1
    return booked


def enqueue_on_commit(
    job_task: Task, *args: Any, run_after: dt.datetime | None = None, **kwargs: Any
) -> None:
    """Schedule `job_task` once the current transaction commits (at once outside a transaction)."""

    def _enqueue() -> None:
        t = job_task.using(run_after=run_after) if run_after else job_task
        t.enqueue(*args, **kwargs)

    transaction.on_commit(_enqueue)


def make_worker(
    *, interval: float = 1.0, batch: bool = False, max_tasks: int | None = None, name: str = "worker"
):
    """django-tasks-db's worker loop over every queue (its own command defaults to the `default` queue only,
    which would silently leave mail undelivered)."""
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=ALL_QUEUES,
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=f"{name}-{get_random_string(12)}",
        excluded_queue_names=[],
    )


class WorkerThread(threading.Thread):
    """The worker inside `kiban serve` (embedded mode): the same loop as `kiban worker`, in a thread with its
    own database connection."""

    def __init__(self, interval: float = 1.0) -> None:
        super().__init__(name="kiban-worker", daemon=True)
        self.worker = make_worker(interval=interval, name="serve")

    def run(self) -> None:
        try:
            schedule_periodic_jobs()
            self.worker.run()
        except Exception:  # a crashed worker must not take the web server down silently
            logger.exception("background worker stopped")
        finally:
            connections.close_all()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Let the job that is running finish, then end the loop (at most `interval` seconds of waiting)."""
        self.worker.running = False
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)


def run_pending_jobs(max_tasks: int | None = None) -> int:
    """Run every job that is due now, in this thread, then return how many ran.

    The same claim (locked row, exclusive transaction on SQLite) and the same `run_task` as the worker loop,
    but without its `close_old_connections()`, which would close a connection the caller holds a
    transaction on (a test, or a management command inside `atomic`)."""
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    worker = make_worker(interval=0, batch=True, name="batch")
    ran = 0
    while max_tasks is None or ran < max_tasks:
        due = DBTaskResult.objects.ready().filter(backend_name=worker.backend_name)
        with exclusive_transaction(due.db):
            row = due.get_locked()
            if row is not None:
                row.claim(worker.worker_id)
        if row is None:
            break
        worker.run_task(row)
        ran += 1
    return ran


def jobs_needing_attention(limit: int = 100) -> dict[str, list]:
    """For /manage/jobs: failed attempts (newest first), and what is waiting or running (oldest first)."""
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.defer("return_value")
    return {
        "failed": list(rows.filter(status="FAILED").order_by("-finished_at")[:limit]),
        "running": list(rows.filter(status="RUNNING").order_by("started_at")[:limit]),
        "waiting": list(rows.filter(status="READY").order_by("run_after", "enqueued_at")[:limit]),
    }


def attempt_of(row: Any) -> int:
    """Which attempt of its job a task row is (1 for the first run)."""
    return int(row.args_kwargs.get("kwargs", {}).get(ATTEMPT_KWARG, 1))


# A job whose worker died (process killed, machine lost) stays RUNNING: django-tasks-db has no lease.
# No Kiban job runs anywhere near this long, so a RUNNING row older than this has lost its worker.
ABANDONED_AFTER = dt.timedelta(minutes=30)
KEEP_SUCCESSFUL = dt.timedelta(days=7)
KEEP_FAILED = dt.timedelta(days=90)


class WorkerLost(Exception):
    """Recorded on a job row whose worker stopped while running it."""


def recover_abandoned_jobs(older_than: dt.timedelta = ABANDONED_AFTER) -> int:
    """Mark RUNNING rows older than `older_than` as FAILED (WorkerLost) and run each again as its next
    attempt. Jobs are written to be safe to run again (see `job`). Returns how many were recovered."""
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    recovered = 0
    for row in DBTaskResult.objects.filter(status="RUNNING", started_at__lt=now - older_than):
        # Conditional: of two workers recovering at once, one wins; a row that just finished is left alone.
        lost = DBTaskResult.objects.filter(pk=row.pk, status="RUNNING").update(
            status="FAILED",
            finished_at=now,
            exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
            traceback=f"WorkerLost: the worker {row.worker_ids[-1] if row.worker_ids else '?'} stopped while "
            f"running this job (RUNNING since {row.started_at:%Y-%m-%d %H:%M:%S %Z}).",
        )
        if not lost:
            continue
        try:
            job_task = row.task
        except (ImportError, AttributeError):
            logger.error("abandoned job %s: task %s no longer exists", row.pk, row.task_path)
            continue
        kwargs = dict(row.args_kwargs.get("kwargs", {}))
        kwargs[ATTEMPT_KWARG] = int(kwargs.get(ATTEMPT_KWARG, 1)) + 1
        job_task.using(queue_name=row.queue_name).enqueue(*row.args_kwargs.get("args", []), **kwargs)
        logger.warning("job %s (%s) lost its worker; running it again", row.pk, row.task_path)
        recovered += 1
    return recovered


@job(retries=2, every=dt.timedelta(minutes=15))
def queue_housekeeping() -> dict[str, int]:
    """Every 15 minutes: run again the jobs whose worker died, and forget old finished job rows."""
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    successful, _ = DBTaskResult.objects.filter(
        status="SUCCESSFUL", finished_at__lt=now - KEEP_SUCCESSFUL
    ).delete()
    failed, _ = DBTaskResult.objects.filter(status="FAILED", finished_at__lt=now - KEEP_FAILED).delete()
    return {"recovered": recover_abandoned_jobs(), "pruned_successful": successful, "pruned_failed": failed}
