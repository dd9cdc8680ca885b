"""Housekeeping of stored bytes: nothing a crash or an abandoned upload left behind stays."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import time

from kiban.blobs import parts, store
from kiban.blobs.models import Blob, UploadSession
from kiban.blobs.store import read_range
from kiban.core.jobs import job

logger = logging.getLogger(__name__)

TEMP_GRACE = dt.timedelta(hours=6)


@job(retries=3, every=dt.timedelta(minutes=30))
def sweep_blobs() -> dict[str, int]:
    """Expired upload sessions, pending blobs older than the grace period (a process killed between
    committing the row and finishing the bytes), unreferenced blobs, and stale spooled uploads."""
    from django.conf import settings
    from django.utils import timezone

    now = timezone.now()
    sessions = 0
    for session in UploadSession.objects.filter(expires_at__lt=now).select_related("blob"):
        parts.discard_session(session)
        sessions += 1
    pending = 0
    stale = Blob.objects.filter(state=Blob.State.PENDING, created_at__lt=now - store.PENDING_GRACE)
    for blob in stale.filter(upload_session__isnull=True):
        store.delete_bytes(blob.key)
        Blob.objects.filter(pk=blob.pk, state=Blob.State.PENDING).delete()
        pending += 1
    orphans = list(
        store.unreferenced()
        .filter(state=Blob.State.READY, created_at__lt=now - store.UNREFERENCED_GRACE)
        .values_list("pk", flat=True)
    )
    released = store.release(orphans)
    temp_files = 0
    temp_dir = getattr(settings, "FILE_UPLOAD_TEMP_DIR", None)
    if temp_dir and os.path.isdir(temp_dir):
        cutoff = time.time() - TEMP_GRACE.total_seconds()
        for entry in os.scandir(temp_dir):
            try:
                if entry.is_file() and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
                    temp_files += 1
            except FileNotFoundError:
                pass
    return {"sessions": sessions, "pending": pending, "unreferenced": released, "temp_files": temp_files}


@job(retries=3, backoff=60)
def hash_blob(blob_id: int) -> str:
    """Record a blob's SHA-256 after the upload (an integrity record an auditor can check the bytes
    against), read once from storage outside the request."""

    blob = Blob.objects.filter(pk=blob_id, state=Blob.State.READY, sha256="").first()
    if blob is None:
        return ""
    digest = hashlib.sha256()
    for block in read_range(blob.key, 0, blob.size - 1):
        digest.update(block)
    Blob.objects.filter(pk=blob_id, sha256="").update(sha256=digest.hexdigest())
    return digest.hexdigest()
