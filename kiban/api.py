"""The REST API root (/api/v1/): one NinjaAPI collecting the router of every module (`api_routers` in its
AppConfig, `kiban.core.modules`)."""

from __future__ import annotations

from importlib import import_module

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from kiban.accounts.auth import api_auth
from kiban.core import busy, modules
from kiban.core.apidocs import VendoredSwagger

api = NinjaAPI(
    title="Kiban API",
    version="1",
    description="Kiban (基盤) REST API. Authenticate with a session cookie (and CSRF token) or `Authorization: Bearer <token>`.",
    auth=api_auth,
    urls_namespace="api",
    docs=VendoredSwagger(),
)


def _load_routers() -> None:
    for prefix, module in modules.api_routers():
        api.add_router(prefix, import_module(module).router)


def _field_path(loc: list) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "payload")]
    return ".".join(parts) or "body"


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc: NinjaValidationError):
    errors = []
    for error in exc.errors:
        errors.append({"field": _field_path(list(error.get("loc", []))), "message": error.get("msg", "")})
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid input"
    return api.create_response(request, {"detail": detail, "errors": errors}, status=400)


@api.exception_handler(ValidationError)
def on_django_validation_error(request, exc: ValidationError):
    if hasattr(exc, "message_dict"):
        detail = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    else:
        detail = " ".join(exc.messages)
    return api.create_response(request, {"detail": detail}, status=400)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    return api.create_response(request, {"detail": str(exc) or "Permission denied."}, status=403)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return api.create_response(request, {"detail": "Authentication required."}, status=401)


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(OperationalError)
def on_database_error(request, exc: OperationalError):
    """A busy database (SQLite locked, PostgreSQL lock timeout or serialization failure) is 503 with
    Retry-After; any other database error stays a server error."""
    if busy.is_busy(exc):
        return busy.busy_response(request)
    raise exc


_load_routers()
