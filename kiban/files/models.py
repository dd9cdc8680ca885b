"""Files (ファイル): folders of a person, a section or a conversation (channel), files with versions, shares,
a trash kept 30 days, and per-section quotas.

The bytes are blobs (`kiban.blobs`): a version points at one, and a chat attachment may point at the same
one, so a file in a folder and in a message is one stored object.

A folder tree has one root per owner (`scope`): a person's own files, a section's, a conversation's. Every
folder and file carries its root's scope, so "who may see this" starts from one row; shares add people,
sections or conversations to a folder (and everything under it) or to one file.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    PERSONAL = "personal", _("個人")
    DEPARTMENT = "department", _("所属")
    CONVERSATION = "conversation", _("チャンネル")


class Permission(models.TextChoices):
    READ = "read", _("閲覧")
    WRITE = "write", _("編集")


class Folder(models.Model):
    name = models.CharField(_("フォルダ名"), max_length=255)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    scope = models.CharField(_("種類"), max_length=16, choices=Scope.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    department = models.ForeignKey(
        "org.Department", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    conversation = models.ForeignKey(
        "chat.Conversation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # In the trash since (the folder and everything under it); purged 30 days later.
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("フォルダ")
        verbose_name_plural = _("フォルダ")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(scope="personal", owner__isnull=False, department__isnull=True, conversation__isnull=True)
                    | Q(scope="department", owner__isnull=True, department__isnull=False, conversation__isnull=True)
                    | Q(scope="conversation", owner__isnull=True, department__isnull=True, conversation__isnull=False)
                ),
                name="files_folder_one_scope",
            ),
            # One root per person, section and conversation (created on first use, race-safe).
            models.UniqueConstraint(
                fields=["owner"], condition=Q(parent__isnull=True, scope="personal"), name="files_one_personal_root"
            ),
            models.UniqueConstraint(
                fields=["department"], condition=Q(parent__isnull=True, scope="department"),
                name="files_one_department_root",
            ),
            models.UniqueConstraint(
                fields=["conversation"], condition=Q(parent__isnull=True, scope="conversation"),
                name="files_one_conversation_root",
            ),
            models.UniqueConstraint(
                fields=["parent", "name"], condition=Q(deleted_at__isnull=True), name="files_folder_name_unique"
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.name

    @property
    def is_root(self) -> bool:
        return self.parent_id is None


class File(models.Model):
    folder = models.ForeignKey(Folder, on_delete=models.CASCADE, related_name="files")
    # Exactly as uploaded (Japanese names untouched); never used as a storage path.
    name = models.CharField(_("ファイル名"), max_length=255)
    version = models.PositiveIntegerField(_("版"), default=1)
    blob = models.ForeignKey("blobs.Blob", on_delete=models.PROTECT, related_name="+")
    size = models.PositiveBigIntegerField(_("サイズ"))
    content_type = models.CharField(max_length=128)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("ファイル")
        verbose_name_plural = _("ファイル")
        constraints = [
            models.UniqueConstraint(
                fields=["folder", "name"], condition=Q(deleted_at__isnull=True), name="files_file_name_unique"
            )
        ]
        indexes = [models.Index(fields=["deleted_at"])]

    def __str__(self) -> str:
        return self.name


class FileVersion(models.Model):
    file = models.ForeignKey(File, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版"))
    blob = models.ForeignKey("blobs.Blob", on_delete=models.PROTECT, related_name="file_versions")
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=128)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The version this one restored (its bytes are shared: a restore copies nothing).
    restored_from = models.PositiveIntegerField(null=True, blank=True)
    # The section whose quota pays for these bytes, and how many (0 for a restore: its bytes are shared).
    charged_department = models.ForeignKey(
        "org.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    charged_bytes = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("版")
        verbose_name_plural = _("版")
        constraints = [models.UniqueConstraint(fields=["file", "number"], name="files_version_unique")]

    def __str__(self) -> str:
        return f"{self.file_id} v{self.number}"


class Share(models.Model):
    """A folder (and everything under it) or one file shared with a person, a section or a conversation."""

    folder = models.ForeignKey(Folder, null=True, blank=True, on_delete=models.CASCADE, related_name="shares")
    file = models.ForeignKey(File, null=True, blank=True, on_delete=models.CASCADE, related_name="shares")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    department = models.ForeignKey(
        "org.Department", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    conversation = models.ForeignKey(
        "chat.Conversation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    permission = models.CharField(
        _("権限"), max_length=8, choices=Permission.choices, default=Permission.READ
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("共有")
        verbose_name_plural = _("共有")
        constraints = [
            models.CheckConstraint(
                condition=Q(folder__isnull=False, file__isnull=True) | Q(folder__isnull=True, file__isnull=False),
                name="files_share_one_object",
            ),
            models.CheckConstraint(
                condition=(
                    Q(staff__isnull=False, department__isnull=True, conversation__isnull=True)
                    | Q(staff__isnull=True, department__isnull=False, conversation__isnull=True)
                    | Q(staff__isnull=True, department__isnull=True, conversation__isnull=False)
                ),
                name="files_share_one_target",
            ),
            # One share per object and target (COALESCE: NULLs would otherwise never collide).
            models.UniqueConstraint(
                Coalesce("folder", 0), Coalesce("file", 0), Coalesce("staff", 0), Coalesce("department", 0),
                Coalesce("conversation", 0), name="files_share_unique",
            ),
        ]  # fmt: skip
        indexes = [
            models.Index(fields=["staff"]),
            models.Index(fields=["department"]),
            models.Index(fields=["conversation"]),
        ]

    def __str__(self) -> str:
        return f"{self.folder_id or self.file_id} → {self.staff_id or self.department_id or self.conversation_id}"


class SectionQuota(models.Model):
    """How many bytes a section's files may take (policy an IT administrator edits). The row without a
    department is the default for every section without its own row; no rows at all means no limit."""

    department = models.OneToOneField(
        "org.Department", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        verbose_name=_("所属"),
    )  # fmt: skip
    limit_bytes = models.PositiveBigIntegerField(_("上限（バイト）"))

    class Meta:
        verbose_name = _("所属の容量上限")
        verbose_name_plural = _("所属の容量上限")
        constraints = [
            models.UniqueConstraint(Coalesce("department", 0), name="files_one_quota_per_department")
        ]

    def __str__(self) -> str:
        return f"{self.department or '*'}: {self.limit_bytes}"


class SectionUsage(models.Model):
    """Bytes charged to a section, changed only by conditional UPDATEs (`kiban.files.quota`), so two
    concurrent uploads can never both pass a limit that only one fits under."""

    department = models.OneToOneField("org.Department", on_delete=models.CASCADE, related_name="+")
    used_bytes = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("所属の使用量")
        verbose_name_plural = _("所属の使用量")

    def __str__(self) -> str:
        return f"{self.department_id}: {self.used_bytes}"
