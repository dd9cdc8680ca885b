"""The email digest: one summary mail of unread DMs and mentions to each person who has been offline.

Run by the repeating job `kiban.notifications.jobs.send_email_digests`. Each person's rows are claimed
(SELECT … FOR UPDATE SKIP LOCKED, then `emailed_at` set) in the same transaction that queues the mail, so
two runs at once never mail the same notification twice, and a run that fails mails nothing and claims
nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kiban.accounts.models import DeviceSession, Staff
from kiban.core.mail import send_mail
from kiban.notifications.models import Notification, NotificationPolicy, NotificationPreference
from kiban.realtime.presence import last_seen as presence_last_seen

logger = logging.getLogger(__name__)

# Older unread items are not worth a mail any more (and a first run after an upgrade must not flood).
MAX_AGE = dt.timedelta(days=7)
# One mail lists at most this many; the rest are counted ("ほか N 件").
MAX_ITEMS = 30
EXCERPT = 120


def last_seen(user_ids: list[int]) -> dict[int, dt.datetime | None]:
    """When each person was last connected: the realtime presence (WebSocket or polling), and the
    device-session bookkeeping of their last page load, whichever is later."""
    seen: dict[int, dt.datetime | None] = dict.fromkeys(user_ids)
    for uid, at in presence_last_seen(user_ids).items():
        if uid in seen and at is not None:
            seen[uid] = at

    rows = (
        DeviceSession.objects.filter(user_id__in=user_ids)
        .values("user_id")
        .annotate(last=Max("last_seen_at"))
        .values_list("user_id", "last")
    )
    for uid, at in rows:
        if at is not None and (seen.get(uid) is None or at > seen[uid]):
            seen[uid] = at
    return seen


def _pending(kinds: list[str], now: dt.datetime):
    return Notification.objects.filter(
        kind__in=kinds,
        read_at__isnull=True,
        emailed_at__isnull=True,
        created_at__gte=now - MAX_AGE,
    )


def candidates(policy: NotificationPolicy, now: dt.datetime) -> list[int]:
    """People with unread, unmailed items of the digest kinds who have been offline long enough, have an
    address, are active, and have not turned the digest off."""

    ids = list(_pending(policy.kinds, now).values_list("recipient_id", flat=True).distinct())
    if not ids:
        return []
    opted_out = set(
        NotificationPreference.objects.filter(user_id__in=ids, email_digest=False).values_list(
            "user_id", flat=True
        )
    )
    reachable = set(
        Staff.objects.filter(pk__in=ids, is_active=True).exclude(email="").values_list("pk", flat=True)
    )
    ids = [i for i in ids if i in reachable and i not in opted_out]
    threshold = now - dt.timedelta(minutes=policy.digest_after_minutes)
    seen = last_seen(ids)
    return sorted(i for i in ids if seen.get(i) is None or seen[i] < threshold)


@dataclass
class DigestItem:
    sender: str
    title: str
    excerpt: str
    link: str
    created_at: dt.datetime


def _link(path: str) -> str:
    base = settings.BASE_URL.rstrip("/")
    return f"{base}{path}" if path else f"{base}/notifications/"


def _items(rows: list[Notification]) -> list[DigestItem]:
    items = []
    for n in rows:
        actor = n.actor
        sender = (actor.full_name or actor.username) if actor is not None else _("基盤")
        excerpt = " ".join(n.body.split())
        if len(excerpt) > EXCERPT:
            excerpt = excerpt[: EXCERPT - 1] + "…"
        items.append(DigestItem(sender, n.title, excerpt, _link(n.url), n.created_at))
    return items


def send_digest_to(user_id: int, policy: NotificationPolicy, now: dt.datetime) -> int:
    """Claim this person's pending items and queue one mail listing them. Returns how many were claimed
    (0: another run had them, or they were read meanwhile)."""

    with transaction.atomic():
        # SKIP LOCKED: a concurrent run holding some of these rows leaves them to that run. The WHERE is
        # evaluated again on the locked rows, so rows another run has just mailed are not taken twice.
        # SQLite has no row locks; its IMMEDIATE transactions serialise the runs instead.
        claimed_ids = list(
            _pending(policy.kinds, now)
            .filter(recipient_id=user_id)
            .select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("id", flat=True)
        )
        if not claimed_ids:
            return 0
        Notification.objects.filter(pk__in=claimed_ids).update(emailed_at=now)
        person = Staff.objects.get(pk=user_id)
        rows = list(Notification.objects.filter(pk__in=claimed_ids).select_related("actor").order_by("id"))
        with translation.override(settings.LANGUAGE_CODE):
            items = _items(rows[:MAX_ITEMS])
            context = {
                "person": person,
                "items": items,
                "count": len(rows),
                "more": max(0, len(rows) - MAX_ITEMS),
                "centre_url": _link("/notifications/"),
                "site_url": settings.BASE_URL.rstrip("/") + "/",
            }
            subject = ngettext(
                "【基盤】未読のメッセージが %(count)d 件あります",
                "【基盤】未読のメッセージが %(count)d 件あります",
                len(rows),
            ) % {"count": len(rows)}
            body = render_to_string("notifications/email/digest.txt", context)
            html = render_to_string("notifications/email/digest.html", context)
        send_mail([person.email], subject, body, html=html)
    return len(claimed_ids)


def send_email_digests(now: dt.datetime | None = None) -> dict[str, int]:
    """One pass: a digest to every person who qualifies. Returns counts (people mailed, items)."""
    now = now or timezone.now()
    policy = NotificationPolicy.current()
    if not policy.digest_enabled or not policy.kinds:
        return {"people": 0, "notifications": 0}
    people = items = 0
    for user_id in candidates(policy, now):
        claimed = send_digest_to(user_id, policy, now)
        if claimed:
            people += 1
            items += claimed
    return {"people": people, "notifications": items}
