"""Writes of the integrations module: registering external systems (IT administrators) and the approval-count
push (`do_replace_approval_counts`). Each write runs in one transaction and is audited."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.accounts.models import Staff
from kiban.accounts.ratelimit import check_login_allowed, record_login_failure
from kiban.accounts.tokens import hash_token
from kiban.core.audit import client_ip, record
from kiban.core.permissions import is_it_admin
from kiban.integrations.models import SCOPE_APPROVAL_COUNTS, SCOPES, ApprovalCount, ExternalSystem

# Integration tokens have their own prefix so a leaked one is recognisable (and never tried as a person's).
TOKEN_PREFIX = "kbi_"  # noqa: S105  (a marker, not a secret)
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
MAX_ROWS = 100_000
MAX_PENDING = 1_000_000
# Usernames looked up per query: below SQLite's and PostgreSQL's parameter limits with room to spare.
LOOKUP_CHUNK = 5_000
INTEGRATION_CHANNEL = "integration"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def _require_admin(user) -> None:
    if not is_it_admin(user):
        raise PermissionDenied(_("情報システム課の管理者だけが操作できます。"))


def clean_name(name: str) -> str:
    name = (name or "").strip()
    if not NAME_RE.match(name):
        raise ValidationError(
            {"name": [_("半角英小文字・数字・「-」「_」の50文字以内で、英数字で始めてください。")]}
        )
    return name


def clean_label(label: str) -> str:
    label = (label or "").strip()
    if not label or len(label) > 100:
        raise ValidationError({"label": [_("1〜100文字で入力してください。")]})
    return label


def clean_url(url: str | None) -> str:
    url = (url or "").strip()
    if not url:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError(
            {"url": [_("http:// または https:// で始まるURLを入力してください。")]}
        ) from None
    if len(url) > 500:
        raise ValidationError({"url": [_("500文字以内で入力してください。")]})
    return url


def clean_scopes(scopes: list[str] | None) -> list[str]:
    if scopes is None:
        return [SCOPE_APPROVAL_COUNTS]
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValidationError({"scopes": [_("不明な権限です: %(s)s") % {"s": ", ".join(map(str, unknown))}]})
    if len(set(scopes)) != len(scopes):
        raise ValidationError({"scopes": [_("同じ権限が重複しています。")]})
    return [s for s in SCOPES if s in scopes]


def access_system(user, system_id: int) -> ExternalSystem:
    """The system, for an IT administrator; 404 for anyone else and for a system that does not exist."""
    if not is_it_admin(user):
        raise Http404
    system = ExternalSystem.objects.filter(pk=system_id).first()
    if system is None:
        raise Http404
    return system


def do_register_system(
    user, *, name: str, label: str, url: str | None = None, scopes: list[str] | None = None, request=None
) -> tuple[ExternalSystem, str]:
    """Register a system and return it with its token (shown once; only the hash is kept). 409-worthy
    IntegrityError when the name is taken."""
    _require_admin(user)
    name, label, url, scopes = clean_name(name), clean_label(label), clean_url(url), clean_scopes(scopes)
    token = new_token()
    with transaction.atomic():
        system = ExternalSystem.objects.create(
            name=name, label=label, url=url, scopes=scopes, token_hash=hash_token(token),
            token_prefix=token[:12], created_by=user,
        )  # fmt: skip
        record("integrations.system_register", actor=user, target=system, request=request, scopes=scopes)
    return system, token


def do_update_system(
    user,
    system_id: int,
    *,
    label: str | None = None,
    url: str | None = None,
    scopes: list[str] | None = None,
    enabled: bool | None = None,
    request=None,
) -> ExternalSystem:
    """Change what is given (None: unchanged). Disabling a system refuses its token and hides its counts."""
    with transaction.atomic():
        system = access_system(user, system_id)
        system = ExternalSystem.objects.select_for_update().get(pk=system.pk)
        changed: dict[str, object] = {}
        if label is not None:
            system.label = changed["label"] = clean_label(label)
        if url is not None:
            system.url = changed["url"] = clean_url(url)
        if scopes is not None:
            system.scopes = changed["scopes"] = clean_scopes(scopes)
        if enabled is not None:
            system.enabled = changed["enabled"] = bool(enabled)
        if changed:
            system.save(update_fields=list(changed))
            record("integrations.system_update", actor=user, target=system, request=request, **changed)
    return system


def do_rotate_token(user, system_id: int, *, request=None) -> tuple[ExternalSystem, str]:
    """A new token for the system; the old one stops working at once."""
    token = new_token()
    with transaction.atomic():
        system = access_system(user, system_id)
        system.token_hash = hash_token(token)
        system.token_prefix = token[:12]
        system.token_rotated_at = timezone.now()
        system.save(update_fields=["token_hash", "token_prefix", "token_rotated_at"])
        record("integrations.token_rotate", actor=user, target=system, request=request)
    return system, token


def do_delete_system(user, system_id: int, *, request=None) -> None:
    """Delete the system with its counts."""
    with transaction.atomic():
        system = access_system(user, system_id)
        record("integrations.system_delete", actor=user, target=system, request=request)
        system.delete()


# --- The push from an external system ---------------------------------------------------------------------


class IntegrationRefused(Exception):
    """No valid integration token: answer 401 (the failure was counted by the sign-in rate limit)."""


def authenticate_system(request) -> ExternalSystem:
    """The enabled system whose bearer token the request carries.

    A bad or missing token is a failed sign-in like any other: it goes through the shared rate limit
    (`kiban.accounts.ratelimit`, counted per address; LoginBlocked → 429) and is audited."""
    ip = client_ip(request)
    check_login_allowed("", ip)
    scheme, _sep, value = request.headers.get("Authorization", "").partition(" ")
    token = value.strip()
    system = None
    if scheme.lower() == "bearer" and token.startswith(TOKEN_PREFIX):
        system = ExternalSystem.objects.filter(token_hash=hash_token(token), enabled=True).first()
    if system is None:
        record_login_failure("", ip, INTEGRATION_CHANNEL)
        record("auth.login_failed", request=request, channel=INTEGRATION_CHANNEL, reason="integration token")
        raise IntegrationRefused(_("連携トークンが無効です。"))
    return system


@dataclass(frozen=True)
class ReplaceResult:
    updated: int
    unknown: list[str]


def validate_counts(rows: list[tuple[str, int]]) -> None:
    """Raise ValidationError naming the row for anything wrong in the list (before anything is written)."""
    if len(rows) > MAX_ROWS:
        raise ValidationError({"counts": [_("%(n)d件までです。") % {"n": MAX_ROWS}]})
    seen: set[str] = set()
    for i, (username, pending) in enumerate(rows):
        if not username or len(username) > 150:
            raise ValidationError({f"counts[{i}].username": [_("職員番号を1〜150文字で入力してください。")]})
        if username in seen:
            raise ValidationError(
                {f"counts[{i}].username": [_("職員番号が重複しています: %(u)s") % {"u": username}]}
            )
        seen.add(username)
        if isinstance(pending, bool) or not isinstance(pending, int) or not 0 <= pending <= MAX_PENDING:
            raise ValidationError(
                {
                    f"counts[{i}].pending": [
                        _("0以上%(max)d以下の整数を入力してください。") % {"max": MAX_PENDING}
                    ]
                }
            )


def do_replace_approval_counts(
    system: ExternalSystem, system_name: str, rows: list[tuple[str, int]], *, request=None
) -> ReplaceResult:
    """Replace all of the system's counts with `rows` ((username, pending) pairs), atomically: people absent
    from the list have 0 afterwards, and a refused push changes nothing.

    The system's row is locked first, so two pushes of one system run one after the other and the last one
    wins whole (never a mix of both lists)."""
    if system_name != system.name:
        raise PermissionDenied(
            _("system: このトークンはシステム「%(name)s」のものです。") % {"name": system.name}
        )
    if not system.has_scope(SCOPE_APPROVAL_COUNTS):
        raise PermissionDenied(_("このトークンには決裁件数（approval_counts）の権限がありません。"))
    validate_counts(rows)
    usernames = [u for u, _p in rows]
    ids: dict[str, int] = {}
    for start in range(0, len(usernames), LOOKUP_CHUNK):
        chunk = usernames[start : start + LOOKUP_CHUNK]
        ids.update(Staff.objects.filter(username__in=chunk, is_active=True).values_list("username", "id"))
    unknown = [u for u in usernames if u not in ids]
    now = timezone.now()
    with transaction.atomic():
        locked = ExternalSystem.objects.select_for_update().filter(pk=system.pk, enabled=True).first()
        if locked is None:
            raise PermissionDenied(_("このシステムは無効になっています。"))
        ApprovalCount.objects.filter(system=locked).delete()
        ApprovalCount.objects.bulk_create(
            [
                ApprovalCount(system=locked, staff_id=ids[u], pending=p, updated_at=now)
                for u, p in rows
                if p > 0 and u in ids
            ],
            batch_size=2000,
        )
        ExternalSystem.objects.filter(pk=locked.pk).update(last_push_at=now)
        updated = len(rows) - len(unknown)
        record(
            "integrations.approval_counts",
            actor_username=f"system:{locked.name}",
            target=locked,
            request=request,
            updated=updated,
            unknown=len(unknown),
        )
    return ReplaceResult(updated=updated, unknown=unknown)
