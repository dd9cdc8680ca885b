"""Background upkeep of chat: uploads never attached to a message are removed after a day."""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.blobs import store
from kiban.chat import markdown
from kiban.chat.actions import conversations as conversation_actions
from kiban.chat.actions import messages as message_actions
from kiban.chat.audiences import members_upto
from kiban.chat.models import Attachment, Conversation, Member, Mention, Message
from kiban.chat.serializers import conversation_url
from kiban.core.jobs import job
from kiban.notifications.actions import notify
from kiban.realtime.fanout import ids_source
from kiban.realtime.presence import connected

ORPHAN_AFTER = dt.timedelta(days=1)


@job(retries=3, every=dt.timedelta(hours=6))
def prune_orphan_uploads() -> int:
    """Delete attachments uploaded but never posted (a closed tab, a cancelled message) and their files."""

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


@job(retries=10, backoff=5.0, max_backoff=300.0)
def fan_out_wide_post(
    message_id: int, everyone: str, upto: int, has_row: list[int], notified: list[int]
) -> int:
    """An @channel / @here post to a large conversation, after its commit: the mention rows (unread mention
    counts) of the members as they were at the post (member row id ≤ `upto`, see kiban.chat.audiences) but
    `has_row` (the author, those mentioned by name), and their notification, but not to `notified` (told on
    the request path) nor to members who muted the conversation. @here: only the people connected now.
    Enqueued in the posting transaction (the outbox); safe to run again (rows and notifications are kept
    once per message and person)."""

    message = (
        Message.objects.select_related("conversation", "author")
        .filter(pk=message_id, deleted_at__isnull=True)
        .first()
    )
    if message is None:
        return 0
    conv = message.conversation
    members = members_upto(conv.pk, upto)
    skip = set(has_row)
    targets = [sid for sid, _muted in members if sid not in skip]
    if everyone == Mention.Kind.HERE:
        online = connected(targets)
        targets = [sid for sid in targets if sid in online]
    source, param = ids_source(targets)
    verb, tail = (
        ("INSERT", " ON CONFLICT DO NOTHING")
        if connection.vendor == "postgresql"
        else ("INSERT OR IGNORE", "")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"{verb} INTO {Mention._meta.db_table} (message_id, staff_id, conversation_id, seq, kind) "  # noqa: S608
            f"SELECT %s, value, %s, %s, %s FROM {source}{tail}",
            [message.pk, conv.pk, message.seq, everyone, param],
        )
    muted = {sid for sid, is_muted in members if is_muted}
    told = set(notified)
    tell = [sid for sid in targets if sid not in muted and sid not in told]
    author = message.author
    who = author.full_name if author is not None else message.bot_name
    notify(
        tell,
        kind="chat.mention",
        title=_("%(who)sさんからのメンション") % {"who": who},
        body=markdown.plain_text(message.html)[: message_actions.EXCERPT],
        url=f"{conversation_url(conv)}?seq={message.seq}",
        actor=author,
        group_key=f"chat.conversation:{conv.pk}",
        seq=message.seq,
    )
    return len(targets)


@job(retries=3, every=dt.timedelta(minutes=10))
def pass_on_retired_ownership() -> int:
    """Ownership passes on when an owner retires (the HR import or SCIM retires people below chat, so chat
    looks): each group or channel whose owners are all retired gets its longest-standing active member as
    owner, under the conversation's lock, and its members hear it (`conversation.members`, `owners`).
    Returns how many conversations changed hands."""
    # Function-level: the chat actions import this module (they enqueue `store_wide_mentions`).

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
            conversation_actions._lock_conversation(conv)
            heir = conversation_actions.pass_on_ownership(conv)
            if heir:
                conversation_actions.announce_members(conv, owners=[heir])
                changed += 1
    return changed
