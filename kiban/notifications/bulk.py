"""Writing one notification for many people at once: one bulk INSERT (or one INSERT … SELECT for a large
audience) and one `notification.created` for everyone. `actions.notify` calls it for a small audience in the
caller's transaction, `jobs.create_notifications` for a large one right after commit."""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from kiban.accounts.models import Staff
from kiban.notifications.events import NotificationCreated
from kiban.notifications.models import Notification
from kiban.notifications.serializers import notification_out
from kiban.realtime import publish
from kiban.realtime.fanout import ids_source

# More recipients than this: the notifications are written by a job right after commit (its row is written
# in the caller's transaction, so a crash in between loses nothing), not on the request path.
INLINE_MAX = 200


def create_many(
    ids: list[int], *, actor_id: int | None, actor_username: str | None = None, **fields
) -> list[Notification]:
    """The rows for `ids` (bulk) and their one announcement. For more than INLINE_MAX people (the job's
    path) idempotent per (kind, group_key, seq): people who have that notification already are skipped (a
    job run again after a crash)."""
    if len(ids) > INLINE_MAX and fields.get("group_key") and fields.get("seq") is not None:
        have = set(
            Notification.objects.filter(
                kind=fields["kind"], group_key=fields["group_key"], seq=fields["seq"]
            ).values_list("recipient_id", flat=True)
        )
        ids = [i for i in ids if i not in have]
        if not ids:
            return []
    now = timezone.now()
    if actor_id is not None and actor_username is None:
        actor_username = Staff.objects.filter(pk=actor_id).values_list("username", flat=True).first()
    if len(ids) > INLINE_MAX:
        # The job's path: one INSERT … SELECT over the ids (no Python object per row), one event.
        shared = notification_out(Notification(actor_id=actor_id, created_at=now, **fields), actor_username)
        with transaction.atomic():
            _insert_many(ids, actor_id=actor_id, created_at=now, **fields)
            publish(ids, NotificationCreated(notification=shared.model_copy(update={"id": None})))
        return []
    rows = [Notification(recipient_id=i, actor_id=actor_id, created_at=now, **fields) for i in ids]
    with transaction.atomic(savepoint=False):
        created = Notification.objects.bulk_create(rows)
        if len(created) == 1:
            only = created[0]
            publish(
                [only.recipient_id], NotificationCreated(notification=notification_out(only, actor_username))
            )
        else:
            # One event for everyone: the shared fields, without a per-person id (the client links to `url`).
            shared = notification_out(created[0], actor_username).model_copy(update={"id": None})
            publish(ids, NotificationCreated(notification=shared))
    return created


def _insert_many(ids: list[int], *, actor_id: int | None, created_at, **fields) -> None:
    source, param = ids_source(ids)
    table = Notification._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (recipient_id, kind, title, body, url, actor_id, group_key, seq, created_at) "  # noqa: S608
            f"SELECT value, %s, %s, %s, %s, %s, %s, %s, %s FROM {source}",
            [
                fields["kind"], fields["title"], fields["body"], fields["url"], actor_id, fields["group_key"],
                fields["seq"], connection.ops.adapt_datetimefield_value(created_at), param,
            ],
        )  # fmt: skip
