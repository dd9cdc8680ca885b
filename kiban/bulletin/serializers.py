"""Model → schema, in one place (the API, pages that hand JSON to scripts, and tests use these)."""

from __future__ import annotations

from django.urls import reverse

from kiban.bulletin.models import Attachment, Category, Comment, Post, Revision
from kiban.bulletin.schemas import AttachmentOut, CategoryOut, CommentOut, PostOut, PostSummary, RevisionOut


def name_of(person) -> str:
    return person.full_name or person.username


def audience_of(post: Post, department_ids: list[int] | None = None) -> dict:
    if post.audience_all:
        return {"all": True}
    if department_ids is None:
        department_ids = sorted(row.department_id for row in post.audience_rows.all())
    return {"departments": department_ids}


def category_out(category: Category, *, can_post: bool = False, can_manage: bool = False) -> CategoryOut:
    return CategoryOut(
        id=category.pk,
        name=category.name,
        department=category.department_id,
        department_name=category.department.name if category.department_id else "",
        editors=sorted(e.username for e in category.editors.all()),
        can_post=can_post,
        can_manage=can_manage,
    )


def attachment_out(a: Attachment) -> AttachmentOut:
    return AttachmentOut(
        id=a.pk, name=a.name, size=a.size, content_type=a.content_type,
        url=reverse("bulletin:attachment", args=[a.pk]),
    )  # fmt: skip


def post_out(post: Post, *, read: bool, now=None) -> PostOut:
    from django.utils import timezone

    now = now or timezone.now()
    return PostOut(
        id=post.pk,
        category=post.category_id,
        category_name=post.category.name,
        title=post.title,
        body=post.body,
        html=post.html,
        author=post.author.username,
        author_name=name_of(post.author),
        publish_at=post.publish_at,
        expires_at=post.expires_at,
        audience=audience_of(post),
        notify_email=post.notify_email,
        important=post.important,
        pinned=post.pinned,
        read=read,
        published=post.publish_at <= now,
        edited_at=post.edited_at,
        attachments=[attachment_out(a) for a in post.attachments.all()],
    )


def post_summary(post: Post) -> PostSummary:
    return PostSummary(
        id=post.pk,
        category=post.category_id,
        category_name=post.category.name,
        title=post.title,
        author_name=name_of(post.author),
        publish_at=post.publish_at,
        important=post.important,
        pinned=post.pinned,
        read=bool(getattr(post, "is_read", False)),
        url=reverse("bulletin:post", args=[post.pk]),
    )


def comment_out(c: Comment) -> CommentOut:
    return CommentOut(
        id=c.pk, post=c.post_id, author=c.author.username, author_name=name_of(c.author), body=c.body,
        html=c.html, created_at=c.created_at,
    )  # fmt: skip


def revision_out(r: Revision) -> RevisionOut:
    return RevisionOut(
        id=r.pk, editor=r.editor.username, editor_name=name_of(r.editor), edited_at=r.edited_at, title=r.title,
        body=r.body,
    )  # fmt: skip
