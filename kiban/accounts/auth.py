"""Authentication for the API: a session cookie (with CSRF on unsafe methods) or a Bearer token."""

from __future__ import annotations

import datetime as dt

from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from ninja.errors import HttpError

from kiban.accounts.models import ApiToken
from kiban.accounts.tokens import TOKEN_PREFIX, hash_token
from kiban.core.audit import client_ip

# Writing last_used_at on every request would make every API call a write; once a minute is enough
# for "last used" in the token list.
LAST_USED_GRANULARITY = dt.timedelta(minutes=1)


def user_from_bearer(request):
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    token = value.strip()
    if not token.startswith(TOKEN_PREFIX):
        return None
    api_token = ApiToken.objects.select_related("user").filter(token_hash=hash_token(token)).first()
    if api_token is None or not api_token.user.is_active:
        return None
    now = timezone.now()
    if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=api_token.pk).update(
            last_used_at=now,
            last_used_ip=client_ip(request),
            user_agent=request.headers.get("User-Agent", "")[:300],
        )
    request.api_token = api_token
    return api_token.user


def _csrf_failure(request) -> str | None:
    check = CsrfViewMiddleware(lambda r: None)
    check.process_request(request)
    reason = check.process_view(request, None, (), {})
    return None if reason is None else "CSRF verification failed."


def api_auth(request):
    """django-ninja auth callable: returns the user or None (→ 401)."""
    user = user_from_bearer(request)
    if user is not None:
        request.user = user
        return user
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS") and _csrf_failure(request):
            raise HttpError(403, "CSRF verification failed: send the X-CSRFToken header.")
        return user
    return None
