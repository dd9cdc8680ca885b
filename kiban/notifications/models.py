"""Notifications: what a person should look at (a mention, a dm, a reply, a reminder), read or unread.

Rows are written by `kiban.notifications.actions.notify` only; modules never create them directly."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_DIGEST_KINDS = "chat.dm,chat.mention"


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("受信者"),
    )
    kind = models.CharField(_("種類"), max_length=40)
    title = models.CharField(_("件名"), max_length=200)
    body = models.TextField(_("本文"), blank=True)
    url = models.CharField(_("リンク"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("送信者"),
    )
    # What the notification is about (e.g. "conversation:12"): reading the conversation up to `seq` marks
    # its notifications read (`mark_read_up_to`).
    group_key = models.CharField(_("グループ"), max_length=100, blank=True)
    seq = models.BigIntegerField(_("番号"), null=True, blank=True)
    created_at = models.DateTimeField(_("作成日時"), default=timezone.now)
    read_at = models.DateTimeField(_("既読日時"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("メール送信日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-id"]
        indexes = [
            # The notification centre: a person's newest first, paged by id (keyset).
            models.Index(fields=["recipient", "-id"], name="notif_recipient_list"),
            # The badge and the unread list: only unread rows are in it, so it stays small.
            models.Index(fields=["recipient", "-id"], condition=Q(read_at__isnull=True), name="notif_unread"),
            # Reading a conversation marks its notifications read (group_key, seq ≤ n).
            models.Index(
                fields=["recipient", "group_key", "seq"],
                condition=Q(read_at__isnull=True),
                name="notif_unread_group",
            ),
            # The email digest: unread rows not yet mailed, per kind and person.
            models.Index(
                fields=["kind", "recipient"],
                condition=Q(read_at__isnull=True, emailed_at__isnull=True),
                name="notif_digest_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.title}"


class NotificationPolicy(models.Model):
    """The email digest as an IT administrator sets it (one row; defaults when there is none)."""

    digest_enabled = models.BooleanField(_("未読のメール要約を送る"), default=True)
    digest_after_minutes = models.PositiveIntegerField(
        _("オフラインとみなすまでの時間(分)"),
        default=30,
        help_text=_("最後の接続からこの時間が過ぎた人に、未読の要約をメールで送ります。"),
    )
    digest_kinds = models.CharField(
        _("要約に含める通知の種類"),
        max_length=300,
        default=DEFAULT_DIGEST_KINDS,
        help_text=_("カンマ区切り(例: chat.dm,chat.mention,chat.reply)"),
    )

    class Meta:
        verbose_name = _("通知ポリシー")
        verbose_name_plural = _("通知ポリシー")

    def __str__(self) -> str:
        return str(_("通知ポリシー"))

    @classmethod
    def current(cls) -> NotificationPolicy:
        return cls.objects.order_by("pk").first() or cls()

    @property
    def kinds(self) -> list[str]:
        return [k.strip() for k in self.digest_kinds.split(",") if k.strip()]


class NotificationPreference(models.Model):
    """A person's own choices (no row = the defaults)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("職員"),
    )
    email_digest = models.BooleanField(_("未読のメール要約を受け取る"), default=True)

    class Meta:
        verbose_name = _("通知の設定")
        verbose_name_plural = _("通知の設定")

    def __str__(self) -> str:
        return f"{self.user_id}: digest={'on' if self.email_digest else 'off'}"
