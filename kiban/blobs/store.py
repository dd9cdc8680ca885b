"""Writing, reading and releasing blobs through Django's storage API (local disk or S3-compatible storage).

The order of steps is what keeps storage and database in agreement:

1. `begin()` commits a pending row naming the key, before any byte is written;
2. the bytes are written (`write_upload`, or chunk by chunk in `kiban.blobs.parts`);
3. the owning module calls `mark_ready(blob)` in the transaction that creates the row referring to it.

A crash between 1 and 3 leaves a pending row, which `blobs.jobs.sweep_blobs` deletes with its bytes. Bytes
are only ever deleted through `release`, which checks under a row lock that nothing refers to the blob.
"""

from __future__ import annotations

import codecs
import datetime as dt
import logging
import secrets
from collections.abc import Iterable, Iterator

import filetype
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from kiban.blobs.models import Blob

logger = logging.getLogger(__name__)

SNIFF_BYTES = 8192
# Text is recognised from the first MiB: reading all of a large file to tell text from binary would cost
# a second pass over it; a later invalid byte only shows as a replacement character in a preview.
TEXT_CHECK_BYTES = 1024 * 1024
READ_BLOCK = 1024 * 1024


class TooLarge(Exception):
    """The bytes exceed the limit the caller set (the API answers 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class BlobGone(Exception):
    """The pending blob was swept (an upload abandoned for longer than the sweeper waits)."""


def new_key(prefix: str = "blobs") -> str:
    return f"{prefix}/{timezone.now():%Y/%m}/{secrets.token_hex(16)}"


def detect_content_type(head: bytes, chunks: Iterable[bytes], *, final: bool = True) -> str:
    """The MIME type from the bytes: a known signature, else UTF-8 text, else octet-stream.

    `chunks` is the text to check (all of it, or its beginning with `final=False`, which accepts a
    multi-byte character cut at the end). HTML and SVG are text here: they are never given a type a browser
    would render as a page."""
    kind = filetype.guess(head) if head else None
    if kind is not None:
        return kind.mime
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in chunks:
            decoder.decode(chunk)
        if final:
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain"


def sniff_upload(upload: UploadedFile) -> str:
    upload.seek(0)
    head = upload.read(TEXT_CHECK_BYTES)
    upload.seek(0)
    complete = upload.size is not None and len(head) >= upload.size
    return detect_content_type(head[:SNIFF_BYTES], [head], final=complete)


def begin(*, prefix: str = "blobs") -> Blob:
    """Record where bytes are about to be written. Call it outside the transaction that will refer to the
    blob, so the row is committed before the bytes exist (step 1 above)."""
    return Blob.objects.create(key=new_key(prefix))


def write_upload(blob: Blob, upload: UploadedFile, *, limit: int) -> Blob:
    """Store an uploaded file's bytes under `blob.key` (on a local disk a spooled upload is moved, not
    copied) and set the blob's size and detected type (not saved: `mark_ready` saves them)."""
    size = upload.size or 0
    if size > limit:
        raise TooLarge(limit)
    blob.content_type = sniff_upload(upload)
    upload.seek(0)
    stored = default_storage.save(blob.key, upload)
    if stored != blob.key:  # the key is random and new: a different name means a storage misconfiguration
        default_storage.delete(stored)
        raise RuntimeError(f"storage stored {blob.key!r} as {stored!r}")
    blob.size = size
    return blob


def write_bytes(blob: Blob, data: bytes) -> Blob:
    from django.core.files.base import ContentFile

    blob.content_type = detect_content_type(data[:SNIFF_BYTES], [data])
    default_storage.save(blob.key, ContentFile(data))
    blob.size = len(data)
    return blob


def mark_ready(blob: Blob) -> None:
    """Step 3: inside the transaction that creates the referring row. Raises BlobGone when the sweeper took
    the pending blob meanwhile (the caller's transaction then rolls back)."""
    updated = Blob.objects.filter(pk=blob.pk, state=Blob.State.PENDING).update(
        state=Blob.State.READY, size=blob.size, content_type=blob.content_type, sha256=blob.sha256
    )
    if updated != 1:
        raise BlobGone(blob.key)
    blob.state = Blob.State.READY


def lock_ready(blob_id: int) -> Blob:
    """Lock a ready blob before adding a reference to it (a folder file attached to a message, a chat
    attachment saved to a folder): `release` takes the same lock, so it cannot delete the bytes between
    its check and the new reference's commit. Call inside the transaction that adds the reference."""
    blob = Blob.objects.select_for_update().filter(pk=blob_id, state=Blob.State.READY).first()
    if blob is None:
        raise BlobGone(str(blob_id))
    return blob


def _referrers() -> list[tuple[type[models.Model], str]]:
    """Every (model, field) that refers to a blob, found from the models: a module adding a reference
    (chat attachments, inquiry attachments, …) is counted without a line here."""
    # include_hidden: relations declared with related_name="+" count too.
    return [
        (rel.related_model, rel.field.name)
        for rel in Blob._meta.get_fields(include_hidden=True)
        if rel.auto_created and not rel.concrete and rel.related_model is not None
    ]


def is_referenced(blob_id: int) -> bool:
    return any(model._default_manager.filter(**{field: blob_id}).exists() for model, field in _referrers())


def unreferenced() -> models.QuerySet[Blob]:
    """Blobs nothing refers to, in one query (NOT EXISTS per referring table)."""
    queryset = Blob.objects.all()
    for model, field in _referrers():
        queryset = queryset.filter(~Exists(model._default_manager.filter(**{field: OuterRef("pk")})))
    return queryset


def release(blob_ids: Iterable[int]) -> int:
    """Delete the blobs among `blob_ids` that nothing refers to any more, rows and bytes. Call after the
    transaction that removed a reference has committed (`transaction.on_commit(lambda: release(ids))`).
    Returns how many were deleted."""
    deleted = 0
    for blob_id in dict.fromkeys(blob_ids):
        with transaction.atomic():
            blob = Blob.objects.select_for_update().filter(pk=blob_id).first()
            if blob is None or is_referenced(blob_id):
                continue
            key = blob.key
            blob.delete()
            transaction.on_commit(lambda key=key: delete_bytes(key))
            deleted += 1
    return deleted


def abandon(blob: Blob) -> None:
    """Undo steps 1–2 after a failed step 3 (best effort: the sweeper catches what this misses)."""
    try:
        delete_bytes(blob.key)
        Blob.objects.filter(pk=blob.pk, state=Blob.State.PENDING).delete()
    except Exception:
        logger.warning("could not abandon blob %s; the sweeper will", blob.key, exc_info=True)


def delete_bytes(key: str) -> None:
    try:
        default_storage.delete(key)
    except FileNotFoundError:
        pass


def local_path(key: str) -> str | None:
    """The file's path when the storage is a local disk, else None."""
    try:
        return default_storage.path(key)
    except NotImplementedError:
        return None


def is_s3() -> bool:
    return hasattr(default_storage, "bucket_name") and hasattr(default_storage, "connection")


def s3_client_and_key(key: str):
    storage = default_storage
    return storage.connection.meta.client, storage.bucket_name, storage._normalize_name(key)


def read_range(key: str, start: int, end: int) -> Iterator[bytes]:
    """The bytes `start`..`end` (inclusive) of a stored object, in blocks, without reading the rest: a
    seek on a local disk, a ranged GET on S3."""
    if end < start:
        return
    path = local_path(key)
    if path is not None:
        with open(path, "rb") as f:
            f.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                block = f.read(min(READ_BLOCK, remaining))
                if not block:
                    break
                remaining -= len(block)
                yield block
        return
    if is_s3():
        client, bucket, name = s3_client_and_key(key)
        body = client.get_object(Bucket=bucket, Key=name, Range=f"bytes={start}-{end}")["Body"]
        try:
            yield from body.iter_chunks(READ_BLOCK)
        finally:
            body.close()
        return
    with default_storage.open(key, "rb") as f:  # any other storage: seek and read
        f.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            block = f.read(min(READ_BLOCK, remaining))
            if not block:
                break
            remaining -= len(block)
            yield block


def read_all(key: str, size: int) -> bytes:
    return b"".join(read_range(key, 0, size - 1)) if size else b""


PENDING_GRACE = dt.timedelta(hours=6)
UNREFERENCED_GRACE = dt.timedelta(hours=1)
