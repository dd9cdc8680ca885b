"""External systems (外部システム) and the approval counts (決裁件数) they push for each person."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SCOPE_APPROVAL_COUNTS = "approval_counts"
SCOPE_SCIM = "scim"
SCOPES = (SCOPE_APPROVAL_COUNTS, SCOPE_SCIM)


class ExternalSystem(models.Model):
    """A system registered by an IT administrator. Its token is shown once; only the SHA-256 is stored
    (`kiban.accounts.tokens.hash_token`, like API tokens)."""

    name = models.SlugField(_("識別名"), max_length=50, unique=True)
    label = models.CharField(_("表示名"), max_length=100)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    scopes = models.JSONField(_("権限"), default=list)
    token_hash = models.CharField(max_length=64, unique=True)
    token_prefix = models.CharField(max_length=12)
    enabled = models.BooleanField(_("有効"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token_rotated_at = models.DateTimeField(default=timezone.now)
    last_push_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("外部システム")
        verbose_name_plural = _("外部システム")
        ordering = ["label", "id"]

    def __str__(self) -> str:
        return f"{self.label} ({self.name})"

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class ApprovalCount(models.Model):
    """How many approvals wait for one person in one system. Only non-zero counts are stored: a push replaces
    the system's rows, and a person absent from it has 0."""

    system = models.ForeignKey(ExternalSystem, on_delete=models.CASCADE, related_name="approval_counts")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    pending = models.PositiveIntegerField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("決裁件数")
        verbose_name_plural = _("決裁件数")
        constraints = [
            # (staff, system): the portal reads one person's rows through this index.
            models.UniqueConstraint(fields=["staff", "system"], name="integrations_count_one_per_person"),
            models.CheckConstraint(condition=models.Q(pending__gt=0), name="integrations_count_positive"),
        ]
        indexes = [models.Index(fields=["system"], name="integrations_count_system")]

    def __str__(self) -> str:
        return f"{self.system_id}/{self.staff_id}: {self.pending}"
