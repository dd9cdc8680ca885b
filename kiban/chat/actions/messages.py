"""Messages: post (the hot path), edit, delete, reactions, pins; mentions and notifications."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.accounts.models import Staff
from kiban.blobs import store
from kiban.chat import audiences as chat_audiences
from kiban.chat import jobs as chat_jobs
from kiban.chat import markdown
from kiban.chat.actions.common import MAX_BODY, field_error
from kiban.chat.cards import clean_card
from kiban.chat.events import (
    MessageCreated,
    MessageDeleted,
    MessageUpdated,
    ReactionAdded,
    ReactionRemoved,
)
from kiban.chat.models import Attachment, Conversation, Member, Mention, Message, MessageEdit, Reaction
from kiban.chat.queries import messages_with_details
from kiban.chat.schemas import MessageOut
from kiban.chat.serializers import conversation_url, message_out, reactions_out
from kiban.core import audit
from kiban.notifications.actions import notify, scrub_notifications
from kiban.realtime import publish
from kiban.realtime.actions import scrub_events
from kiban.realtime.presence import connected

MAX_ATTACHMENTS = 10
MAX_EMOJI = 32
EXCERPT = 120


def access_message(user, message_id: int) -> Message:
    """The message if `user` is a member of its conversation (the member row at
    `message.conversation.membership`); else Http404."""
    message = Message.objects.select_related("conversation", "author").filter(pk=message_id).first()
    if message is None:
        raise Http404
    member = Member.objects.filter(conversation_id=message.conversation_id, staff=user).first()
    if member is None:
        raise Http404
    message.conversation.membership = member
    return message


def _clean_body(body: str | None, *, allow_empty: bool) -> str:
    body = (body or "").rstrip()
    if not body.strip() and not allow_empty:
        raise field_error("body", _("本文を入力してください。"))
    if len(body) > MAX_BODY:
        raise field_error("body", _("%(max)d文字以内で入力してください。") % {"max": MAX_BODY})
    if "\x00" in body:
        raise field_error("body", _("使えない文字が含まれています。"))
    return body


def _resolve_mentions(
    body: str, conv: Conversation, *, expand: bool = True
) -> tuple[dict[str, markdown.MentionTarget], dict[int, str]]:
    """Mentions written in `body` resolved against the conversation's members (only members can read the
    message, so only they can be mentioned). Returns the renderer's map and {staff_id: kind}. With
    `expand=False`, @channel/@here are left to the caller (`_expand_everyone`, over the members it read)."""
    words = markdown.mention_tokens(body)
    if not words:
        return {}, {}
    members = Member.objects.filter(conversation=conv)
    # "@channel 訓練" is read as @channel (a person's name is never "channel …").
    named = [word for word in words if word.split(" ", 1)[0].lower() not in markdown.ALL_MENTIONS]
    if named:
        # Only the people meant (by 職員番号 or by name, as `by_word` below reads them), then which of them
        # are members: a few rows even in a channel of 5,000.
        candidates = {*named, *(markdown.strip_honorific(word) for word in named)}
        people = (
            Staff.objects.annotate(
                joined=Concat("family_name", "given_name"),
                spaced=Concat("family_name", Value(" "), "given_name"),
            )
            .filter(Q(username__in=candidates) | Q(joined__in=candidates) | Q(spaced__in=candidates))
            .values("pk")
        )
        rows = list(
            members.filter(staff_id__in=people).values_list(
                "staff_id", "staff__username", "staff__family_name", "staff__given_name"
            )
        )
    else:
        rows = []
    if expand and len(named) < len(words):
        # @channel/@here: every member (no names of 5,000 people to index).
        rows += [(staff_id, None, "", "") for staff_id in members.values_list("staff_id", flat=True)]
    by_word: dict[str, tuple[int, markdown.MentionTarget]] = {}
    for staff_id, username, family, given in rows:
        if username is None:
            continue
        display = f"{family} {given}".strip() or username
        target = markdown.MentionTarget(username=username, display=display)
        by_word[username] = (staff_id, target)
        if family or given:
            by_word.setdefault(f"{family}{given}", (staff_id, target))
            by_word.setdefault(f"{family} {given}".strip(), (staff_id, target))
    mapping: dict[str, markdown.MentionTarget] = {}
    kinds: dict[int, str] = {}
    everyone = ""
    for word in words:
        bare = markdown.strip_honorific(word)
        key = word if word in by_word else bare if bare in by_word else None
        if key is not None:
            staff_id, target = by_word[key]
            mapping[key] = target
            kinds[staff_id] = Mention.Kind.DIRECT
        elif word.lower() in markdown.ALL_MENTIONS and conv.kind != Conversation.Kind.DM:
            mapping[word] = markdown.MentionTarget(everyone="here" if word.lower() == "here" else "channel")
            everyone = "here" if word.lower() == "here" and everyone != "channel" else "channel"
    if everyone and expand:
        _expand_everyone(kinds, everyone, [staff_id for staff_id, *_rest in rows])
    return mapping, kinds


def _everyone(mapping: dict[str, markdown.MentionTarget]) -> str:
    kinds = {target.everyone for target in mapping.values() if target.everyone}
    return "channel" if "channel" in kinds else "here" if kinds else ""


def _expand_everyone(kinds: dict[int, str], everyone: str, member_ids: list[int]) -> None:
    targets = member_ids
    if everyone == "here":
        # @here is for the people connected right now (Slack's meaning), @channel for everyone.
        online = connected(targets)
        targets = [staff_id for staff_id in targets if staff_id in online]
    for staff_id in targets:
        kinds.setdefault(staff_id, everyone)


def _next_seq(conv_id: int, now) -> int:
    """Take the next seq. The UPDATE locks the conversation row (PostgreSQL) or runs under the write lock
    the IMMEDIATE transaction took at BEGIN (SQLite), so concurrent posters queue here; the insert that
    follows commits or rolls back with it, so seqs have neither gap nor duplicate."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE chat_conversation SET last_seq = last_seq + 1, last_message_at = %s "
            "WHERE id = %s AND archived_at IS NULL RETURNING last_seq",
            [connection.ops.adapt_datetimefield_value(now), conv_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise field_error("conversation", _("アーカイブされた会話には投稿できません。"))
    return int(row[0])


def do_post_message(
    author,
    conv: Conversation,
    body: str,
    *,
    thread_root_id: int | None = None,
    attachment_ids: Iterable[int] = (),
    bot_name: str = "",
    card: dict | None = None,
) -> Message:
    """Store a message with the next seq, then (after commit) announce it to every member and notify the
    mentioned, the dm partner and the thread's participants. `author` is None for a webhook's bot;
    otherwise `conv` comes from access_conversation(author, …). Bad input raises ValidationError naming the
    field, and nothing is written."""
    attachment_ids = list(dict.fromkeys(int(i) for i in attachment_ids))
    body = _clean_body(body, allow_empty=bool(attachment_ids))
    card = clean_card(card)
    if conv.archived_at is not None:
        raise field_error("conversation", _("アーカイブされた会話には投稿できません。"))
    if len(attachment_ids) > MAX_ATTACHMENTS:
        raise field_error("attachments", _("添付は%(max)d件までです。") % {"max": MAX_ATTACHMENTS})
    root = None
    if thread_root_id is not None:
        root = (
            Message.objects.filter(pk=thread_root_id, conversation=conv)
            .only("id", "thread_root_id", "author_id")
            .first()
        )
        if root is None:
            raise field_error("thread_root", _("この会話のメッセージを指定してください。"))
        if root.thread_root_id is not None:  # a reply to a reply joins the same thread
            root = Message.objects.only("id", "thread_root_id", "author_id").get(pk=root.thread_root_id)
    attachments: list[Attachment] = []
    if attachment_ids:
        attachments = list(
            Attachment.objects.filter(
                pk__in=attachment_ids,
                conversation=conv,
                uploader=author,
                message__isnull=True,
                removed_at__isnull=True,
            )
        )
        if len(attachments) != len(attachment_ids) or author is None:
            raise field_error("attachments", _("この会話にアップロードした未使用の添付を指定してください。"))
    mapping, mention_kinds = _resolve_mentions(body, conv, expand=False)
    html = markdown.render(body, mapping)
    now = timezone.now()
    with transaction.atomic():
        seq = _next_seq(conv.pk, now)
        # Read after taking the conversation's lock (the seq UPDATE), which membership changes take too
        # (`conversations._lock_conversation`): a member removed before this post never receives it, live
        # or by catch-up, and one added after it is not told of it. At most INLINE_MEMBERS + 1 rows: a
        # larger conversation is addressed as an audience (its members as of now, see kiban.chat.audiences)
        # that the fan-out resolves after the commit, so the poster pays nothing per member.
        members = _Members.read(conv.pk)
        message = Message.objects.create(
            conversation=conv, seq=seq, author=author, bot_name=bot_name, body=body, html=html,
            thread_root=root, created_at=now, card=card,
        )  # fmt: skip
        if attachments:
            Attachment.objects.filter(pk__in=attachment_ids).update(message=message)
        if root is not None:
            Message.objects.filter(pk=root.pk).update(reply_count=F("reply_count") + 1, last_reply_at=now)
        # Only members can be mentioned; the members are those read under the lock.
        named = members.among(mention_kinds)
        mention_kinds = {sid: k for sid, k in mention_kinds.items() if sid in named}
        everyone = _everyone(mapping)
        if everyone and members.ids is not None:
            _expand_everyone(mention_kinds, everyone, members.ids)
        if author is not None:
            mention_kinds.pop(author.pk, None)  # no unread mention from oneself
        _store_mentions(message, conv, mention_kinds)
        if author is not None:
            Member.objects.filter(conversation=conv, staff=author, last_read_seq__lt=seq).update(
                last_read_seq=seq
            )
        conv.last_seq = seq
        conv.last_message_at = now
        data = message_out(
            message,
            reactions=[],
            attachments=attachments,
            mentions=list(dict.fromkeys(t.username for t in mapping.values() if t.username)),
        )
        publish(members.audience, MessageCreated(message=data))
        if root is not None:
            # The root's reply count and time changed: clients showing it need not count for themselves.
            publish(members.audience, MessageUpdated(message=_fresh_out(root)))
        notified = _notify(message, conv, author, members, mention_kinds, root, everyone)
        if everyone and members.ids is None:
            # The @channel/@here rows and notifications of a large conversation: a job whose row is part of
            # this transaction (the outbox), so nothing is lost if the process dies before it runs.
            has_row = sorted({*mention_kinds, *([author.pk] if author is not None else [])})
            chat_jobs.fan_out_wide_post.enqueue(message.pk, everyone, members.upto, has_row, sorted(notified))
    return message


# Up to this many members a post reads its conversation's members under the lock and lists them in its
# events; a larger one is addressed as an audience resolved after the commit (kiban.chat.audiences).
INLINE_MEMBERS = 200


class _Members:
    """The members a post goes to, as read under the conversation's lock: listed (`ids`, a small
    conversation) or, for a large one, pinned by `upto` (the member row horizon) and looked up per person
    only where needed (the people mentioned by name, the thread's participants)."""

    __slots__ = ("audience", "conv_id", "ids", "muted", "upto")

    def __init__(self, conv_id: int, rows: list[tuple[int, bool]] | None, upto: int = 0) -> None:
        self.conv_id = conv_id
        self.upto = upto
        if rows is None:
            self.ids = None
            self.muted: set[int] = set()
            self.audience = chat_audiences.members(conv_id, upto)
        else:
            self.ids = [staff_id for staff_id, _muted in rows]
            self.muted = {staff_id for staff_id, muted in rows if muted}
            self.audience = self.ids

    @classmethod
    def read(cls, conv_id: int) -> _Members:
        with connection.cursor() as cursor:  # plain tuples, at most INLINE_MEMBERS + 1 of them
            cursor.execute(
                f"SELECT staff_id, muted FROM {Member._meta.db_table} WHERE conversation_id = %s LIMIT %s",  # noqa: S608
                [conv_id, INLINE_MEMBERS + 1],
            )
            rows = [(int(staff_id), bool(muted)) for staff_id, muted in cursor.fetchall()]
        if len(rows) <= INLINE_MEMBERS:
            return cls(conv_id, rows)
        return cls(conv_id, None, chat_audiences.member_horizon())

    def among(self, staff_ids: Iterable[int]) -> set[int]:
        """Which of these people are members (and note who of them muted the conversation)."""
        wanted = set(staff_ids)
        if not wanted:
            return set()
        if self.ids is not None:
            return wanted & set(self.ids)
        rows = Member.objects.filter(conversation_id=self.conv_id, staff_id__in=wanted, id__lte=self.upto)
        found = set()
        for staff_id, muted in rows.values_list("staff_id", "muted"):
            found.add(staff_id)
            if muted:
                self.muted.add(staff_id)
        return found


def _store_mentions(message: Message, conv: Conversation, kinds: dict[int, str]) -> None:
    """Mention rows (unread mention counts) of a conversation's post: at most INLINE_MEMBERS of them here (a
    large conversation's @channel/@here rows are written by `jobs.fan_out_wide_post`)."""
    if kinds:
        Mention.objects.bulk_create(
            [
                Mention(message=message, staff_id=sid, conversation=conv, seq=message.seq, kind=k)
                for sid, k in kinds.items()
            ]
        )


def _notify(
    message: Message,
    conv: Conversation,
    author,
    members: _Members,
    mention_kinds: dict[int, str],
    root: Message | None,
    everyone: str = "",
) -> set[int]:
    """One notification per person at most: a mention, else a dm, else a reply in their thread. Muted
    members hear only direct mentions; the author hears nothing. Returns who was notified (a large
    conversation's @channel/@here notifications follow from `jobs.fan_out_wide_post`, which skips them)."""
    author_id = author.pk if author is not None else None
    who = author.full_name if author is not None else message.bot_name
    # As a person reads it: names for mentions, no Markdown markers.
    excerpt = markdown.plain_text(message.html)[:EXCERPT]
    common = {
        "body": excerpt,
        "url": f"{conversation_url(conv)}?seq={message.seq}",
        "actor": author,
        "group_key": f"chat.conversation:{conv.pk}",
        "seq": message.seq,
    }
    done: set[int] = {author_id} if author_id else set()
    mentioned = [
        sid for sid, kind in mention_kinds.items()
        if sid not in done and (kind == Mention.Kind.DIRECT or sid not in members.muted)
    ]  # fmt: skip
    if mentioned:
        notify(
            mentioned, kind="chat.mention", title=_("%(who)sさんからのメンション") % {"who": who}, **common
        )
        done.update(mentioned)
    if conv.kind == Conversation.Kind.DM and members.ids is not None:
        partner = [sid for sid in members.ids if sid not in done and sid not in members.muted]
        if partner:
            notify(partner, kind="chat.dm", title=_("%(who)sさんからのメッセージ") % {"who": who}, **common)
            done.update(partner)
    if root is not None and not (everyone == Mention.Kind.CHANNEL and members.ids is None):
        # (A large conversation's @channel tells every unmuted member, thread participants included.)
        participants = set(
            Message.objects.filter(Q(pk=root.pk) | Q(thread_root=root), author__isnull=False)
            .values_list("author_id", flat=True)
            .distinct()
        )
        in_conv = members.among(participants)
        repliers = [
            sid for sid in participants if sid in in_conv and sid not in done and sid not in members.muted
        ]
        if repliers:
            notify(
                repliers,
                kind="chat.reply",
                title=_("%(who)sさんがスレッドに返信しました") % {"who": who},
                **common,
            )
            done.update(repliers)
    return done


def _members_of(conv_id: int):
    """Whom an event about the conversation goes to: its members listed, or for a large conversation its
    members as of now as an audience (resolved by the fan-out, not here)."""
    return _Members.read(conv_id).audience


def _fresh_out(message: Message) -> MessageOut:
    return message_out(messages_with_details(Message.objects.filter(pk=message.pk)).get())


def do_set_card(message: Message, card: dict | None) -> Message:
    """Replace a module's card on its message (e.g. "done" after the card's action ran) and tell the members.
    Called by the module that wrote the card, which has authorised the change."""
    card = clean_card(card)
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(card=card)
        message.card = card
        publish(_members_of(message.conversation_id), MessageUpdated(message=_fresh_out(message)))
    return message


def do_edit_message(user, message: Message, body: str) -> Message:
    """The author edits their message; the old body is kept as a MessageEdit (the 編集済み history)."""
    if message.author_id != user.pk:
        raise PermissionDenied(_("自分のメッセージだけを編集できます。"))
    if message.deleted_at is not None:
        raise field_error("message", _("削除されたメッセージは編集できません。"))
    if message.conversation.archived_at is not None:
        raise field_error("conversation", _("アーカイブされた会話は変更できません。"))
    body = _clean_body(body, allow_empty=message.attachments.exists())
    if body == message.body:
        return message
    mapping, mention_kinds = _resolve_mentions(body, message.conversation)
    now = timezone.now()
    with transaction.atomic():
        MessageEdit.objects.create(message=message, body=message.body, edited_at=now, editor=user)
        message.body = body
        message.html = markdown.render(body, mapping)
        message.edited_at = now
        message.save(update_fields=["body", "html", "edited_at"])
        # Mention rows follow the text (unread mention counts with them); no second notification.
        Mention.objects.filter(message=message).delete()
        Mention.objects.bulk_create(
            [Mention(message=message, staff_id=sid, conversation_id=message.conversation_id, seq=message.seq, kind=k)
             for sid, k in mention_kinds.items()]
        )  # fmt: skip
        publish(_members_of(message.conversation_id), MessageUpdated(message=_fresh_out(message)))
    return message


def do_delete_message(user, message: Message) -> Message:
    """The author deletes a message; in a channel or group its owners may too, in a dm nobody else (both
    people are a dm's owners, and neither may erase what the other wrote). A tombstone stays (same id and
    seq, no body), its attachments become unreachable and their bytes are removed after commit."""
    is_author = message.author_id == user.pk
    if not is_author and (
        message.conversation.kind == Conversation.Kind.DM
        or message.conversation.membership.role != Member.Role.OWNER
    ):
        raise PermissionDenied(
            _("自分のメッセージ、またはオーナーとして会話のメッセージだけを削除できます。")
        )
    if message.deleted_at is not None:
        return message
    now = timezone.now()
    old_body, old_html = message.body, message.html
    with transaction.atomic():
        message.body = ""
        message.html = ""
        message.deleted_at = now
        message.pinned_at = None
        message.pinned_by = None
        message.save(update_fields=["body", "html", "deleted_at", "pinned_at", "pinned_by"])
        MessageEdit.objects.filter(message=message).delete()
        Mention.objects.filter(message=message).delete()
        Reaction.objects.filter(message=message).delete()
        files = list(Attachment.objects.filter(message=message, removed_at__isnull=True))
        Attachment.objects.filter(pk__in=[a.pk for a in files]).update(removed_at=now, blob=None)
        transaction.on_commit(lambda: _delete_files(files))
        if not is_author:
            audit.record("chat.message.delete", actor=user, target=message, author_id=message.author_id)
        publish(
            _members_of(message.conversation_id),
            MessageDeleted(message=message_out(message, reactions=[], attachments=[], mentions=[])),
        )
        # The text goes from everywhere it was copied: the notifications quoting it, the stored events.
        quoted = scrub_notifications(f"chat.conversation:{message.conversation_id}", message.seq)
        scrub_events([old_body, old_html, old_body[:EXCERPT], *quoted])
    return message


def _delete_files(attachments: list[Attachment]) -> None:
    """The bytes go unless a folder still holds the same file (kiban.blobs.store.release decides)."""
    store.release([a.blob_id for a in attachments if a.blob_id])
    for attachment in attachments:
        if attachment.thumbnail:
            attachment.thumbnail.storage.delete(attachment.thumbnail.name)


def clean_emoji(emoji: str | None) -> str:
    emoji = (emoji or "").strip()
    if not emoji:
        raise field_error("emoji", _("絵文字を指定してください。"))
    if len(emoji) > MAX_EMOJI or any(ch.isspace() for ch in emoji) or "<" in emoji or ">" in emoji:
        raise field_error("emoji", _("絵文字が正しくありません。"))
    return emoji


def do_react(user, message: Message, emoji: str, *, add: bool | None = None) -> bool:
    """Add (`add=True`), remove (`False`) or toggle (`None`) the person's reaction. Returns whether the
    reaction is there afterwards. Nothing is announced when nothing changed."""
    emoji = clean_emoji(emoji)
    if message.deleted_at is not None:
        raise field_error("message", _("削除されたメッセージです。"))
    with transaction.atomic():
        # One reaction change per message at a time: the `reactions` list each event carries is then read
        # in commit order, so the last event a client gets is the message's current list.
        list(Message.objects.select_for_update().filter(pk=message.pk).values_list("pk"))
        existing = Reaction.objects.filter(message=message, staff=user, emoji=emoji)
        if add is None:
            add = not existing.exists()
        if add:
            try:
                with transaction.atomic():
                    Reaction.objects.create(message=message, staff=user, emoji=emoji)
            except IntegrityError:
                return True
            event_type = ReactionAdded
        else:
            deleted, _rows = existing.delete()
            if not deleted:
                return False
            event_type = ReactionRemoved
        event = event_type(
            message_id=message.pk,
            conversation=message.conversation_id,
            emoji=emoji,
            username=user.username,
            reactions=reactions_out(message.reactions.select_related("staff")),
        )
        publish(_members_of(message.conversation_id), event)
    return add


def do_pin_message(user, message: Message, pinned: bool = True) -> Message:
    """Any member pins or unpins a message (the conversation's 📌 list)."""
    if message.deleted_at is not None:
        raise field_error("message", _("削除されたメッセージです。"))
    if (message.pinned_at is not None) == pinned:
        return message
    with transaction.atomic():
        message.pinned_at = timezone.now() if pinned else None
        message.pinned_by = user if pinned else None
        message.save(update_fields=["pinned_at", "pinned_by"])
        publish(_members_of(message.conversation_id), MessageUpdated(message=_fresh_out(message)))
    return message
