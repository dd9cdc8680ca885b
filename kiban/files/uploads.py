"""Resumable uploads of files: a session names the destination (a folder, or a file for a new version),
chunks arrive (`kiban.blobs.parts`), and the last chunk creates the file like a one-request upload would.
The destination and the quota are checked when the session starts and again at completion."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from kiban.blobs import parts, store
from kiban.blobs.jobs import hash_blob
from kiban.blobs.models import UploadSession
from kiban.core.jobs import enqueue_on_commit
from kiban.files import quota
from kiban.files.actions import (
    ON_CONFLICT,
    Access,
    _add_version,
    _create_file,
    access_file,
    access_folder,
    clean_name,
    field_error,
)
from kiban.files.models import File, Permission

# S3 refuses multipart parts under 5 MiB (but the last); a local disk could take less, but one rule is simpler.
MIN_CHUNK_BYTES = 5 * 1024 * 1024


def _destination(user, purpose: dict) -> Access:
    if purpose.get("file"):
        return access_file(user, int(purpose["file"]), need=Permission.WRITE)
    return access_folder(user, int(purpose["folder"]), need=Permission.WRITE)


def begin(user, *, name: str, size: int, folder: Access | None = None, file: Access | None = None,
          on_conflict: str = "error", chunk_size: int | None = None) -> UploadSession:  # fmt: skip
    """Start a resumable upload into `folder` (or of a new version of `file`), both from access_*(…,
    need="write"), in chunks of `chunk_size` (absent: the server's default; at most
    KIBAN_FILES_MAX_CHUNK_BYTES). Raises ValidationError, TooLarge or QuotaExceeded before anything is
    stored."""
    name = clean_name(name)
    if on_conflict not in ON_CONFLICT:
        raise field_error("on_conflict", _("error、version、rename のいずれかです。"))
    smallest, largest = MIN_CHUNK_BYTES, int(settings.KIBAN_FILES_MAX_CHUNK_BYTES)
    if chunk_size is None:
        chunk_size = int(settings.KIBAN_FILES_CHUNK_BYTES)
    elif not smallest <= chunk_size <= largest:
        raise field_error(
            "chunk_size",
            _("%(min)d〜%(max)d バイトで指定してください。") % {"min": smallest, "max": largest},
        )
    limit = int(settings.KIBAN_FILES_MAX_FILE_BYTES)
    if size < 1:
        raise field_error("size", _("空のファイルはアップロードできません。"))
    if size > limit:
        raise store.TooLarge(limit)
    target = file or folder
    quota.check(quota.charged_department(target.chain[-1], user), size)
    purpose = {"file": file.file.pk} if file else {"folder": folder.folder.pk, "on_conflict": on_conflict}
    return parts.begin_session(user, name=name, size=size, chunk_size=chunk_size, purpose=purpose)


def access_session(user, token: str) -> UploadSession:
    """The person's own session (another person's token is Http404)."""
    session = UploadSession.objects.select_related("blob").filter(token=token, owner=user).first()
    if session is None:
        raise Http404
    return session


def receive(
    user, session: UploadSession, offset: int, stream, length: int
) -> tuple[UploadSession, File | None]:
    """Write a chunk; the last one completes the upload and returns the file (else None)."""
    return after_chunk(user, parts.receive_chunk(session, offset, stream, length))


def after_chunk(user, session: UploadSession) -> tuple[UploadSession, File | None]:
    """A chunk was stored and committed (`parts.commit_chunk`): complete the upload if it was the last."""
    if session.offset < session.size:
        return session, None
    return session, complete(user, session)


def complete(user, session: UploadSession) -> File:
    """Turn a complete session into a file. If that fails (access withdrawn, quota, name taken meanwhile),
    the session and its bytes are discarded at once: the error is final, and nothing waits for the sweeper."""
    try:
        return _complete(user, session)
    except BaseException:
        parts.discard_session(session)
        raise


def _complete(user, session: UploadSession) -> File:
    destination = _destination(user, session.purpose)
    blob = parts.finish_bytes(session)
    with transaction.atomic():
        store.mark_ready(blob)
        if session.purpose.get("file"):
            file = File.objects.select_for_update().get(pk=destination.file.pk)
            file = _add_version(user, file, destination, blob)
        else:
            file, _created = _create_file(
                user, destination, session.name, blob, session.purpose.get("on_conflict", "error")
            )
        UploadSession.objects.filter(pk=session.pk).delete()
        enqueue_on_commit(hash_blob, blob.pk)
    return file


def cancel(user, session: UploadSession) -> None:
    parts.discard_session(session)
