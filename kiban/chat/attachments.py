"""Attachments: stored as blobs (`kiban.blobs`, on the storage KIBAN_STORAGE_URL chooses), typed from
their bytes, thumbnailed when they are images, served only to the conversation's members. A file from a
folder attached to a message, or an attachment saved to a folder, shares the same blob: one stored file.

The type comes from the content (`filetype` reads the magic numbers), never from the name or the
browser's claim: a file that is not a known binary type is text/plain only if all of it decodes as
UTF-8, else application/octet-stream. Only raster images are shown inline; everything else downloads
(`Content-Disposition: attachment`), so an uploaded HTML or SVG file is never rendered by the browser.
"""

from __future__ import annotations

import hashlib
import io
import warnings

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from PIL import Image

from kiban.blobs import store
from kiban.blobs.models import Blob
from kiban.blobs.store import detect_content_type  # noqa: F401 (the rule lives in blobs; tests import it here)
from kiban.chat.actions.common import field_error
from kiban.chat.models import Attachment, Conversation, Member

DEFAULT_MAX_UPLOAD = 20 * 1024 * 1024
THUMBNAIL_SIZE = (480, 480)
# Decompression bombs: a tiny PNG can claim 100,000 × 100,000 pixels. Refuse to thumbnail more than
# this many pixels (Pillow's own default warns at 89 M and fails at 179 M; we stop earlier).
MAX_IMAGE_PIXELS = 40_000_000
INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
THUMBNAIL_TYPES = INLINE_TYPES
SNIFF_BYTES = 8192


class AttachmentTooLarge(Exception):
    """The upload exceeds the size limit (the API answers 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def max_upload_bytes() -> int:
    return int(getattr(settings, "KIBAN_CHAT_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD))


def _thumbnail(data: bytes) -> tuple[bytes, str, int, int] | None:
    """(thumbnail bytes, extension, width, height) of an image, or None when it cannot be read safely."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    return None
                image.load()
                has_alpha = image.mode in ("RGBA", "LA", "P")
                thumb = image.convert("RGBA" if has_alpha else "RGB")
                thumb.thumbnail(THUMBNAIL_SIZE)
                out = io.BytesIO()
                if has_alpha:
                    thumb.save(out, "PNG", optimize=True)
                    return out.getvalue(), "png", width, height
                thumb.save(out, "JPEG", quality=82)
                return out.getvalue(), "jpg", width, height
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None


def clean_filename(name: str) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip().replace("\x00", "")
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:200] or "file"


def do_upload_attachment(user, conv: Conversation, upload: UploadedFile) -> Attachment:
    """Store an upload for `conv` (from access_conversation(user, …)); it is attached to the message the
    person posts next with its id. Raises AttachmentTooLarge or a ValidationError naming `file`."""
    if conv.archived_at is not None:
        raise field_error("conversation", _("アーカイブされた会話には投稿できません。"))
    limit = max_upload_bytes()
    if upload.size is not None and upload.size > limit:
        raise AttachmentTooLarge(limit)
    if not upload.size:
        raise field_error("file", _("空のファイルは添付できません。"))
    digest = hashlib.sha256()
    size = 0
    chunks = []
    for chunk in upload.chunks():
        size += len(chunk)
        if size > limit:
            raise AttachmentTooLarge(limit)
        digest.update(chunk)
        chunks.append(chunk)
    data = b"".join(chunks)
    blob = store.begin(prefix="chat")
    try:
        store.write_bytes(blob, data)
        blob.sha256 = digest.hexdigest()
        attachment = Attachment(
            conversation=conv, uploader=user, name=clean_filename(upload.name or ""), blob=blob,
            content_type=blob.content_type, size=size, sha256=digest.hexdigest(),
        )  # fmt: skip
        _save_with_thumbnail(attachment, data)
    except BaseException:
        store.abandon(blob)
        raise
    return attachment


def _save_with_thumbnail(attachment: Attachment, data: bytes | None) -> None:
    """Thumbnail an image (when its bytes are given), then save the row with its blob made ready."""
    thumb = _thumbnail(data) if data is not None and attachment.content_type in THUMBNAIL_TYPES else None
    if thumb is not None:
        thumb_bytes, ext, attachment.width, attachment.height = thumb
        attachment.thumbnail.save(f"thumb.{ext}", ContentFile(thumb_bytes), save=False)
    try:
        with transaction.atomic():
            if attachment.blob.state != Blob.State.READY:
                store.mark_ready(attachment.blob)
            attachment.save()
    except Exception:
        if thumb is not None:
            default_storage.delete(attachment.thumbnail.name)
        raise


def do_attach_blob(user, conv: Conversation, blob_id: int, name: str) -> Attachment:
    """An unposted attachment of `conv` (from access_conversation(user, …)) sharing an existing blob — a
    file from a folder: no byte is copied. The caller posts it with the next message as usual."""
    if conv.archived_at is not None:
        raise field_error("conversation", _("アーカイブされた会話には投稿できません。"))
    blob = Blob.objects.filter(pk=blob_id, state=Blob.State.READY).first()
    if blob is None:
        raise Http404
    data = None
    if blob.content_type in THUMBNAIL_TYPES and blob.size <= max_upload_bytes():
        data = store.read_all(blob.key, blob.size)
    attachment = Attachment(
        conversation=conv, uploader=user, name=clean_filename(name), blob=blob, content_type=blob.content_type,
        size=blob.size, sha256=blob.sha256,
    )  # fmt: skip
    with transaction.atomic():
        store.lock_ready(blob.pk)  # so the blob cannot be released before this reference commits
        _save_with_thumbnail(attachment, data)
    return attachment


def access_attachment(user, attachment_id: int) -> Attachment:
    """An attachment the person may download: they are a member of its conversation, it is not removed,
    and either it is posted or they uploaded it. Else Http404."""
    attachment = (
        Attachment.objects.select_related("blob")
        .filter(pk=attachment_id, removed_at__isnull=True, blob__isnull=False)
        .first()
    )
    if attachment is None:
        raise Http404
    if not Member.objects.filter(conversation_id=attachment.conversation_id, staff=user).exists():
        raise Http404
    if attachment.message_id is None and attachment.uploader_id != user.pk:
        raise Http404
    return attachment


def thumbnail_content_type(attachment: Attachment) -> str:
    return "image/png" if attachment.thumbnail.name.endswith(".png") else "image/jpeg"
