"""Background upkeep of chat: uploads never attached to a message are removed after a day."""

from __future__ import annotations

import datetime as dt

from kiban.core.jobs import job

ORPHAN_AFTER = dt.timedelta(days=1)


@job(retries=3, every=dt.timedelta(hours=6))
def prune_orphan_uploads() -> int:
    """Delete attachments uploaded but never posted (a closed tab, a cancelled message) and their files."""
    from django.utils import timezone

    from kiban.blobs import store
    from kiban.chat.models import Attachment

    old = Attachment.objects.filter(message__isnull=True, created_at__lt=timezone.now() - ORPHAN_AFTER)
    removed = 0
    for attachment in old.iterator():
        if attachment.thumbnail:
            attachment.thumbnail.storage.delete(attachment.thumbnail.name)
        attachment.delete()
        # The bytes stay if a folder's file shares them (an attachment made from a folder file).
        store.release([attachment.blob_id] if attachment.blob_id else [])
        removed += 1
    return removed


@job(retries=10, backoff=5.0, max_backoff=300.0)
def store_wide_mentions(message_id: int, skipped: list[int]) -> int:
    """The @channel mention rows of a message to a large channel: one per member except `skipped` (the author
    and those mentioned by name), in one INSERT … SELECT. Enqueued in the posting transaction; safe to run
    again (existing rows are kept)."""
    from django.db import connection

    from kiban.chat.models import Member, Mention, Message

    message = (
        Message.objects.filter(pk=message_id, deleted_at__isnull=True).only("conversation_id", "seq").first()
    )
    if message is None:
        return 0
    where = " AND staff_id NOT IN (" + ",".join(["%s"] * len(skipped)) + ")" if skipped else ""
    verb, tail = (
        ("INSERT", " ON CONFLICT DO NOTHING")
        if connection.vendor == "postgresql"
        else ("INSERT OR IGNORE", "")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"{verb} INTO {Mention._meta.db_table} (message_id, staff_id, conversation_id, seq, kind) "  # noqa: S608
            f"SELECT %s, staff_id, %s, %s, %s FROM {Member._meta.db_table} WHERE conversation_id = %s{where}{tail}",
            [message_id, message.conversation_id, message.seq, Mention.Kind.CHANNEL.value, message.conversation_id,
             *skipped],
        )  # fmt: skip
        return cursor.rowcount


@job(retries=3, every=dt.timedelta(minutes=10))
def pass_on_retired_ownership() -> int:
    """Ownership passes on when an owner retires (the HR import or SCIM retires people below chat, so chat
    looks): each group or channel whose owners are all retired gets its longest-standing active member as
    owner, under the conversation's lock, and its members hear it (`conversation.members`, `owners`).
    Returns how many conversations changed hands."""
    # Function-level: the chat actions import this module (they enqueue `store_wide_mentions`).
    from django.db import transaction
    from django.db.models import Exists, OuterRef

    from kiban.chat.actions.conversations import _lock_conversation, announce_members, pass_on_ownership
    from kiban.chat.models import Conversation, Member

    owners = Member.objects.filter(conversation=OuterRef("pk"), role=Member.Role.OWNER)
    orphaned = (
        Conversation.objects.exclude(kind=Conversation.Kind.DM)
        .filter(Exists(owners.filter(staff__is_active=False)))
        .exclude(Exists(owners.filter(staff__is_active=True)))
        .order_by("pk")
    )
    changed = 0
    for conv in orphaned.iterator():
        with transaction.atomic():
            _lock_conversation(conv)
            heir = pass_on_ownership(conv)
            if heir:
                announce_members(conv, owners=[heir])
                changed += 1
    return changed
