"""Bulletin API (CONTRACT.md "bulletin post", "bulletin category"), mounted at /api/v1/bulletin/."""

from __future__ import annotations

import datetime as dt
import functools

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from pydantic import Field

from kiban.blobs import store
from kiban.blobs.serve import blob_response
from kiban.bulletin import actions, queries, rules
from kiban.bulletin.models import Category
from kiban.bulletin.schemas import (
    AttachmentOut,
    CategoryOut,
    CommentOut,
    PostOut,
    PostSummary,
    ReaderOut,
    ReadersPage,
    RevisionOut,
)
from kiban.bulletin.serializers import (
    attachment_out,
    category_out,
    comment_out,
    name_of,
    post_out,
    post_summary,
    revision_out,
)
from kiban.core import paging
from kiban.org import queries as org_queries
from kiban.org.models import Membership

router = Router(tags=["bulletin"])

AUDIENCE_HELP = '{"all": true} or {"departments": [ids]} (sub-departments and 兼務 members included)'


class CategoryIn(Schema):
    name: str
    department: int | None = None
    editors: list[str] | None = None


class CategoryPatch(Schema):
    name: str | None = None
    department: int | None = None
    editors: list[str] | None = None


class PostIn(Schema):
    category: int
    title: str
    body: str
    audience: dict = Field(default_factory=lambda: {"all": True}, description=AUDIENCE_HELP)
    publish_at: dt.datetime | None = Field(
        None, description="Scheduled publication (予約投稿); now when absent"
    )
    expires_at: dt.datetime | None = None
    notify_email: bool = False
    important: bool = False
    pinned: bool = False
    attachments: list[int] | None = Field(None, description="ids from POST /api/v1/bulletin/attachments")


class PostPatch(Schema):
    category: int | None = None
    title: str | None = None
    body: str | None = None
    audience: dict | None = Field(None, description=AUDIENCE_HELP)
    publish_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    notify_email: bool | None = None
    important: bool | None = None
    pinned: bool | None = None
    attachments: list[int] | None = None


class CommentIn(Schema):
    body: str


def _errors(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except store.TooLarge as exc:
            raise HttpError(
                413, _("file: %(mb)d MB を超えるファイルは添付できません。") % {"mb": exc.limit // 1048576}
            ) from exc

    return wrapped


def _category_out(user, category: Category) -> CategoryOut:
    return category_out(
        category,
        can_post=rules.can_post(user, category),
        can_manage=rules.can_manage_category(user, category),
    )


@router.get(
    "/categories", response=paging.Page[CategoryOut], summary="Every category, with what the caller may do"
)
def list_categories(request: HttpRequest, page: Query[paging.PageQuery]):
    editable = rules.editable_category_ids(request.user)
    categories = (
        Category.objects.select_related("department")
        .prefetch_related("editors")
        .order_by("order", "name", "pk")
    )

    def out(c: Category) -> CategoryOut:
        can_post = editable is None or c.pk in editable
        return category_out(c, can_post=can_post, can_manage=rules.can_manage_category(request.user, c))

    return paging.page(categories, page, out)


@router.post("/categories", response={201: CategoryOut},
             summary="Create a category (IT administrators, or the owning section's heads)")  # fmt: skip
def create_category(request: HttpRequest, payload: CategoryIn):
    category = actions.do_create_category(
        request.user,
        name=payload.name,
        department_id=payload.department,
        editors=payload.editors,
        request=request,
    )
    return Status(201, _category_out(request.user, category))


@router.get("/categories/{int:category_id}", response=CategoryOut, summary="A category")
def get_category(request: HttpRequest, category_id: int):
    return _category_out(request.user, actions.access_category(request.user, category_id))


@router.patch("/categories/{int:category_id}", response=CategoryOut, summary="Rename, move, name editors")
def update_category(request: HttpRequest, category_id: int, payload: CategoryPatch):
    category = actions.access_category(request.user, category_id)
    given = payload.model_dump(exclude_unset=True)
    category = actions.do_update_category(
        request.user, category, name=given.get("name"), department_id=given.get("department", ...),
        editors=given.get("editors"), request=request,
    )  # fmt: skip
    return _category_out(request.user, category)


@router.delete("/categories/{int:category_id}", response={204: None}, summary="Delete an empty category")
def delete_category(request: HttpRequest, category_id: int):
    actions.do_delete_category(
        request.user, actions.access_category(request.user, category_id), request=request
    )
    return Status(204, None)


@router.get("/posts", response=paging.Page[PostSummary],
            summary="Posts for the caller: pinned on top, unread first, newest first; by category; search")  # fmt: skip
def list_posts(request: HttpRequest, page: Query[paging.PageQuery], category: int | None = None, q: str = "",
               unread: bool = False):  # fmt: skip
    if len(q) > 200:
        raise HttpError(400, _("q: 検索語は200文字までです。"))
    posts = queries.board(request.user, category_id=category, search=q, unread_only=unread)
    return paging.page(posts, page, post_summary)


@router.post(
    "/posts", response={201: PostOut}, summary="Post (or schedule) in a category the caller may post in"
)
def create_post(request: HttpRequest, payload: PostIn):
    post = actions.do_create_post(request.user, **payload.model_dump(exclude={"category"}),
                                  category_id=payload.category, request=request)  # fmt: skip
    post = queries.access_post(request.user, post.pk)
    return Status(201, post_out(post, read=bool(post.is_read)))


@router.get(
    "/posts/{int:post_id}", response=PostOut, summary="A post (404 before publish_at, except for editors)"
)
def get_post(request: HttpRequest, post_id: int):
    post = queries.access_post(request.user, post_id)
    return post_out(post, read=bool(post.is_read))


@router.patch("/posts/{int:post_id}", response=PostOut, summary="Edit (the previous version is kept)")
def edit_post(request: HttpRequest, post_id: int, payload: PostPatch):
    post = queries.access_post(request.user, post_id)
    changes = payload.model_dump(exclude_unset=True)
    for required in ("title", "body", "category", "audience", "publish_at"):
        if required in changes and changes[required] is None:
            raise HttpError(400, f"{required}: " + _("空にはできません。"))
    actions.do_edit_post(request.user, post, request=request, **changes)
    post = queries.access_post(request.user, post_id)
    return post_out(post, read=bool(post.is_read))


@router.delete("/posts/{int:post_id}", response={204: None}, summary="Delete a post (audited)")
def delete_post(request: HttpRequest, post_id: int):
    actions.do_delete_post(request.user, queries.access_post(request.user, post_id), request=request)
    return Status(204, None)


@router.post("/posts/{int:post_id}/read", response=PostOut, summary="Mark the post read by the caller (回覧)")
def read_post(request: HttpRequest, post_id: int):
    post = queries.access_post(request.user, post_id)
    actions.do_mark_read(request.user, post)
    return post_out(post, read=True)


@router.get("/posts/{int:post_id}/readers", response=ReadersPage,
            summary="Who has read and who has not (author and editors); state=all|read|unread")  # fmt: skip
def post_readers(request: HttpRequest, post_id: int, page: Query[paging.PageQuery], state: str = "all"):
    post = queries.access_post(request.user, post_id)
    if not rules.can_edit_post(request.user, post):
        raise HttpError(403, _("既読状況を見られるのは投稿者とカテゴリの編集者です。"))
    if state not in ("all", "read", "unread"):
        raise HttpError(400, _("state: all、read、unread のいずれかです。"))
    rows = paging.page(queries.readers(post, state=state), page)
    labels = _primary_labels([p.pk for p in rows["results"]])
    total, read = queries.read_counts(post)
    return ReadersPage(
        results=[
            ReaderOut(username=p.username, name=name_of(p), department=labels.get(p.pk, ""), read_at=p.read_at)
            for p in rows["results"]
        ],
        more=rows["more"], total=total, read=read,
    )  # fmt: skip


def _primary_labels(staff_ids: list[int]) -> dict[int, str]:
    primary = dict(
        Membership.objects.filter(staff_id__in=staff_ids, is_primary=True).values_list(
            "staff_id", "department_id"
        )
    )
    labels = org_queries.department_labels(set(primary.values()))
    return {staff: labels.get(department, "") for staff, department in primary.items()}


@router.post(
    "/posts/{int:post_id}/remind", response=dict, summary="Remind the audience members who have not read it"
)
def remind(request: HttpRequest, post_id: int):
    post = queries.access_post(request.user, post_id)
    return {"reminded": actions.do_remind(request.user, post, request=request)}


@router.get(
    "/posts/{int:post_id}/comments", response=paging.Page[CommentOut], summary="Comments, oldest first"
)
def list_comments(request: HttpRequest, post_id: int, page: Query[paging.PageQuery]):
    post = queries.access_post(request.user, post_id)
    return paging.page(post.comments.select_related("author").order_by("created_at", "pk"), page, comment_out)


@router.post("/posts/{int:post_id}/comments", response={201: CommentOut}, summary="Comment on a post")
def add_comment(request: HttpRequest, post_id: int, payload: CommentIn):
    post = queries.access_post(request.user, post_id)
    return Status(201, comment_out(actions.do_comment(request.user, post, payload.body)))


@router.get("/posts/{int:post_id}/history", response=paging.Page[RevisionOut],
            summary="Earlier versions of the post, newest first")  # fmt: skip
def history(request: HttpRequest, post_id: int, page: Query[paging.PageQuery]):
    post = queries.access_post(request.user, post_id)
    return paging.page(
        post.revisions.select_related("editor").order_by("-edited_at", "-pk"), page, revision_out
    )


@router.post("/attachments", response={201: AttachmentOut},
             summary="Upload a file for a post about to be saved (multipart: file, name?)")  # fmt: skip
@_errors
def upload_attachment(request: HttpRequest, file: File[UploadedFile], name: Form[str] = ""):
    return Status(201, attachment_out(actions.do_upload_attachment(request.user, file, name or None)))


@router.get("/attachments/{int:attachment_id}/content", summary="An attachment's bytes")
def attachment_content(request: HttpRequest, attachment_id: int):
    attachment = actions.access_attachment(request.user, attachment_id)
    return blob_response(request, attachment.blob, attachment.name, inline=True)
