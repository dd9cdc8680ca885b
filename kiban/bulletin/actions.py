"""Writes to the bulletin board. Each runs in a transaction, records its audit entry and schedules its
effects after commit. `queries.access_post` fetches and authorises a post (404 for anyone who may not
see it); the `do_*` functions check the rest (`rules`).

Publication leaves the author's request: saving a post enqueues `jobs.publish_post` at `publish_at`, which
claims the post once (`published_at`), notifies the audience (one bulk notification, one shared event) and
queues the mails (`kiban.core.mail.send_mass_mail`) — so a post to all staff costs its author what a post
to one section costs.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.accounts.models import Staff
from kiban.blobs import store
from kiban.blobs.names import clean_name
from kiban.bulletin import queries, richtext, rules
from kiban.bulletin.models import Attachment, Category, Comment, Post, PostDepartment, Read, Revision
from kiban.core import audit, mail
from kiban.core.jobs import enqueue_on_commit
from kiban.core.text import normalize
from kiban.notifications import actions as notifications
from kiban.org.models import Department

TITLE_MAX, BODY_MAX, COMMENT_MAX, NAME_MAX = 200, 50_000, 5000, 100
ATTACHMENTS_MAX, DEPARTMENTS_MAX, EDITORS_MAX = 20, 500, 200


def field_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)  # Asia/Tokyo when no offset is given (CONTRACT.md)
    return value


# --- Categories ---------------------------------------------------------------------------------------


def access_category(user, category_id: int) -> Category:
    """Every signed-in person may see the categories (the board's sections); unknown ids are 404."""
    category = Category.objects.select_related("department").filter(pk=category_id).first()
    if category is None:
        raise Http404
    return category


def _clean_editors(usernames) -> list[Staff]:
    if usernames is None:
        return []
    if not isinstance(usernames, list) or not all(isinstance(u, str) for u in usernames):
        raise field_error("editors", _("職員番号のリストで指定してください。"))
    if len(usernames) > EDITORS_MAX:
        raise field_error("editors", _("編集者は%(max)d人までです。") % {"max": EDITORS_MAX})
    found = {s.username: s for s in Staff.objects.filter(username__in=usernames, is_active=True)}
    missing = [u for u in usernames if u not in found]
    if missing:
        raise field_error(
            "editors", _("見つからない職員です: %(names)s") % {"names": ", ".join(missing[:10])}
        )
    return list(found.values())


def _clean_category(name, department_id) -> tuple[str, Department | None]:
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise field_error("name", _("名称を%(max)d文字以内で入力してください。") % {"max": NAME_MAX})
    department = None
    if department_id is not None:
        department = Department.objects.filter(pk=department_id, is_active=True).first()
        if department is None:
            raise field_error("department", _("存在しない所属です。"))
    return name, department


def do_create_category(
    user, *, name: str, department_id: int | None = None, editors=None, request=None
) -> Category:
    """Create a category: IT administrators, or the heads of the owning department (403 otherwise)."""
    name, department = _clean_category(name, department_id)
    people = _clean_editors(editors)
    if not rules.can_create_category(user, department.pk if department else None):
        raise PermissionDenied(_("カテゴリを作成できるのは所属長と情報システム課の管理者です。"))
    with transaction.atomic():
        if Category.objects.filter(name=name).exists():
            raise field_error("name", _("同じ名称のカテゴリがあります。"))
        category = Category.objects.create(name=name, department=department)
        category.editors.set(people)
        audit.record("bulletin.category.create", actor=user, target=category, request=request,
                     department=department.pk if department else None, editors=sorted(p.username for p in people))  # fmt: skip
    return category


def do_update_category(
    user, category: Category, *, name=None, department_id=..., editors=None, request=None
) -> Category:
    if not rules.can_manage_category(user, category):
        raise PermissionDenied(_("このカテゴリを管理する権限がありません。"))
    new_name, department = _clean_category(
        category.name if name is None else name,
        category.department_id if department_id is ... else department_id,
    )
    if department_id is not ... and not rules.can_create_category(
        user, department.pk if department else None
    ):
        raise PermissionDenied(_("その所属のカテゴリにはできません。"))
    people = None if editors is None else _clean_editors(editors)
    with transaction.atomic():
        if Category.objects.filter(name=new_name).exclude(pk=category.pk).exists():
            raise field_error("name", _("同じ名称のカテゴリがあります。"))
        category.name, category.department = new_name, department
        category.save(update_fields=["name", "department"])
        if people is not None:
            category.editors.set(people)
        audit.record("bulletin.category.update", actor=user, target=category, request=request, name=new_name,
                     editors=None if people is None else sorted(p.username for p in people))  # fmt: skip
    return category


def do_delete_category(user, category: Category, request=None) -> None:
    if not rules.can_manage_category(user, category):
        raise PermissionDenied(_("このカテゴリを管理する権限がありません。"))
    with transaction.atomic():
        if Post.objects.filter(category=category).exists():
            raise field_error("category", _("掲示があるカテゴリは削除できません。"))
        audit.record("bulletin.category.delete", actor=user, target=category, request=request)
        category.delete()


# --- Attachments --------------------------------------------------------------------------------------


def do_upload_attachment(user, upload: UploadedFile, name: str | None = None) -> Attachment:
    """Store a file for a post about to be saved (bound to it when the post is saved)."""
    name = clean_name(name, "name") if name else clean_name(upload.name, "file")
    if not upload.size:
        raise field_error("file", _("空のファイルは添付できません。"))
    blob = store.begin(prefix="bulletin")
    try:
        store.write_upload(blob, upload, limit=int(settings.KIBAN_FILES_MAX_REQUEST_UPLOAD_BYTES))
        with transaction.atomic():
            store.mark_ready(blob)
            return Attachment.objects.create(
                blob=blob, name=name, size=blob.size, content_type=blob.content_type, uploaded_by=user
            )
    except BaseException:
        store.abandon(blob)
        raise


def access_attachment(user, attachment_id: int) -> Attachment:
    attachment = Attachment.objects.select_related("blob").filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    if attachment.post_id is None:
        if attachment.uploaded_by_id != user.pk:
            raise Http404
        return attachment
    queries.access_post(user, attachment.post_id)
    return attachment


def _bind_attachments(user, post: Post, ids) -> None:
    if ids is None:
        return
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise field_error("attachments", _("添付ファイルのIDのリストで指定してください。"))
    ids = list(dict.fromkeys(ids))
    keep = set(ids) & set(post.attachments.values_list("pk", flat=True))
    new = [i for i in ids if i not in keep]
    if len(ids) > ATTACHMENTS_MAX:
        raise field_error("attachments", _("添付は%(max)d件までです。") % {"max": ATTACHMENTS_MAX})
    if new:
        bound = Attachment.objects.filter(pk__in=new, uploaded_by=user, post__isnull=True).update(post=post)
        if bound != len(new):
            raise field_error("attachments", _("自分がアップロードした未使用の添付を指定してください。"))
    dropped = list(post.attachments.exclude(pk__in=ids).values_list("pk", "blob_id"))
    if dropped:
        Attachment.objects.filter(pk__in=[pk for pk, _blob in dropped]).delete()
        blob_ids = [blob for _pk, blob in dropped]
        transaction.on_commit(lambda: store.release(blob_ids))


# --- Posts --------------------------------------------------------------------------------------------


def _clean_audience(audience) -> tuple[bool, list[int]]:
    message = _('{"all": true} または {"departments": [所属ID, …]} で指定してください。')
    if not isinstance(audience, dict) or len(audience) != 1:
        raise field_error("audience", message)
    if "all" in audience:
        if audience["all"] is not True:
            raise field_error("audience.all", message)
        return True, []
    ids = audience.get("departments")
    if ids is None:
        raise field_error("audience", message)
    if (
        not isinstance(ids, list)
        or not ids
        or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
        or len(ids) > DEPARTMENTS_MAX
    ):
        raise field_error("audience.departments", _("所属のIDを1つ以上指定してください。"))
    ids = sorted(set(ids))
    known = set(Department.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    missing = [i for i in ids if i not in known]
    if missing:
        raise field_error("audience.departments", _("存在しない所属です: %(ids)s") % {"ids": missing})
    return False, ids


def _clean_text(title, body) -> tuple[str, str]:
    title = (title or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise field_error("title", _("件名を%(max)d文字以内で入力してください。") % {"max": TITLE_MAX})
    body = (body or "").strip()
    if not body:
        raise field_error("body", _("本文を入力してください。"))
    if len(body) > BODY_MAX:
        raise field_error("body", _("本文は%(max)d文字までです。") % {"max": BODY_MAX})
    return title, body


def _clean_times(publish_at, expires_at) -> tuple[dt.datetime, dt.datetime | None]:
    publish_at = _aware(publish_at) or timezone.now()
    expires_at = _aware(expires_at)
    if expires_at is not None and expires_at <= publish_at:
        raise field_error("expires_at", _("掲載終了は掲載開始より後にしてください。"))
    return publish_at, expires_at


def _schedule_publication(post: Post) -> None:
    # Imported here: jobs.py calls these actions (a real cycle).
    from kiban.bulletin.jobs import publish_post

    now = timezone.now()
    enqueue_on_commit(publish_post, post.pk, run_after=post.publish_at if post.publish_at > now else None)


def _set_audience(post: Post, audience_all: bool, department_ids: list[int]) -> None:
    PostDepartment.objects.filter(post=post).delete()
    if not audience_all:
        PostDepartment.objects.bulk_create(
            [PostDepartment(post=post, department_id=d) for d in department_ids]
        )


def do_create_post(user, *, category_id, title, body, audience=None, publish_at=None, expires_at=None,
                   notify_email=False, important=False, pinned=False, attachments=None, request=None) -> Post:  # fmt: skip
    """Create a post in a category the person may post in (403 otherwise; an unknown category is 400).
    Publication (notification, mail) happens in `jobs.publish_post` at `publish_at`."""
    category = Category.objects.filter(pk=category_id).first() if isinstance(category_id, int) else None
    if category is None:
        raise field_error("category", _("カテゴリを指定してください。"))
    if not rules.can_post(user, category):
        raise PermissionDenied(_("このカテゴリに投稿する権限がありません。"))
    title, body = _clean_text(title, body)
    audience_all, department_ids = _clean_audience({"all": True} if audience is None else audience)
    publish_at, expires_at = _clean_times(publish_at, expires_at)
    now = timezone.now()
    with transaction.atomic():
        post = Post.objects.create(
            category=category, title=title, body=body, html=richtext.render(body),
            search_text=normalize(f"{title} {body}"), author=user, audience_all=audience_all,
            important=bool(important), pinned=bool(pinned), notify_email=bool(notify_email),
            publish_at=publish_at, expires_at=expires_at, created_at=now, updated_at=now,
        )  # fmt: skip
        _set_audience(post, audience_all, department_ids)
        _bind_attachments(user, post, attachments)
        audit.record("bulletin.post.create", actor=user, target=post, request=request, category=category.pk,
                     audience={"all": True} if audience_all else {"departments": department_ids},
                     publish_at=publish_at.isoformat(), notify_email=post.notify_email)  # fmt: skip
        _schedule_publication(post)
    return post


_UNSET = object()


def do_edit_post(user, post: Post, *, request=None, **changes) -> Post:
    """Change a post (its author or the category's editors; 403 otherwise). The previous title and body are
    kept as a `Revision`. A scheduled post moved to another time is published then; a post already
    published is not announced again."""
    if not rules.can_edit_post(user, post):
        raise PermissionDenied(_("この掲示を編集する権限がありません。"))
    allowed = {"title", "body", "audience", "publish_at", "expires_at", "notify_email", "important", "pinned",
               "attachments", "category"}  # fmt: skip
    unknown = set(changes) - allowed
    if unknown:
        raise field_error(sorted(unknown)[0], _("変更できない項目です。"))
    title, body = _clean_text(changes.get("title", post.title), changes.get("body", post.body))
    category = post.category
    if "category" in changes and changes["category"] != post.category_id:
        category = (
            Category.objects.filter(pk=changes["category"]).first()
            if isinstance(changes["category"], int)
            else None
        )
        if category is None:
            raise field_error("category", _("カテゴリを指定してください。"))
        if not rules.can_post(user, category):
            raise PermissionDenied(_("このカテゴリに投稿する権限がありません。"))
    audience = None
    if "audience" in changes:
        audience = _clean_audience(changes["audience"])
    publish_at, expires_at = _clean_times(
        changes.get("publish_at") or post.publish_at, changes.get("expires_at", post.expires_at)
    )
    now = timezone.now()
    with transaction.atomic():
        locked = Post.objects.select_for_update().get(pk=post.pk)
        text_changed = (title, body) != (locked.title, locked.body)
        if text_changed:
            Revision.objects.create(
                post=locked, editor=user, edited_at=now, title=locked.title, body=locked.body
            )
        rescheduled = locked.published_at is None and publish_at != locked.publish_at
        locked.category = category
        locked.title, locked.body = title, body
        locked.html = richtext.render(body)
        locked.search_text = normalize(f"{title} {body}")
        locked.publish_at, locked.expires_at = publish_at, expires_at
        for flag in ("notify_email", "important", "pinned"):
            if flag in changes:
                setattr(locked, flag, bool(changes[flag]))
        if audience is not None:
            locked.audience_all = audience[0]
            _set_audience(locked, *audience)
        locked.updated_at = now
        if text_changed:
            locked.edited_at = now
        locked.save()
        _bind_attachments(user, locked, changes.get("attachments"))
        audit.record("bulletin.post.edit", actor=user, target=locked, request=request,
                     fields=sorted(changes), text_changed=text_changed)  # fmt: skip
        if rescheduled:
            _schedule_publication(locked)
    return locked


def do_delete_post(user, post: Post, request=None) -> None:
    if not rules.can_edit_post(user, post):
        raise PermissionDenied(_("この掲示を削除する権限がありません。"))
    with transaction.atomic():
        blob_ids = list(Attachment.objects.filter(post=post).values_list("blob_id", flat=True))
        audit.record("bulletin.post.delete", actor=user, target=post, request=request, title=post.title,
                     category=post.category_id, author=post.author.username)  # fmt: skip
        post.delete()
        if blob_ids:
            transaction.on_commit(lambda: store.release(blob_ids))


def do_mark_read(user, post: Post) -> bool:
    """Record that the person read the post (the first time is kept; idempotent under concurrent calls,
    the unique constraint decides). Their notification about it is marked read too. True when new."""
    with transaction.atomic():
        new = not Read.objects.filter(post=post, staff=user).exists()
        if new:
            Read.objects.bulk_create([Read(post=post, staff=user)], ignore_conflicts=True)
            notifications.mark_read_up_to(user.pk, f"bulletin:{post.pk}")
    return new


def do_comment(user, post: Post, body: str) -> Comment:
    """Comment on a post the person can see (published, or theirs to edit). The author is notified."""
    body = (body or "").strip()
    if not body or len(body) > COMMENT_MAX:
        raise field_error("body", _("コメントを%(max)d文字以内で入力してください。") % {"max": COMMENT_MAX})
    if post.publish_at > timezone.now() and not rules.can_edit_post(user, post):
        raise Http404
    with transaction.atomic():
        comment = Comment.objects.create(post=post, author=user, body=body, html=richtext.render(body))
        notifications.notify(
            [post.author_id], kind="bulletin.comment", actor=user, url=f"/bulletin/{post.pk}/",
            title=_("掲示「%(title)s」にコメントがありました") % {"title": post.title}, body=body,
        )  # fmt: skip
    return comment


def do_remind(user, post: Post, request=None) -> int:
    """Remind the audience members who have not read the post (its author or the category's editors), with
    one notification each. Returns how many were reminded."""
    if not rules.can_edit_post(user, post):
        raise PermissionDenied(_("督促できるのは投稿者とカテゴリの編集者です。"))
    if post.publish_at > timezone.now():
        raise field_error("publish_at", _("掲載開始前の掲示は督促できません。"))
    ids = list(queries.readers(post, state="unread").values_list("pk", flat=True))
    with transaction.atomic():
        notifications.notify(
            ids, kind="bulletin.reminder", actor=user, url=f"/bulletin/{post.pk}/",
            title=_("【未読】掲示「%(title)s」をご確認ください") % {"title": post.title},
            group_key=f"bulletin:{post.pk}",
        )  # fmt: skip
        audit.record("bulletin.post.remind", actor=user, target=post, request=request, reminded=len(ids))
    return len(ids)


# --- Publication (the job's work) ----------------------------------------------------------------------


def email_subject(post: Post) -> str:
    prefix = _("【重要】") if post.important else ""
    return _("%(prefix)s【掲示板】%(title)s") % {"prefix": prefix, "title": post.title}


def email_body(post: Post) -> str:
    url = f"{settings.BASE_URL}/bulletin/{post.pk}/"
    return _("%(category)s に掲示がありました。\n\n%(title)s\n投稿者: %(author)s\n\n%(body)s\n\n%(url)s\n") % {
        "category": post.category.name, "title": post.title, "author": post.author.full_name or post.author.username,
        "body": richtext.plain(post.body), "url": url,
    }  # fmt: skip


def do_publish(post_id: int, now=None) -> int | None:
    """Announce a post whose time has come, exactly once: the post is claimed by a conditional update
    (`published_at`), and the notifications and queued mails are written in the same transaction — so a
    job run twice, or the sweeper beside it, announces nothing twice, and a crash announces nothing half.
    Returns the audience size, or None when there was nothing to do (not due yet, already published, gone)."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Post.objects.filter(pk=post_id, published_at__isnull=True, publish_at__lte=now).update(
            published_at=now
        )
        if not claimed:
            return None
        post = Post.objects.select_related("category", "author").get(pk=post_id)
        if post.expires_at is not None and post.expires_at <= now:
            return 0
        ids = queries.audience_ids(post)
        notifications.notify(
            ids, kind="bulletin.post", actor=post.author, url=f"/bulletin/{post.pk}/",
            title=(_("【重要】") if post.important else "") + post.title,
            body=post.category.name, group_key=f"bulletin:{post.pk}", seq=0,
        )  # fmt: skip
        if post.notify_email:
            subject, body = email_subject(post), email_body(post)
            addresses = (
                queries.audience_staff(post).exclude(email="").order_by("pk").values_list("email", flat=True)
            )
            mail.send_mass_mail([([address], subject, body) for address in addresses.iterator()])
    return len(ids)


def due_post_ids(now=None) -> list[int]:
    now = now or timezone.now()
    return list(
        Post.objects.filter(published_at__isnull=True, publish_at__lte=now)
        .order_by("publish_at")
        .values_list("pk", flat=True)[:500]
    )
