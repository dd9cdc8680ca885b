"""Safety confirmation (安否確認): templates prepared in advance, checks, and one row per person asked.

**Exact counts under a burst.** A check's audience is fixed when it starts: one `Target` row per person,
with the department they were counted under then (bulk insert). An answer is an UPDATE of the person's own
row — the unique (check, staff) constraint makes "one answer per person" a fact of the database, a
correction is the same UPDATE, and two concurrent submits leave one answer. The dashboard counts are
aggregate queries over the `(check, department, status)` index, so no shared counter row is contended by
thousands of answering transactions (a single F() counter would serialize them all on PostgreSQL).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    SAFE = "safe", _("無事")
    MINOR = "minor", _("軽傷")
    SERIOUS = "serious", _("重傷")


class SafetyTemplate(models.Model):
    """A check prepared in advance (震度5強以上の地震): starting from it is one step."""

    name = models.CharField(_("テンプレート名"), max_length=100, unique=True)
    title = models.CharField(_("件名（災害名）"), max_length=200)
    message = models.TextField(_("メッセージ"), blank=True)
    # Department ids (sub-departments included); empty: all staff.
    departments = models.JSONField(_("対象所属"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("安否確認テンプレート")
        verbose_name_plural = _("安否確認テンプレート")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SafetyCheck(models.Model):
    title = models.CharField(_("件名（災害名）"), max_length=200)
    message = models.TextField(_("メッセージ"), blank=True)
    # As given: {"all": true} or {"departments": [ids]} (sub-departments and 兼務 included).
    audience = models.JSONField(_("対象"))
    template = models.ForeignKey(
        SafetyTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set by the first answer after a dashboard update went out; the progress job clears it and tells the
    # dashboard viewers once (docs/ARCHITECTURE.md, "Safety"): at most one event per PROGRESS_EVERY.
    progress_due = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    # The announcement (notifications and emails) went out: claimed once, so a retried job sends nothing twice.
    announced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("安否確認")
        verbose_name_plural = _("安否確認")
        indexes = [models.Index(fields=["-started_at"], name="safety_check_started")]
        permissions = [("manage_checks", _("安否確認を開始・管理できる（防災担当）"))]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Target(models.Model):
    """One person asked by a check, and their answer (empty `status`: not answered yet)."""

    safety_check = models.ForeignKey(SafetyCheck, on_delete=models.CASCADE, related_name="targets")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The section the person was counted under when the check started (本務, or the 兼務 that put them in
    # the audience).
    department = models.ForeignKey(
        "org.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, blank=True, default="")
    can_work = models.BooleanField(_("出勤可否"), null=True, blank=True)
    comment = models.TextField(_("コメント"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # Who gave the answer: the person, or their section head / an administrator for them (代理回答).
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("安否確認の対象者")
        verbose_name_plural = _("安否確認の対象者")
        constraints = [models.UniqueConstraint(fields=["safety_check", "staff"], name="safety_target_unique")]
        indexes = [
            models.Index(
                fields=["safety_check", "department", "status", "can_work"], name="safety_target_counts"
            ),
            models.Index(fields=["staff", "status"], name="safety_target_mine"),
        ]

    def __str__(self) -> str:
        return f"{self.safety_check_id}:{self.staff_id}"
