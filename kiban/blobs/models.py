"""A Blob is one stored object: bytes written once under a random key and never changed.

Files, their versions and chat attachments point at blobs, so one upload shared by a folder and a message is
one object. A blob is created `pending` (committed before a byte is written), becomes `ready` in the same
transaction as the row that refers to it, and is deleted with its bytes when nothing refers to it any more
(`kiban.blobs.store.release`, and `blobs.jobs.sweep_blobs` for what a crash left behind). So every stored
object is described by a row, and a row without a referrer is found and removed.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Blob(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("書き込み中")
        READY = "ready", _("保存済み")

    # The storage name: random, never derived from the file's name (so no name can reach another path).
    key = models.CharField(max_length=255, unique=True)
    size = models.PositiveBigIntegerField(default=0)
    # Detected from the bytes (`kiban.blobs.store.detect_content_type`), never from a name or a browser.
    content_type = models.CharField(max_length=128, default="application/octet-stream")
    # Filled after the upload by `blobs.jobs.hash_blob` for large uploads (reading them again in the request
    # would halve its throughput); empty until then.
    sha256 = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("保存データ")
        verbose_name_plural = _("保存データ")
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return self.key


class UploadSession(models.Model):
    """A resumable upload in progress: the client sends chunks at `offset` until `size` is reached.

    The bytes go straight to their final place (`kiban.blobs.parts`): one file written at each chunk's
    offset on a local disk, the parts of an S3 multipart upload on object storage. The `blob` is pending
    until the owning module completes the upload."""

    token = models.CharField(max_length=64, unique=True)
    owner = models.ForeignKey("accounts.Staff", on_delete=models.CASCADE, related_name="+")
    blob = models.OneToOneField(Blob, on_delete=models.CASCADE, related_name="upload_session")
    name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    offset = models.PositiveBigIntegerField(default=0)
    chunk_size = models.PositiveIntegerField()
    # What the owning module will do at completion (e.g. {"folder": 3} or {"file": 7}); it checks again then.
    purpose = models.JSONField(default=dict)
    # Type detected from the first chunk (the only one that holds the signature).
    content_type = models.CharField(max_length=128, blank=True)
    # S3 multipart upload id ("" on a local disk).
    backend_id = models.CharField(max_length=1024, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("アップロード")
        verbose_name_plural = _("アップロード")
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return self.name


class UploadPart(models.Model):
    """An S3 multipart part received (its ETag is needed to complete the upload)."""

    session = models.ForeignKey(UploadSession, on_delete=models.CASCADE, related_name="parts")
    number = models.PositiveIntegerField()
    etag = models.CharField(max_length=128)
    size = models.PositiveBigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "number"], name="blobs_part_unique")]

    def __str__(self) -> str:
        return f"{self.session_id}#{self.number}"
