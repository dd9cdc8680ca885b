"""Writes to notifications. Other modules call `notify` and `mark_read_up_to`; the API and pages call the rest.

Who is notified is the caller's decision (the chat action knows the members, their mutes and mentions);
this module stores, announces after commit, and keeps read state.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from kiban.notifications.bulk import INLINE_MAX, create_many
from kiban.notifications.events import NotificationRead
from kiban.notifications.jobs import create_notifications
from kiban.notifications.models import Notification, NotificationPreference
from kiban.realtime import publish

TITLE_MAX = 200
BODY_MAX = 1000  # an excerpt: the notification links to the whole thing
URL_MAX = 500


def _safe_url(url: str) -> str:
    """Only paths on this site: a notification link can never send someone elsewhere (or run script)."""
    url = (url or "").strip()
    if not url.startswith("/") or url.startswith("//") or "\\" in url or len(url) > URL_MAX:
        return ""
    return url


def _clip(text: str, limit: int) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def notify(
    recipient_ids: Iterable[int],
    *,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    actor=None,
    group_key: str = "",
    seq: int | None = None,
) -> list[Notification]:
    """Store one notification per recipient (one bulk insert) and announce them with one
    `notification.created` event after commit.

    The actor is never notified of their own action. `url` must be a path on this site (anything else is
    dropped); long titles and bodies are cut. Safe inside the caller's transaction: nothing is stored or
    announced unless it commits. For more than INLINE_MAX people the rows are written by
    `notifications.jobs.create_notifications`, enqueued in the caller's transaction (the outbox), and the
    returned list is empty."""
    actor_id = getattr(actor, "pk", actor)
    ids = [int(i) for i in dict.fromkeys(recipient_ids) if i is not None and int(i) != actor_id]
    if not ids:
        return []
    fields = {
        "kind": kind[:40],
        "title": _clip(str(title), TITLE_MAX),
        "body": _clip(str(body or ""), BODY_MAX),
        "url": _safe_url(url),
        "actor_id": actor_id,
        "group_key": group_key[:100],
        "seq": seq,
    }
    if len(ids) > INLINE_MAX:
        # The ids as one JSON string: the queue normalises arguments value by value.
        create_notifications.enqueue(
            json.dumps(ids, separators=(",", ":")), actor_username=getattr(actor, "username", None), **fields
        )
        return []
    return create_many(ids, actor_username=getattr(actor, "username", None), **fields)


def scrub_notifications(group_key: str, seq: int) -> list[str]:
    """Remove the quoted text of the notifications about item `seq` of `group_key` (a deleted message).
    Returns the texts removed (as the notifications showed them, e.g. with mentions as names), so the caller
    can scrub the stored `notification.created` events that carried them too."""
    if not group_key:
        return []
    quoting = Notification.objects.filter(group_key=group_key, seq=seq).exclude(body="")
    bodies = list(quoting.values_list("body", flat=True).distinct())
    quoting.update(body="")
    return bodies


def access_notification(user, notification_id: int) -> Notification:
    """The person's own notification; anyone else's does not exist for them (404)."""
    try:
        return Notification.objects.select_related("actor").get(pk=notification_id, recipient=user)
    except Notification.DoesNotExist:
        raise Http404 from None


def _announce_read(user_id: int, ids: list[int] | None) -> None:
    """Tell the person's other devices (after commit), so every bell shows the same count."""
    unread = Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count()
    publish([user_id], NotificationRead(ids=ids, unread=unread))


def mark_read(user, notification_id: int) -> Notification:
    """Mark one of the person's notifications read (idempotent: the first read time is kept)."""
    n = access_notification(user, notification_id)
    if n.read_at is None:
        now = timezone.now()
        with transaction.atomic():
            # Conditional: two devices marking at once keep the earlier time, and only one announces it.
            if Notification.objects.filter(pk=n.pk, read_at__isnull=True).update(read_at=now):
                _announce_read(user.pk, [n.pk])
        n.refresh_from_db(fields=["read_at"])
    return n


def mark_all_read(user) -> int:
    """Mark every unread notification of the person read. Returns how many changed."""
    with transaction.atomic():
        changed = Notification.objects.filter(recipient=user, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        if changed:
            _announce_read(user.pk, None)
    return changed


def mark_read_up_to(user_id: int, group_key: str, seq: int | None = None) -> int:
    """The person read `group_key` (a conversation) up to `seq`: its notifications with seq ≤ `seq` are
    read; with `seq` None, all of the group's. Returns how many changed. Safe inside the caller's
    transaction (the announcement waits for its commit)."""
    if not group_key:
        return 0
    rows = Notification.objects.filter(recipient_id=user_id, group_key=group_key, read_at__isnull=True)
    if seq is not None:
        rows = rows.filter(seq__lte=seq)
    with transaction.atomic():
        changed = rows.update(read_at=timezone.now())
        if changed:
            _announce_read(user_id, None)
    return changed


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def list_notifications(
    user, *, unread_only: bool = False, before_id: int | None = None, limit: int = 50
) -> tuple[list[Notification], bool]:
    """The person's notifications, newest first (actor loaded); and whether older ones exist (keyset)."""
    rows = Notification.objects.filter(recipient=user)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    if before_id is not None:
        rows = rows.filter(pk__lt=before_id)
    page = list(rows.order_by("-id").select_related("actor")[: limit + 1])
    return page[:limit], len(page) > limit


def email_digest_enabled(user) -> bool:
    pref = NotificationPreference.objects.filter(user=user).first()
    return pref.email_digest if pref else True


def do_set_email_digest(user, enabled: bool) -> NotificationPreference:
    pref, _created = NotificationPreference.objects.update_or_create(
        user=user, defaults={"email_digest": bool(enabled)}
    )
    return pref
