"""The background work queue: django-tasks with its database backend, plus retries with backoff.

Every module defines its slow or timed work with `@job` and schedules it with `enqueue_on_commit`
(never from inside an open transaction: a job must not run before the data it needs is committed).

django-tasks marks a task whose function raised as FAILED and never runs it again. `@job` adds what a
mature queue has: the failed attempt stays visible to IT administrators (a FAILED row with its traceback)
and a new attempt is enqueued with exponential backoff, up to `retries` times. The database backend claims
each row with SELECT … FOR UPDATE SKIP LOCKED (an exclusive transaction on SQLite), so several workers
never run the same attempt twice; a job that came due while nothing ran is simply READY at the next start.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import Task, task

logger = logging.getLogger(__name__)

ATTEMPT_KWARG = "_attempt"


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait before attempt `attempt + 1` after attempt `attempt` failed."""
    return min(cap, base * (2 ** (attempt - 1)))


def job(
    *, retries: int = 5, backoff: float = 30.0, max_backoff: float = 3600.0, queue_name: str = "default"
) -> Callable[[Callable[..., Any]], Task]:
    def decorate(func: Callable[..., Any]) -> Task:
        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            attempt = int(kwargs.pop(ATTEMPT_KWARG, 1))
            try:
                return func(*args, **kwargs)
            except Exception:
                if attempt <= retries:
                    delay = backoff_delay(attempt, backoff, max_backoff)
                    logger.warning(
                        "job %s attempt %d failed; retrying in %.0f s", func.__qualname__, attempt, delay
                    )
                    wrapped.using(run_after=timezone.now() + dt.timedelta(seconds=delay)).enqueue(
                        *args, **{**kwargs, ATTEMPT_KWARG: attempt + 1}
                    )
                else:
                    logger.error("job %s failed after %d attempts", func.__qualname__, attempt)
                raise

        wrapped = task(queue_name=queue_name)(run)
        return wrapped

    return decorate


def enqueue_on_commit(
    job_task: Task, *args: Any, run_after: dt.datetime | None = None, **kwargs: Any
) -> None:
    """Schedule `job_task` once the current transaction commits (at once outside a transaction)."""

    def _enqueue() -> None:
        t = job_task.using(run_after=run_after) if run_after else job_task
        t.enqueue(*args, **kwargs)

    transaction.on_commit(_enqueue)


class WorkerThread(threading.Thread):
    """The worker inside `kiban serve` (embedded mode): the same loop as `kiban worker`, in a thread."""

    def __init__(self, interval: float = 1.0) -> None:
        super().__init__(name="kiban-worker", daemon=True)
        from django.utils.crypto import get_random_string
        from django_tasks_db.management.commands.db_worker import Worker

        self.worker = Worker(
            queue_names=["*"],
            interval=interval,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=f"serve-{get_random_string(12)}",
            excluded_queue_names=[],
        )

    def run(self) -> None:
        try:
            self.worker.run()
        except Exception:  # a crashed worker must not take the web server down silently
            logger.exception("background worker stopped")

    def stop(self) -> None:
        self.worker.running = False


def run_pending_jobs(max_tasks: int | None = None) -> int:
    """Run every job that is due now, in this thread, then return how many ran (tests, `kiban worker --batch`)."""
    from django.utils.crypto import get_random_string
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=f"batch-{get_random_string(12)}",
        excluded_queue_names=[],
    )
    worker.run()
    return worker._run_tasks
