"""Background upkeep of chat: uploads never attached to a message are removed after a day."""

from __future__ import annotations

import datetime as dt

from kiban.core.jobs import job

ORPHAN_AFTER = dt.timedelta(days=1)


@job(retries=3, every=dt.timedelta(hours=6))
def prune_orphan_uploads() -> int:
    """Delete attachments uploaded but never posted (a closed tab, a cancelled message) and their files."""
    from django.utils import timezone

    from kiban.blobs import store
    from kiban.chat.models import Attachment

    old = Attachment.objects.filter(message__isnull=True, created_at__lt=timezone.now() - ORPHAN_AFTER)
    removed = 0
    for attachment in old.iterator():
        if attachment.thumbnail:
            attachment.thumbnail.storage.delete(attachment.thumbnail.name)
        attachment.delete()
        # The bytes stay if a folder's file shares them (an attachment made from a folder file).
        store.release([attachment.blob_id] if attachment.blob_id else [])
        removed += 1
    return removed
