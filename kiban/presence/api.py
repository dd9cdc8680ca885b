"""REST API of presence and phone memos (CONTRACT.md, "presence, phone memos")."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from kiban.core import paging
from kiban.org import queries as org_queries
from kiban.org.models import Department
from kiban.presence import actions, queries
from kiban.presence.models import PhoneMemo
from kiban.presence.schemas import PhoneMemoOut, PresenceOut
from kiban.presence.serializers import memo_out

router = Router(tags=["presence"])
Staff = get_user_model()

MAX_USERS = paging.MAX_LIMIT


class PresenceIn(Schema):
    status: Literal["available", "meeting", "out", "trip", "leave", "remote", "gone"]
    destination: str = Field("", max_length=100)
    until: dt.datetime | None = Field(None, description="Return time; Asia/Tokyo when no offset is given")
    note: str = Field("", max_length=200)
    username: str | None = Field(
        None, max_length=32, description="Set a member's status (section administrators); default: oneself"
    )


class PhoneMemoIn(Schema):
    to: str = Field(max_length=32, description="Username of the person the memo is for")
    caller_name: str = Field(max_length=100)
    caller_org: str = Field("", max_length=100)
    caller_phone: str = Field("", max_length=30)
    message: str = Field("", max_length=1000)
    action: Literal["call_back", "will_call_again", "fyi"] = "call_back"
    called_at: dt.datetime | None = None


def _person(username: str | None, request) -> object:
    if not username or username == request.user.username:
        return request.user
    return get_object_or_404(Staff, username=username, is_active=True)


@router.get("/presence", response=paging.Page[PresenceOut], summary="Presence of people or of a section")
def list_presence(
    request: HttpRequest,
    page: Query[paging.PageQuery],
    users: str | None = None,
    department: int | None = None,
):
    """`users=a,b` (usernames, at most 200; unknown or retired ones are left out) or `department=ID` (its
    members, 本務 and 兼務, in 職員録 order). The caller then receives these people's `presence.changed`
    events for ten minutes (read again to keep receiving them)."""
    if (users is None) == (department is None):
        raise HttpError(400, "users: users か department のどちらか一方を指定してください。")
    if users is not None:
        names = [u for u in dict.fromkeys(x.strip() for x in users.split(",")) if u]
        if not names or len(names) > MAX_USERS:
            raise HttpError(400, f"users: 1〜{MAX_USERS}人のユーザー名をカンマ区切りで指定してください。")
        found = {
            p.username: p
            for p in Staff.objects.filter(username__in=names, is_active=True).only("id", "username")
        }
        people = [found[name] for name in names if name in found]
    else:
        dept = Department.objects.filter(pk=department, is_active=True).first()
        if dept is None:
            raise HttpError(404, "department: 該当する所属はありません。")
        ids = org_queries.member_ids(dept.pk)
        by_id = Staff.objects.only("id", "username").in_bulk(ids)
        people = [by_id[i] for i in ids if i in by_id]
    result = paging.page(people, page)
    shown = result["results"]
    actions.do_watch(request.user, [p.pk for p in shown])
    current = queries.presence_of(shown)
    return {"results": [current[p.pk] for p in shown], "more": result["more"]}


@router.put("/presence", response=PresenceOut, summary="Set a status by hand (until the return time)")
def set_presence(request: HttpRequest, payload: PresenceIn):
    person = _person(payload.username, request)
    return actions.do_set_presence(
        request.user, person, status=payload.status, destination=payload.destination,
        until=payload.until, note=payload.note, request=request,
    )  # fmt: skip


@router.delete(
    "/presence", response=PresenceOut, summary="Drop the status set by hand (calendar and clock decide)"
)
def clear_presence(request: HttpRequest, username: str | None = None):
    return actions.do_clear_presence(request.user, _person(username, request), request=request)


@router.get("/phone-memos", response=paging.Page[PhoneMemoOut], summary="Phone memos for me, or taken by me")
def list_memos(
    request: HttpRequest,
    page: Query[paging.PageQuery],
    state: Literal["open", "all"] | None = None,
    taken: bool = False,
):
    """Memos for the caller (`state=open`: not done yet; `all`), newest first; with `taken=1` the memos the
    caller took for others (with `read_at`, `done_at`; all of them unless `state=open`). Listing one's own
    memos marks them read."""
    rows = PhoneMemo.objects.select_related("to", "taken_by").order_by("-created_at", "-pk")
    rows = rows.filter(taken_by=request.user) if taken else rows.filter(to=request.user)
    if state == "open" or (state is None and not taken):
        rows = rows.filter(done_at__isnull=True)
    result = paging.page(rows, page)
    memos = result["results"]
    if not taken and actions.do_mark_read(request.user, memos):
        memos = list(
            PhoneMemo.objects.select_related("to", "taken_by")
            .filter(pk__in=[m.pk for m in memos])
            .order_by("-created_at", "-pk")
        )
    return {"results": [memo_out(m) for m in memos], "more": result["more"]}


@router.post("/phone-memos", response={201: PhoneMemoOut}, summary="Take a phone memo for a colleague")
def take_memo(request: HttpRequest, payload: PhoneMemoIn):
    to = Staff.objects.filter(username=payload.to, is_active=True).first()
    memo = actions.do_take_memo(
        request.user, to, caller_name=payload.caller_name, caller_org=payload.caller_org,
        caller_phone=payload.caller_phone, message=payload.message, action=payload.action,
        called_at=payload.called_at, request=request,
    )  # fmt: skip
    return Status(201, memo_out(PhoneMemo.objects.select_related("to", "taken_by").get(pk=memo.pk)))


@router.get("/phone-memos/{int:memo_id}", response=PhoneMemoOut, summary="One memo (for me or taken by me)")
def get_memo(request: HttpRequest, memo_id: int):
    return memo_out(actions.access_memo(request.user, memo_id))


@router.post("/phone-memos/{int:memo_id}/done", response=PhoneMemoOut, summary="Mark a memo for me done")
def memo_done(request: HttpRequest, memo_id: int):
    memo = actions.access_memo(request.user, memo_id)
    return memo_out(actions.do_mark_done(request.user, memo, request=request))
