"""Publication of posts at their time, and housekeeping.

`publish_post` is enqueued for `publish_at` when a post is saved. `publish_due_posts` runs every minute
and once whenever a worker starts (`schedule_periodic_jobs`): it publishes whatever is due and not yet
announced — a post whose time passed while the server was stopped, or whose job row was lost. Both go
through `actions.do_publish`, which claims the post, so each post is announced exactly once.
"""

from __future__ import annotations

import datetime as dt

from kiban.blobs import store
from kiban.bulletin import actions
from kiban.bulletin.models import Attachment
from kiban.core.jobs import job


@job(retries=5, backoff=5, max_backoff=300)
def publish_post(post_id: int) -> int | None:
    return actions.do_publish(post_id)


@job(retries=2, every=dt.timedelta(minutes=1))
def publish_due_posts() -> int:
    published = 0
    for post_id in actions.due_post_ids():
        if actions.do_publish(post_id) is not None:
            published += 1
    return published


@job(retries=3, every=dt.timedelta(hours=6))
def prune_unbound_attachments() -> int:
    """Files uploaded for a post never saved (a closed editor) go after a day."""
    from django.db import transaction
    from django.utils import timezone

    old = Attachment.objects.filter(post__isnull=True, created_at__lt=timezone.now() - dt.timedelta(days=1))
    blob_ids = list(old.values_list("blob_id", flat=True))
    with transaction.atomic():
        count, _ = old.delete()
        transaction.on_commit(lambda: store.release(blob_ids))
    return count
