"""The bulletin board (掲示板): categories owned by departments, posts with an audience, reads, comments,
edit history and attachments.

**Audience at read time.** A post addressed to departments stores them in `PostDepartment` (post,
department). Who sees it is decided when someone reads: the person's sections (本務 and 兼務) and every
department above them are compared with the post's departments, so a sub-department sees its parent's posts
and a reshuffle (人事異動) changes who sees an unexpired post from the day memberships change — no recipient
list to rewrite. Recipients are resolved only to send the notification and the mail at publication.

**Scheduled posts.** Before `publish_at` a post exists only for its author and the category's editors (the
read queries filter on `publish_at <= now`, so it appears on time whatever the worker does); `published_at`
records that the publication's notifications and mails went out, claimed once by a conditional update.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Category(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    # The owning department: its members may post, its heads (所属長) manage the category. Null: a
    # category of the whole prefecture, managed by IT administrators.
    department = models.ForeignKey(
        "org.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    editors = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    order = models.PositiveIntegerField(default=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("掲示板のカテゴリ")
        verbose_name_plural = _("掲示板のカテゴリ")
        ordering = ["order", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["name"], name="bulletin_category_name_unique")]

    def __str__(self) -> str:
        return self.name


class Post(models.Model):
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="posts")
    title = models.CharField(_("件名"), max_length=200)
    body = models.TextField(_("本文"))
    html = models.TextField()
    # Normalised title and body (kiban.core.text.normalize): kana-, width- and case-insensitive search.
    search_text = models.TextField(blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    audience_all = models.BooleanField(default=True)
    important = models.BooleanField(_("重要"), default=False)
    pinned = models.BooleanField(_("固定表示"), default=False)
    notify_email = models.BooleanField(_("メールで通知"), default=False)
    publish_at = models.DateTimeField(_("掲載開始"), default=timezone.now)
    expires_at = models.DateTimeField(_("掲載終了"), null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("掲示")
        verbose_name_plural = _("掲示")
        indexes = [
            models.Index(fields=["publish_at"], name="bulletin_post_publish"),
            models.Index(fields=["category", "-pinned", "-publish_at"], name="bulletin_post_board"),
            models.Index(
                fields=["publish_at"], name="bulletin_post_unpublished", condition=models.Q(published_at=None)
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PostDepartment(models.Model):
    """A department a post is addressed to (sub-departments included at read time)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="audience_rows")
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "department"], name="bulletin_postdepartment_unique")
        ]
        indexes = [models.Index(fields=["department", "post"], name="bulletin_postdept_dept")]

    def __str__(self) -> str:
        return f"{self.post_id}:{self.department_id}"


class Read(models.Model):
    """Someone opened the post (回覧): the first time is kept."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reads")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "staff"], name="bulletin_read_unique")]
        indexes = [models.Index(fields=["staff", "post"], name="bulletin_read_staff")]

    def __str__(self) -> str:
        return f"{self.post_id}:{self.staff_id}"


class Comment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("コメント"))
    html = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.post_id}:{self.pk}"


class Revision(models.Model):
    """The version of a post before one edit (the current version is the post itself)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    edited_at = models.DateTimeField(default=timezone.now)
    title = models.CharField(max_length=200)
    body = models.TextField()

    class Meta:
        ordering = ["-edited_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Attachment(models.Model):
    """A file of a post: uploaded first (no post yet), bound when the post is saved; unbound uploads are
    pruned after a day. The bytes are a `blobs.Blob`: one stored file."""

    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    blob = models.ForeignKey("blobs.Blob", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("ファイル名"), max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=128)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("掲示の添付ファイル")
        verbose_name_plural = _("掲示の添付ファイル")

    def __str__(self) -> str:
        return self.name
