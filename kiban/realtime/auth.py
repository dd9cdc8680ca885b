"""Who opens a socket: a session cookie (with a same-site Origin) or an `Authorization: Bearer` token.

The browser's WebSocket API cannot set headers, so a Bearer token cannot come from a hostile page; a cookie
can, which is why only cookie sign-ins need an allowed Origin (what Channels' AllowedHostsOriginValidator
checks, applied here per credential instead of to every client).
"""

from __future__ import annotations

from urllib.parse import urlparse

from channels.security.websocket import AllowedHostsOriginValidator
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.sessions.models import Session
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from kiban.accounts.models import ApiToken
from kiban.accounts.tokens import TOKEN_PREFIX, hash_token

Credential = tuple[str, "str | int"]


def header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


def bearer_token(scope: dict) -> str | None:
    scheme, _, value = (header(scope, b"authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def origin_allowed(scope: dict) -> bool:
    origin = header(scope, b"origin")
    if origin is None:
        return False
    validator = AllowedHostsOriginValidator(None)
    return validator.valid_origin(urlparse(origin))


def user_from_token(token: str) -> tuple[int, Credential] | None:
    """(user id, ("token", ApiToken id)) for a live token of an active person."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = (
        ApiToken.objects.filter(token_hash=hash_token(token), user__is_active=True)
        .values_list("id", "user_id")
        .first()
    )
    if row is None:
        return None
    token_id, user_id = row
    return user_id, ("token", token_id)


def user_from_session(session_key: str | None) -> tuple[int, Credential] | None:
    """(user id, ("session", key)) for a live session of an active person, as Django's auth would decide."""
    if not session_key:
        return None
    from importlib import import_module

    from django.conf import settings

    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user_pk = store.get(SESSION_KEY)
    backend_path = store.get(BACKEND_SESSION_KEY)
    if user_pk is None or backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = load_backend(backend_path).get_user(user_pk)  # None for an inactive (retired) person
    if user is None:
        return None
    session_hash = store.get(HASH_SESSION_KEY)
    if not session_hash or not constant_time_compare(session_hash, user.get_session_auth_hash()):
        return None  # the password changed since: Django signs such sessions out
    return user.pk, ("session", session_key)


def authenticate(scope: dict) -> tuple[int, Credential] | None:
    """The person behind a socket, or None (→ closed with 4401)."""
    token = bearer_token(scope)
    if token is not None:
        return user_from_token(token)
    if not origin_allowed(scope):
        return None
    from django.conf import settings

    cookies = scope.get("cookies") or {}
    return user_from_session(cookies.get(settings.SESSION_COOKIE_NAME))


def still_valid(sockets: list[tuple[Credential, int]]) -> set[Credential]:
    """Which of the open sockets' `(credential, user id)` still hold: a revoked token, a signed-out device
    and a retired person lose theirs. Three queries at most, run once a minute per process."""
    from django.contrib.auth import get_user_model

    token_ids = [value for (kind, value), _user_id in sockets if kind == "token"]
    session_keys = [value for (kind, value), _user_id in sockets if kind == "session"]
    valid: set[Credential] = set()
    if token_ids:
        live_tokens = ApiToken.objects.filter(id__in=token_ids, user__is_active=True)
        valid.update(("token", token_id) for token_id in live_tokens.values_list("id", flat=True))
    if session_keys:
        active = set(
            get_user_model()
            .objects.filter(
                pk__in={user_id for (kind, _v), user_id in sockets if kind == "session"}, is_active=True
            )
            .values_list("pk", flat=True)
        )
        live = set(
            Session.objects.filter(session_key__in=session_keys, expire_date__gt=timezone.now()).values_list(
                "session_key", flat=True
            )
        )
        valid.update(
            credential
            for credential, user_id in sockets
            if credential[0] == "session" and credential[1] in live and user_id in active
        )
    return valid
