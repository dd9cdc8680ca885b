"""One stored file in a folder and in a chat message: posting a folder's file in a conversation, and saving a
chat attachment to a folder, both share the blob — no byte is copied."""

from __future__ import annotations

from django.db import transaction

from kiban.blobs import store
from kiban.chat import actions as chat_actions
from kiban.chat.attachments import access_attachment, do_attach_blob
from kiban.files.actions import Access, _create_file, clean_name, field_error
from kiban.files.models import File


def do_send_to_conversation(user, target: Access, conversation_id: int, comment: str = ""):
    """Post `target.file` (which the person may read) in a conversation they are a member of, with an
    optional comment. Returns the message."""

    conv = chat_actions.access_conversation(user, conversation_id)
    attachment = do_attach_blob(user, conv, target.file.blob_id, target.file.name)
    return chat_actions.do_post_message(user, conv, comment or "", attachment_ids=[attachment.pk])


def do_save_attachment(user, attachment_id: int, folder: Access, *, name: str | None = None,
                       on_conflict: str = "error") -> tuple[File, bool]:  # fmt: skip
    """Save a chat attachment the person may download into `folder` (from access_folder(…, need="write"))."""

    attachment = access_attachment(user, attachment_id)
    name = clean_name(name if name else attachment.name)
    if on_conflict not in ("error", "version", "rename"):
        raise field_error("on_conflict", "error, version, rename")
    with transaction.atomic():
        blob = store.lock_ready(attachment.blob_id)
        return _create_file(user, folder, name, blob, on_conflict)
