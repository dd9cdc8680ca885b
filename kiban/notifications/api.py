"""REST API for a person's own notifications (the notification centre, the bell's badge)."""

from __future__ import annotations

from ninja import Query, Router, Schema
from pydantic import Field

from kiban.notifications import actions
from kiban.notifications.schemas import NotificationOut
from kiban.notifications.serializers import notification_out

router = Router(tags=["notifications"])

MAX_LIMIT = 200


class NotificationListOut(Schema):
    results: list[NotificationOut]
    more: bool = Field(description="Older notifications exist: ask again with before=<last id>.")


class NotificationFilters(Schema):
    unread: bool = Field(False, description="Only unread notifications.")
    before: int | None = Field(None, ge=1, description="Only notifications with an id below this (paging).")
    limit: int = Field(50, ge=1, le=MAX_LIMIT)


class UnreadCountOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int


class PreferencesIn(Schema):
    email_digest: bool


class PreferencesOut(Schema):
    email_digest: bool = Field(
        description="Receive an email summary of unread DMs and mentions when offline."
    )


@router.get("/notifications", response=NotificationListOut, summary="My notifications, newest first")
def list_notifications(request, filters: Query[NotificationFilters]):
    rows, more = actions.list_notifications(
        request.auth, unread_only=filters.unread, before_id=filters.before, limit=filters.limit
    )
    return {"results": [notification_out(n) for n in rows], "more": more}


@router.get("/notifications/unread-count", response=UnreadCountOut, summary="How many are unread")
def unread_count(request):
    return {"unread": actions.unread_count(request.auth)}


@router.post("/notifications/read-all", response=MarkedOut, summary="Mark all my notifications read")
def read_all(request):
    return {"marked": actions.mark_all_read(request.auth)}


@router.post("/notifications/{notification_id}/read", response=NotificationOut, summary="Mark one read")
def read_one(request, notification_id: int):
    return notification_out(actions.mark_read(request.auth, notification_id))


@router.get("/notifications/preferences", response=PreferencesOut, summary="My notification settings")
def get_preferences(request):
    return {"email_digest": actions.email_digest_enabled(request.auth)}


@router.put("/notifications/preferences", response=PreferencesOut, summary="Change my notification settings")
def put_preferences(request, payload: PreferencesIn):
    pref = actions.do_set_email_digest(request.auth, payload.email_digest)
    return {"email_digest": pref.email_digest}
