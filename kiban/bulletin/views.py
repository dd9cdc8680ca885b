"""Bulletin pages: the board by category (search, unread first), a post (read on opening, comments), the
editor (phone first), readers (回覧), edit history, and category management."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiban.blobs import store
from kiban.blobs.serve import blob_response
from kiban.bulletin import actions, queries, rules
from kiban.bulletin.models import Category
from kiban.bulletin.serializers import audience_of
from kiban.core.permissions import is_it_admin
from kiban.org import queries as org_queries
from kiban.org.models import Membership

PAGE = 30


def _errors(error: ValidationError) -> list[str]:
    if hasattr(error, "message_dict"):
        return [m for msgs in error.message_dict.values() for m in msgs]
    return list(error.messages)


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@login_required
def index(request):
    category_id = _int(request.GET.get("category"))
    search = request.GET.get("q", "")[:200]
    offset = max(_int(request.GET.get("offset"), 0), 0)
    posts = list(
        queries.board(request.user, category_id=category_id, search=search)[offset : offset + PAGE + 1]
    )
    editable = rules.editable_category_ids(request.user)
    heads = Membership.objects.filter(staff=request.user, is_head=True).exists()
    return render(request, "bulletin/index.html", {
        "posts": posts[:PAGE], "more": len(posts) > PAGE, "next_offset": offset + PAGE, "offset": offset,
        "prev_offset": max(offset - PAGE, 0), "categories": Category.objects.all(), "category_id": category_id,
        "q": search, "can_post": editable is None or bool(editable), "now": timezone.now(),
        "can_manage": heads or is_it_admin(request.user),
    })  # fmt: skip


@login_required
def post_page(request, post_id: int):
    post = queries.access_post(request.user, post_id)
    now = timezone.now()
    if post.publish_at <= now and not post.is_read:
        actions.do_mark_read(request.user, post)
    can_edit = rules.can_edit_post(request.user, post)
    return render(request, "bulletin/post.html", {
        "post": post, "comments": post.comments.select_related("author")[:500], "can_edit": can_edit,
        "scheduled": post.publish_at > now, "expired": post.expires_at is not None and post.expires_at <= now,
        "audience_names": _audience_names(post), "revisions": post.revisions.count(),
    })  # fmt: skip


def _audience_names(post) -> list[str]:
    audience = audience_of(post)
    if audience.get("all"):
        return []
    labels = org_queries.department_labels(audience["departments"])
    return [labels[d] for d in audience["departments"] if d in labels]


@login_required
@require_POST
def post_action(request, post_id: int):
    post = queries.access_post(request.user, post_id)
    op = request.POST.get("op")
    try:
        if op == "comment":
            actions.do_comment(request.user, post, request.POST.get("body", ""))
            messages.success(request, _("コメントしました。"))
        elif op == "remind":
            n = actions.do_remind(request.user, post, request=request)
            messages.success(request, _("未読の%(n)d人に督促しました。") % {"n": n})
            return redirect("bulletin:readers", post.pk)
        elif op == "delete":
            actions.do_delete_post(request.user, post, request=request)
            messages.success(request, _("掲示を削除しました。"))
            return redirect("bulletin:index")
        else:
            raise Http404
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("この操作はできません。"))
    return redirect("bulletin:post", post.pk)


def _local_input(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M") if value else ""


def _parse_local(value: str, field: str):
    if not value:
        return None
    try:
        return timezone.make_aware(dt.datetime.fromisoformat(value))
    except ValueError:
        raise actions.field_error(field, _("日時の形式が正しくありません。")) from None


@login_required
def editor(request, post_id: int | None = None):
    post = queries.access_post(request.user, post_id) if post_id else None
    if post is not None and not rules.can_edit_post(request.user, post):
        raise PermissionDenied
    editable = rules.editable_category_ids(request.user)
    categories = Category.objects.all() if editable is None else Category.objects.filter(pk__in=editable)
    if post is None and not categories.exists():
        raise PermissionDenied(_("投稿できるカテゴリがありません。"))
    errors: list[str] = []
    data = request.POST
    if request.method == "POST":
        try:
            fields = {
                "title": data.get("title", ""), "body": data.get("body", ""),
                "audience": {"all": True} if data.get("audience") != "departments"
                else {"departments": [int(d) for d in data.getlist("departments") if d.isdigit()]},
                "publish_at": _parse_local(data.get("publish_at", ""), "publish_at"),
                "expires_at": _parse_local(data.get("expires_at", ""), "expires_at"),
                "notify_email": bool(data.get("notify_email")), "important": bool(data.get("important")),
                "pinned": bool(data.get("pinned")),
            }  # fmt: skip
            attachment_ids = [int(a) for a in data.getlist("keep") if a.isdigit()]
            for upload in request.FILES.getlist("files")[: actions.ATTACHMENTS_MAX]:
                attachment_ids.append(actions.do_upload_attachment(request.user, upload).pk)
            fields["attachments"] = attachment_ids
            category_id = _int(data.get("category"))
            if post is None:
                post = actions.do_create_post(
                    request.user, category_id=category_id, request=request, **fields
                )
                messages.success(request, _("掲示を登録しました。"))
            else:
                if fields["publish_at"] is None:
                    fields.pop("publish_at")
                post = actions.do_edit_post(
                    request.user, post, category=category_id, request=request, **fields
                )
                messages.success(request, _("掲示を更新しました。"))
            return redirect("bulletin:post", post.pk)
        except ValidationError as exc:
            errors = _errors(exc)
        except PermissionDenied as exc:
            errors = [str(exc) or _("この操作はできません。")]
        except store.TooLarge:
            errors = [_("添付ファイルが大きすぎます。")]
    if request.method == "POST":
        chosen = {int(d) for d in data.getlist("departments") if d.isdigit()}
        form = {k: data.get(k, "") for k in ("title", "body", "publish_at", "expires_at", "audience")}
        form.update({k: bool(data.get(k)) for k in ("notify_email", "important", "pinned")})
        form["category"] = _int(data.get("category"))
    elif post is not None:
        audience = audience_of(post)
        chosen = set(audience.get("departments", []))
        form = {
            "title": post.title, "body": post.body, "publish_at": _local_input(post.publish_at),
            "expires_at": _local_input(post.expires_at), "audience": "all" if audience.get("all") else "departments",
            "notify_email": post.notify_email, "important": post.important, "pinned": post.pinned,
            "category": post.category_id,
        }  # fmt: skip
    else:
        chosen = set()
        form = {"audience": "all", "category": _int(request.GET.get("category"))}
    return render(request, "bulletin/editor.html", {
        "post": post, "categories": categories, "form": form, "errors": errors, "chosen": chosen,
        "departments": org_queries.labelled_departments(),
        "attachments": list(post.attachments.all()) if post is not None else [],
    })  # fmt: skip


@login_required
def readers_page(request, post_id: int):
    post = queries.access_post(request.user, post_id)
    if not rules.can_edit_post(request.user, post):
        raise PermissionDenied
    state = request.GET.get("state", "unread")
    if state not in ("read", "unread"):
        state = "unread"
    offset = max(_int(request.GET.get("offset"), 0), 0)
    people = list(queries.readers(post, state=state)[offset : offset + 101])
    org_queries.attach_posts(people[:100])
    total, read = queries.read_counts(post)
    return render(request, "bulletin/readers.html", {
        "post": post, "people": people[:100], "more": len(people) > 100, "next_offset": offset + 100,
        "state": state, "total": total, "read": read, "unread": total - read,
        "scheduled": post.publish_at > timezone.now(),
    })  # fmt: skip


@login_required
def history_page(request, post_id: int):
    post = queries.access_post(request.user, post_id)
    return render(request, "bulletin/history.html", {
        "post": post, "revisions": post.revisions.select_related("editor")[:100],
    })  # fmt: skip


@login_required
def attachment(request, attachment_id: int):
    a = actions.access_attachment(request.user, attachment_id)
    return blob_response(request, a.blob, a.name, inline=True)


@login_required
def categories(request):
    user = request.user
    errors: list[str] = []
    if request.method == "POST":
        op = request.POST.get("op")
        editors = request.POST.get("editors", "").split()
        department_id = _int(request.POST.get("department"))
        try:
            if op == "create":
                actions.do_create_category(user, name=request.POST.get("name", ""), department_id=department_id,
                                           editors=editors, request=request)  # fmt: skip
                messages.success(request, _("カテゴリを作成しました。"))
            else:
                category = actions.access_category(user, _int(request.POST.get("category"), 0))
                if op == "update":
                    actions.do_update_category(user, category, name=request.POST.get("name", ""),
                                               department_id=department_id, editors=editors, request=request)  # fmt: skip
                    messages.success(request, _("カテゴリを更新しました。"))
                elif op == "delete":
                    actions.do_delete_category(user, category, request=request)
                    messages.success(request, _("カテゴリを削除しました。"))
                else:
                    raise Http404
            return redirect("bulletin:categories")
        except ValidationError as exc:
            errors = _errors(exc)
        except PermissionDenied as exc:
            errors = [str(exc) or _("この操作はできません。")]
    admin = is_it_admin(user)
    headed = set(Membership.objects.filter(staff=user, is_head=True).values_list("department_id", flat=True))
    if not admin and not headed:
        raise Http404
    rows = []
    for c in Category.objects.select_related("department").prefetch_related("editors"):
        if admin or c.department_id in headed:
            rows.append({"category": c, "editors": " ".join(e.username for e in c.editors.all()),
                         "editor_names": "、".join(e.full_name or e.username for e in c.editors.all())})  # fmt: skip
    departments = org_queries.labelled_departments()
    if not admin:
        departments = [d for d in departments if d.pk in headed]
    return render(request, "bulletin/categories.html", {
        "rows": rows, "departments": departments, "errors": errors, "admin": admin, "data": request.POST,
    })  # fmt: skip
