"""Background upkeep of chat: uploads never attached to a message are removed after a day."""

from __future__ import annotations

import datetime as dt

from kiban.core.jobs import job

ORPHAN_AFTER = dt.timedelta(days=1)


@job(retries=3, every=dt.timedelta(hours=6))
def prune_orphan_uploads() -> int:
    """Delete attachments uploaded but never posted (a closed tab, a cancelled message) and their files."""
    from django.utils import timezone

    from kiban.chat.models import Attachment

    old = Attachment.objects.filter(message__isnull=True, created_at__lt=timezone.now() - ORPHAN_AFTER)
    removed = 0
    for attachment in old.iterator():
        for field in (attachment.file, attachment.thumbnail):
            if field:
                field.storage.delete(field.name)
        attachment.delete()
        removed += 1
    return removed
