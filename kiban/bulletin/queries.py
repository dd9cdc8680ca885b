"""Reads of the bulletin board: what a person may see, boards, search, readers, the portal's part."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from kiban.accounts.models import Staff
from kiban.bulletin import rules
from kiban.bulletin.models import Post, PostDepartment, Read
from kiban.core.text import normalize
from kiban.org import queries as org_queries
from kiban.org.models import Membership

NEW_DAYS = 7


def current_q(now) -> Q:
    """Published and not expired."""
    return Q(publish_at__lte=now) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def addressed_q(scope: set[int]) -> Q:
    """Addressed to all staff or to one of the departments in `scope` (`rules.reader_scope`)."""
    return Q(audience_all=True) | Q(
        Exists(PostDepartment.objects.filter(post=OuterRef("pk"), department_id__in=scope))
    )


def readable_posts(user, *, now=None, include_managed: bool = True) -> QuerySet[Post]:
    """Every post the person may open: current posts addressed to them; with `include_managed`, also every
    post of a category they edit and their own (scheduled and expired ones included)."""
    now = now or timezone.now()
    condition = current_q(now) & addressed_q(rules.reader_scope(user))
    if include_managed:
        editable = rules.editable_category_ids(user)
        if editable is None:
            return Post.objects.all()
        condition |= Q(author_id=user.pk) | Q(category_id__in=editable)
    return Post.objects.filter(condition)


def with_read(posts: QuerySet[Post], user) -> QuerySet[Post]:
    return posts.annotate(is_read=Exists(Read.objects.filter(post=OuterRef("pk"), staff_id=user.pk)))


def access_post(user, post_id: int) -> Post:
    """The post if the person may open it; otherwise it does not exist for them (404)."""
    post = (
        with_read(readable_posts(user).filter(pk=post_id), user)
        .select_related("category", "author", "category__department")
        .prefetch_related("attachments", "audience_rows")
        .first()
    )
    if post is None:
        raise Http404
    return post


def board(
    user, *, category_id: int | None = None, search: str = "", unread_only: bool = False
) -> QuerySet[Post]:
    """A board in reading order: pinned on top, then unread before read, newest first. Readers see current
    posts; a category's editors also their scheduled and expired ones."""
    posts = with_read(readable_posts(user), user)
    if category_id is not None:
        posts = posts.filter(category_id=category_id)
    for term in normalize(search or "").split()[:8]:
        posts = posts.filter(search_text__contains=term)
    if unread_only:
        posts = posts.filter(is_read=False)
    return posts.select_related("category", "author").order_by("-pinned", "is_read", "-publish_at", "-pk")


def audience_staff(post: Post) -> QuerySet[Staff]:
    """The active staff the post is addressed to now (its departments with sub-departments, 兼務 included)."""
    active = Staff.objects.filter(is_active=True)
    if post.audience_all:
        return active
    ids = list(post.audience_rows.values_list("department_id", flat=True))
    departments = org_queries.subtree_ids(ids)
    return active.filter(
        Exists(Membership.objects.filter(staff=OuterRef("pk"), department_id__in=departments))
    )


def audience_ids(post: Post) -> list[int]:
    return list(audience_staff(post).order_by("pk").values_list("pk", flat=True))


def readers(post: Post, *, state: str = "all") -> QuerySet[Staff]:
    """The audience with each person's first read time (`read_at`, None when unread); unread first, then
    in 職員録 order. `state`: all, read or unread."""
    read_at = Read.objects.filter(post=post, staff=OuterRef("pk")).values("read_at")[:1]
    people = audience_staff(post).annotate(read_at=Subquery(read_at))
    if state == "read":
        people = people.filter(read_at__isnull=False)
    elif state == "unread":
        people = people.filter(read_at__isnull=True)
    return people.order_by(F("read_at").asc(nulls_first=True), "sort_key", "username")


def read_counts(post: Post) -> tuple[int, int]:
    """(audience size, how many of them have read)."""
    audience = audience_staff(post)
    return audience.count(), Read.objects.filter(post=post, staff__in=audience).count()


def portal(user, *, limit: int = 5, now=None) -> tuple[list[Post], int]:
    """Important posts and posts of the last week that the person has not read (important first), and how
    many current posts addressed to them they have not read."""
    now = now or timezone.now()
    unread = with_read(readable_posts(user, now=now, include_managed=False), user).filter(is_read=False)
    recent = now - dt.timedelta(days=NEW_DAYS)
    shown = list(
        unread.filter(Q(important=True) | Q(publish_at__gte=recent))
        .select_related("category", "author")
        .order_by("-important", "-pinned", "-publish_at", "-pk")[:limit]
    )
    return shown, unread.count()
