"""Cross-cutting records: the append-only audit log and outgoing email."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiban.core import closed_days

# How long audit entries are kept. The database refuses to delete younger ones (migration core 0002,
# which has its own copy of this number: a migration must not change when this constant does).
AUDIT_RETENTION_DAYS = 365


class AuditEntry(models.Model):
    """Who did what, when, from where. Append-only: database triggers refuse UPDATE and DELETE
    (migration core 0002), so not even a bug or a Django admin action can rewrite history."""

    at = models.DateTimeField(_("日時"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("実行者"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField(_("実行者ID"), max_length=150, blank=True, db_index=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    target_type = models.CharField(_("対象種別"), max_length=64, blank=True)
    target_id = models.CharField(_("対象ID"), max_length=64, blank=True)
    target_repr = models.CharField(_("対象"), max_length=255, blank=True)
    ip = models.GenericIPAddressField(_("アドレス"), null=True, blank=True)
    detail = models.JSONField(_("詳細"), default=dict, blank=True)

    class Meta:
        verbose_name = _("監査ログ")
        verbose_name_plural = _("監査ログ")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action} {self.target_repr}"


class OutgoingEmail(models.Model):
    """One email to send. The send job locks this row and marks it sent in the same transaction that
    follows the SMTP transaction, so a retried or duplicated job never sends it twice."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("送信待ち")
        SENDING = "sending", _("送信中")
        SENT = "sent", _("送信済み")
        FAILED = "failed", _("失敗")

    created_at = models.DateTimeField(default=timezone.now)
    to = models.JSONField()
    subject = models.CharField(max_length=998)
    body = models.TextField()
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    attachments = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("送信メール")
        verbose_name_plural = _("送信メール")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject


class ClosedDay(models.Model):
    """A day the offices are closed besides the national holidays: 年末年始 (12/29–1/3, created by migration
    core 0004) and a prefecture's own days. Shown like a holiday in every calendar and booking grid, and
    skipped by the meeting-time finder. Without a year it recurs every year."""

    name = models.CharField(_("名称"), max_length=50)
    month = models.PositiveSmallIntegerField(_("月"))
    day = models.PositiveSmallIntegerField(_("日"))
    year = models.PositiveSmallIntegerField(_("年"), null=True, blank=True, help_text=_("空欄なら毎年"))

    class Meta:
        verbose_name = _("閉庁日")
        verbose_name_plural = _("閉庁日")
        ordering = ["year", "month", "day"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(month__gte=1, month__lte=12, day__gte=1, day__lte=31),
                name="closedday_valid_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.month}/{self.day}" + (f" ({self.year})" if self.year else "")

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        closed_days.clear()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        closed_days.clear()
        return result
