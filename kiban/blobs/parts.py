"""Resumable uploads: a session, then chunks at increasing offsets, each its own request.

The client sends `PUT …?offset=N` with the next chunk; a dropped connection loses at most the chunk in
flight (Django sees a request only once its body has arrived whole), and the client asks the session's
offset and goes on from there. Chunks have the session's `chunk_size`, the last one the rest, so every
request body stays small (under the server's request-size limit) whatever the file's size.

Bytes go straight to where they stay:
- local disk: the blob's own file, each chunk written at its offset (`os.pwrite`); completing moves nothing;
- S3: an S3 multipart upload, one part per chunk; completing asks S3 to join the parts.

The offset advances by a conditional UPDATE (`offset = N` → `N + length`): of two requests carrying the
same chunk (a retry racing the original), one wins and the other gets 409 with the current offset. Both
carry the owner's own bytes for that range, so whichever was written last is the owner's chunk.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from typing import BinaryIO

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from kiban.blobs import store
from kiban.blobs.models import Blob, UploadPart, UploadSession

SESSION_IDLE = dt.timedelta(hours=24)
COPY_BLOCK = 1024 * 1024


class OffsetConflict(Exception):
    """The chunk is not at the session's offset (409 with the offset to resume from)."""

    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


class BadChunk(ValueError):
    """The chunk's length is not the one expected at this offset."""


def expected_length(session: UploadSession, offset: int) -> int:
    return min(session.chunk_size, session.size - offset)


def begin_session(owner, *, name: str, size: int, chunk_size: int, purpose: dict) -> UploadSession:
    """Create a session and its pending blob (committed before any byte is written)."""
    blob = store.begin()
    backend_id = ""
    if store.local_path(blob.key) is None and store.is_s3():
        client, bucket, key = store.s3_client_and_key(blob.key)
        backend_id = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    else:
        path = store.local_path(blob.key)
        if path is None:
            store.abandon(blob)
            raise RuntimeError("resumable uploads need a local disk or S3 storage")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return UploadSession.objects.create(
        token=secrets.token_urlsafe(24), owner=owner, blob=blob, name=name, size=size,
        chunk_size=chunk_size, purpose=purpose, backend_id=backend_id,
        expires_at=timezone.now() + SESSION_IDLE,
    )  # fmt: skip


def _read_exact(stream: BinaryIO, length: int):
    remaining = length
    while remaining > 0:
        block = stream.read(min(COPY_BLOCK, remaining))
        if not block:
            raise BadChunk(f"the chunk ended after {length - remaining} of {length} bytes")
        remaining -= len(block)
        yield block


def check_chunk(session: UploadSession, offset: int, length: int) -> None:
    """Refuse a chunk before any of its bytes are read: OffsetConflict or BadChunk."""
    if offset != session.offset:
        raise OffsetConflict(session.offset)
    if session.offset >= session.size:
        raise OffsetConflict(session.offset)
    if length != expected_length(session, offset):
        raise BadChunk(f"expected {expected_length(session, offset)} bytes at offset {offset}, got {length}")


def part_number(session: UploadSession, offset: int) -> int:
    return offset // session.chunk_size + 1


def receive_chunk(session: UploadSession, offset: int, stream: BinaryIO, length: int) -> UploadSession:
    """Write one chunk at `offset` and advance the session. Raises OffsetConflict or BadChunk."""
    check_chunk(session, offset, length)
    head = b""
    etag = ""
    if store.is_s3() and session.backend_id:
        data = b"".join(_read_exact(stream, length))
        head = data[: store.TEXT_CHECK_BYTES] if offset == 0 else b""
        etag = upload_part(session, offset, data)
    else:
        fd = open_local(session)
        try:
            position = offset
            for block in _read_exact(stream, length):
                if offset == 0 and len(head) < store.TEXT_CHECK_BYTES:
                    head += block[: store.TEXT_CHECK_BYTES - len(head)]
                while block:
                    written = os.pwrite(fd, block, position)
                    position += written
                    block = block[written:]
        finally:
            os.close(fd)
    return commit_chunk(session, offset, length, head, etag)


def open_local(session: UploadSession) -> int:
    """A descriptor for writing the session's bytes in place (local disk)."""
    return os.open(store.local_path(session.blob.key), os.O_WRONLY)


def upload_part(session: UploadSession, offset: int, data: bytes) -> str:
    """Store the chunk at `offset` as its S3 multipart part; returns the part's ETag."""
    client, bucket, key = store.s3_client_and_key(session.blob.key)
    return client.upload_part(
        Bucket=bucket,
        Key=key,
        UploadId=session.backend_id,
        PartNumber=part_number(session, offset),
        Body=data,
    )["ETag"]


def commit_chunk(session: UploadSession, offset: int, length: int, head: bytes, etag: str) -> UploadSession:
    """After the chunk's bytes are stored: advance the session's offset by a conditional UPDATE (a racing
    request with the same chunk gets OffsetConflict) and record the S3 part. `head` is the file's first bytes
    (up to store.TEXT_CHECK_BYTES) when `offset` is 0, for the type check."""
    changes = {"offset": offset + length, "expires_at": timezone.now() + SESSION_IDLE}
    if offset == 0:
        complete = length >= session.size
        changes["content_type"] = store.detect_content_type(
            head[: store.SNIFF_BYTES], [head], final=complete and len(head) == length
        )
    with transaction.atomic():
        if UploadSession.objects.filter(pk=session.pk, offset=offset).update(**changes) != 1:
            current = UploadSession.objects.filter(pk=session.pk).values_list("offset", flat=True).first()
            if current is None:
                raise Http404  # cancelled (or completed) by another request meanwhile
            raise OffsetConflict(current)
        if session.backend_id:
            UploadPart.objects.update_or_create(
                session=session, number=part_number(session, offset), defaults={"etag": etag, "size": length}
            )
    for field, value in changes.items():
        setattr(session, field, value)
    return session


def finish_bytes(session: UploadSession) -> Blob:
    """Make the bytes of a complete session the blob's (S3: join the parts). The caller then marks the blob
    ready and deletes the session in its own transaction."""
    blob = session.blob
    if session.backend_id:
        client, bucket, key = store.s3_client_and_key(blob.key)
        parts = [{"PartNumber": p.number, "ETag": p.etag} for p in session.parts.order_by("number")]
        client.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=session.backend_id, MultipartUpload={"Parts": parts}
        )
    blob.size = session.size
    blob.content_type = session.content_type or "application/octet-stream"
    return blob


def discard_session(session: UploadSession) -> None:
    """Abandon a session: its bytes (or S3 parts), its pending blob and its row."""
    blob = session.blob
    if session.backend_id:
        client, bucket, key = store.s3_client_and_key(blob.key)
        try:
            client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=session.backend_id)
        except client.exceptions.NoSuchUpload:
            pass
    store.delete_bytes(blob.key)
    with transaction.atomic():
        UploadSession.objects.filter(pk=session.pk).delete()
        Blob.objects.filter(pk=blob.pk, state=Blob.State.PENDING).delete()
