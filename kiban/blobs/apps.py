from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kiban.core import modules


class BlobsConfig(modules.KibanModule):
    """Stored bytes for every module (files, chat attachments, inquiry attachments): one `Blob` per stored
    object, on the storage `KIBAN_STORAGE_URL` chooses. No pages or routes of its own."""

    name = "kiban.blobs"
    label = "blobs"
    verbose_name = _("保存データ")
