"""The files domain's refusals as HTTP statuses, each with a detail naming the field: one table for the API
(`kiban.files.api`) and for chunk bodies received outside Django (`kiban.files.receiver`)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kiban.blobs import parts, store
from kiban.files import actions
from kiban.files.quota import QuotaExceeded


def refusal(exc: BaseException) -> tuple[int, str] | None:
    """(status, detail) for a refusal of the files domain, or None for any other exception."""
    if isinstance(exc, store.TooLarge):
        return 413, _("file: %(mb)d MB を超えるファイルはアップロードできません。") % {
            "mb": exc.limit // (1024 * 1024)
        }
    if isinstance(exc, QuotaExceeded):
        return 413, exc.detail
    if isinstance(exc, actions.NameTaken):
        return 409, exc.detail
    if isinstance(exc, parts.OffsetConflict):
        return 409, _("offset: このアップロードは %(offset)d バイト目から続けてください。") % {
            "offset": exc.offset
        }
    if isinstance(exc, parts.BadChunk):
        return 400, f"body: {exc}"
    if isinstance(exc, store.BlobGone):
        return 409, _("file: このファイルは削除されました。")
    return None
