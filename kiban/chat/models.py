"""Chat: teams, conversations (dm, group, channel), members with read state, messages with a gapless
per-conversation `seq`, edits, reactions, mentions, attachments and incoming webhooks.

Writes go through kiban.chat.actions; the constraints below make the races it relies on impossible
(two dms for one pair, two messages with one seq, a reaction counted twice).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    """A set of channels and the people who see its public channels first. A team with a department is
    kept in step with that department's (and its sub-units') memberships by `do_sync_department_team`."""

    name = models.CharField(_("チーム名"), max_length=100)
    description = models.TextField(_("説明"), blank=True)
    department = models.OneToOneField(
        "org.Department",
        verbose_name=_("所属"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_team",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(_("アーカイブ日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("チーム")
        verbose_name_plural = _("チーム")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class TeamMember(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("オーナー")
        MEMBER = "member", _("メンバー")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_teams")
    role = models.CharField(_("役割"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    # Added by the department sync (and removed by it when the person leaves the department).
    from_department = models.BooleanField(default=False)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("チームメンバー")
        verbose_name_plural = _("チームメンバー")
        constraints = [models.UniqueConstraint(fields=["team", "staff"], name="chat_team_member_unique")]
        indexes = [models.Index(fields=["staff", "team"])]

    def __str__(self) -> str:
        return f"{self.staff_id} @ {self.team}"


class Conversation(models.Model):
    class Kind(models.TextChoices):
        DM = "dm", _("ダイレクトメッセージ")
        GROUP = "group", _("グループ")
        CHANNEL = "channel", _("チャンネル")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("公開")
        PRIVATE = "private", _("非公開")

    kind = models.CharField(_("種類"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("名前"), max_length=100, blank=True)
    topic = models.CharField(_("トピック"), max_length=250, blank=True)
    team = models.ForeignKey(
        Team,
        verbose_name=_("チーム"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="channels",
    )
    visibility = models.CharField(
        _("公開範囲"), max_length=16, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    # The seq of the newest message: bumped with the insert in one transaction, so seqs have no gap.
    last_seq = models.PositiveBigIntegerField(default=0)
    last_message_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(_("アーカイブ日時"), null=True, blank=True)
    # "<smaller id>:<larger id>" for a dm: the unique index makes creating a dm idempotent under a race.
    dm_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = _("会話")
        verbose_name_plural = _("会話")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="channel") | Q(team__isnull=True), name="chat_only_channels_in_teams"
            ),
            models.CheckConstraint(condition=~Q(kind="dm") | Q(dm_key__isnull=False), name="chat_dm_has_key"),
        ]
        indexes = [models.Index(fields=["team", "kind"])]

    def __str__(self) -> str:
        return self.name or f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_channel(self) -> bool:
        return self.kind == self.Kind.CHANNEL

    @property
    def is_public(self) -> bool:
        return self.kind == self.Kind.CHANNEL and self.visibility == self.Visibility.PUBLIC


class Member(models.Model):
    """A person in a conversation. Leaving deletes the row (and so the read state)."""

    class Role(models.TextChoices):
        OWNER = "owner", _("オーナー")
        MEMBER = "member", _("メンバー")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="members")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_memberships"
    )
    role = models.CharField(_("役割"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    last_read_seq = models.PositiveBigIntegerField(default=0)
    muted = models.BooleanField(_("ミュート"), default=False)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("会話メンバー")
        verbose_name_plural = _("会話メンバー")
        constraints = [models.UniqueConstraint(fields=["conversation", "staff"], name="chat_member_unique")]
        # A person's conversation list starts from their memberships.
        indexes = [models.Index(fields=["staff", "conversation"])]

    def __str__(self) -> str:
        return f"{self.staff_id} in {self.conversation_id}"


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveBigIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    bot_name = models.CharField(_("ボット名"), max_length=64, blank=True)
    body = models.TextField(_("本文"), blank=True)
    # A module's card under the text (kiban.chat.cards): title, lines, links, actions. Null for people's posts.
    card = models.JSONField(null=True, blank=True)
    # Rendered and sanitised once, at write time (kiban.chat.markdown).
    html = models.TextField(blank=True)
    thread_root = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    reply_count = models.PositiveIntegerField(default=0)
    last_reply_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    pinned_at = models.DateTimeField(null=True, blank=True)
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("メッセージ")
        verbose_name_plural = _("メッセージ")
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="chat_message_seq_unique")
        ]
        indexes = [
            models.Index(fields=["thread_root", "seq"]),
            models.Index(
                fields=["conversation", "pinned_at"],
                condition=Q(pinned_at__isnull=False),
                name="chat_message_pinned",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.seq}"

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


class MessageEdit(models.Model):
    """A body as it was before an edit (the history behind 編集済み)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="edits")
    body = models.TextField()
    edited_at = models.DateTimeField(default=timezone.now)
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("編集履歴")
        verbose_name_plural = _("編集履歴")
        ordering = ["edited_at", "id"]

    def __str__(self) -> str:
        return f"{self.message_id} @ {self.edited_at:%Y-%m-%d %H:%M}"


class Reaction(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("リアクション")
        verbose_name_plural = _("リアクション")
        constraints = [
            models.UniqueConstraint(fields=["message", "staff", "emoji"], name="chat_reaction_unique")
        ]

    def __str__(self) -> str:
        return f"{self.emoji} on {self.message_id}"


class Mention(models.Model):
    """One row per person a message mentions; @channel/@here expand to a row per member at write time, so
    a person's unread mentions in a conversation are a count over (staff, conversation, seq)."""

    class Kind(models.TextChoices):
        DIRECT = "direct", _("個人")
        CHANNEL = "channel", _("@channel")
        HERE = "here", _("@here")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mention_rows")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.DIRECT)

    class Meta:
        verbose_name = _("メンション")
        verbose_name_plural = _("メンション")
        constraints = [models.UniqueConstraint(fields=["message", "staff"], name="chat_mention_unique")]
        indexes = [models.Index(fields=["staff", "conversation", "seq"])]

    def __str__(self) -> str:
        return f"@{self.staff_id} in {self.message_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is random: the original name is only shown, never used as a path.
    import secrets

    suffix = filename[-4:] if filename[-4:] in (".png", ".jpg") else ""  # our own thumbnails only
    return f"chat/{timezone.now():%Y/%m}/{secrets.token_hex(16)}{suffix}"


class Attachment(models.Model):
    """A file uploaded into a conversation (or a folder's file attached to it); bound to a message when the
    message is posted. Downloads are for the conversation's members only (kiban.chat.attachments)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The stored bytes (kiban.blobs), shared with a folder's file when the attachment came from one or was
    # saved to one. None once the message is deleted (the blob goes when nothing else refers to it).
    blob = models.ForeignKey("blobs.Blob", null=True, on_delete=models.PROTECT, related_name="+")
    thumbnail = models.FileField(upload_to=attachment_path, max_length=255, blank=True)
    name = models.CharField(_("ファイル名"), max_length=255)
    # Detected from the bytes, never from the name or the browser's claim.
    content_type = models.CharField(max_length=128)
    size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    # Set when the message is deleted: the file is gone for everyone (the bytes are removed after commit).
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("添付ファイル")
        verbose_name_plural = _("添付ファイル")

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return bool(self.thumbnail)


class Webhook(models.Model):
    """An incoming webhook: `POST /hooks/<token>` posts into `conversation` as `bot_name`. The token is
    shown once and stored as SHA-256 like API tokens."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="webhooks")
    bot_name = models.CharField(_("ボット名"), max_length=64)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Webhook")
        verbose_name_plural = _("Webhook")

    def __str__(self) -> str:
        return self.bot_name
