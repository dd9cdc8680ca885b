"""The organisation: departments as a tree (部局 → 課/室 → 係), memberships (兼務), and reshuffles (人事異動)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    code = models.CharField(_("所属コード"), max_length=32, unique=True)
    name = models.CharField(_("所属名"), max_length=128)
    name_kana = models.CharField(_("所属名カナ"), max_length=128, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上位所属"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    order = models.IntegerField(_("表示順"), default=0)
    is_active = models.BooleanField(_("有効"), default=True)
    extension = models.CharField(_("代表内線"), max_length=32, blank=True)
    email = models.EmailField(_("代表メール"), blank=True)

    class Meta:
        verbose_name = _("所属")
        verbose_name_plural = _("所属")
        ordering = ["order", "code"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="department_not_own_parent")
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A person's place in a department. One primary (本務) per person; others are 兼務."""

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="memberships")
    title = models.CharField(_("役職"), max_length=64, blank=True)
    is_primary = models.BooleanField(_("本務"), default=True)
    is_head = models.BooleanField(_("所属長"), default=False)
    # Lower ranks first inside a department (部長 before 主事); derived from the title when imported.
    rank = models.IntegerField(_("職位順"), default=100)

    class Meta:
        verbose_name = _("所属メンバー")
        verbose_name_plural = _("所属メンバー")
        constraints = [
            models.UniqueConstraint(fields=["staff", "department"], name="membership_unique_per_department"),
            models.UniqueConstraint(
                fields=["staff"], condition=Q(is_primary=True), name="membership_one_primary"
            ),
        ]
        indexes = [models.Index(fields=["department", "rank"])]

    def __str__(self) -> str:
        return f"{self.staff} @ {self.department}"


class Reshuffle(models.Model):
    """An HR import stored ahead of its effective date (the April 1 人事異動) and applied on that date."""

    class Status(models.TextChoices):
        PENDING = "pending", _("予約")
        APPLIED = "applied", _("適用済み")
        CANCELLED = "cancelled", _("取消")
        FAILED = "failed", _("失敗")

    effective_date = models.DateField(_("発令日"))
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.PENDING)
    source_name = models.CharField(_("ファイル"), max_length=255)
    full = models.BooleanField(_("全件"), default=False)
    # The parsed and validated rows; applying re-validates them against the organisation of that day.
    payload = models.JSONField()
    summary = models.TextField(_("変更内容"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("人事異動")
        verbose_name_plural = _("人事異動")
        ordering = ["effective_date", "id"]

    def __str__(self) -> str:
        return f"{self.effective_date} {self.source_name} ({self.get_status_display()})"
