"""A busy database answers 503 with Retry-After, never 500.

SQLite allows one writer: a request that waits longer than the busy timeout for the write lock (a large
import in another process, a backup) fails with "database is locked". PostgreSQL refuses a transaction with
a lock timeout, a serialization failure or a deadlock. None of these is a fault of the request: the client
may simply try again, so the answer is 503 with `Retry-After` (JSON `{"detail"}` for the API, a short page
otherwise), and the transaction has been rolled back, so nothing was written.
"""

from __future__ import annotations

import logging
import sys

from django.core.signals import got_request_exception
from django.db import OperationalError
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
# SQLSTATEs of PostgreSQL meaning "try again": lock_not_available, serialization_failure,
# deadlock_detected, query_canceled (statement or lock timeout).
_PG_RETRY = {"55P03", "40001", "40P01", "57014"}
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")


def is_busy(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says the database was busy, not that the request was wrong."""
    seen = 0
    while exc is not None and seen < 5:
        if (getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)) in _PG_RETRY:
            return True
        if isinstance(exc, OperationalError) or type(exc).__name__ == "OperationalError":
            text = str(exc).lower()
            if any(marker in text for marker in _SQLITE_BUSY):
                return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def busy_response(request) -> HttpResponse:
    message = _("データベースが混み合っています。しばらくしてからもう一度お試しください。")
    logger.warning("database busy: %s %s answered 503", request.method, request.path)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=503)
    else:
        response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


_MARK = "_kiban_database_busy"


def _mark_busy(sender, request=None, **kwargs) -> None:
    # Sent by Django's handler inside its `except` block, so the exception is the one being handled. An
    # error raised by another middleware (a session or device-list write) never reaches ours as an
    # exception: Django turns it into a 500 response first, and this mark is how we know why.
    if request is not None and is_busy(sys.exc_info()[1]):
        setattr(request, _MARK, True)


got_request_exception.connect(_mark_busy, dispatch_uid="kiban.core.busy")


class BusyDatabaseMiddleware:
    """The outermost middleware: a busy-database error raised by a view or by any middleware inside this one
    becomes 503 with Retry-After (the API's own handler does the same for its endpoints, `kiban.api`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, _MARK, False):
            return busy_response(request)
        return response

    def process_exception(self, request, exception):
        if is_busy(exception):
            return busy_response(request)
        return None
