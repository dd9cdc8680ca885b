"""Which database errors mean "busy, try again" (503 with Retry-After) and which stay server errors."""

from __future__ import annotations

import psycopg.errors
import pytest
from django.db import OperationalError

from kiban.core.busy import is_busy


def _as_django(cause: Exception) -> OperationalError:
    # Django re-raises a driver error as its own class with the driver's error as the cause.
    try:
        raise OperationalError(str(cause)) from cause
    except OperationalError as wrapped:
        return wrapped


@pytest.mark.parametrize(
    "cause",
    [
        psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"),
        psycopg.errors.SerializationFailure("could not serialize access due to concurrent update"),
        psycopg.errors.DeadlockDetected("deadlock detected"),
        psycopg.errors.QueryCanceled("canceling statement due to statement timeout"),
    ],
)
def test_postgresql_lock_timeouts_and_serialization_failures_are_busy(cause):
    assert is_busy(_as_django(cause)) is True


def test_sqlite_locked_is_busy_and_other_database_errors_are_not():
    assert is_busy(OperationalError("database is locked")) is True
    assert is_busy(OperationalError("no such table: chat_message")) is False
    assert is_busy(_as_django(psycopg.errors.UndefinedTable("relation does not exist"))) is False
    assert is_busy(ValueError("database is locked")) is False
