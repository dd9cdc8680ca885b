"""Helpers for tests of any app (not imported by application code)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from django.db import connections


def run_at_once(targets: Sequence[Callable[[], object]]) -> list[BaseException]:
    """Run each callable in its own thread, all released together by a barrier, each with its own database
    connection (closed at the end); returns the exceptions raised, for the test to assert on. What a
    concurrency test needs to prove that the database, not luck, keeps the rule."""
    barrier = threading.Barrier(len(targets))
    errors: list[BaseException] = []

    def run(fn):
        try:
            barrier.wait(timeout=30)
            fn()
        except BaseException as exc:  # noqa: BLE001  (reported by the test)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors
