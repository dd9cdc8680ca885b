"""The one place that writes the audit log. Every security and admin action calls `record`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import timezone

from kiban.core.models import AUDIT_RETENTION_DAYS, AuditEntry


def client_ip(request) -> str | None:
    if request is None:
        return None
    from django.conf import settings

    if settings.USE_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    *,
    actor=None,
    actor_username: str = "",
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
    target_repr: str = "",
    request=None,
    ip: str | None = None,
    **detail: Any,
) -> AuditEntry:
    """Append one entry. `action` is a dotted name such as `auth.login` or `admin.staff.change`."""
    request_user = getattr(request, "user", None)
    if actor is None and request_user is not None and request_user.is_authenticated:
        actor = request_user
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
        target_repr = target_repr or str(target)[:255]
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_username=actor_username or (actor.get_username() if actor is not None else ""),
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_repr=target_repr[:255],
        ip=ip or client_ip(request),
        detail=detail,
    )


@dataclass(frozen=True)
class Target:
    """One object of a bulk write, as `record_many` writes it into its entry (`detail`: that object's own)."""

    type: str
    id: str
    repr: str
    detail: dict[str, Any] | None = None


def record_many(
    action: str, targets: Iterable[Target], *, actor=None, actor_username: str = "", **detail: Any
) -> int:
    """One entry per target, written in bulk (the HR import's thousands of memberships): the same entries
    `record` would write one by one. `detail` is shared; a target's own detail is merged over it."""
    actor = actor if actor is not None and actor.pk else None
    username = actor_username or (actor.get_username() if actor is not None else "")
    now = timezone.now()
    rows = [
        AuditEntry(
            at=now,
            actor=actor,
            actor_username=username,
            action=action,
            target_type=target.type,
            target_id=target.id,
            target_repr=target.repr[:255],
            detail={**detail, **(target.detail or {})},
        )
        for target in targets
    ]
    AuditEntry.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def prune_expired_entries(now=None) -> int:
    """Delete audit entries older than the retention period; the database refuses anything younger."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=AUDIT_RETENTION_DAYS, minutes=1)
    deleted, _ = AuditEntry.objects.filter(at__lt=cutoff).delete()
    return deleted
