"""The portal's 通知 section: how many notifications are unread and the latest few (partial index
`notif_unread`: two small index reads)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kiban.core.modules import PortalSection
from kiban.core.schemas import OutSchema
from kiban.notifications.actions import list_notifications, unread_count
from kiban.notifications.schemas import NotificationOut
from kiban.notifications.serializers import notification_out

MAX_SHOWN = 5


class UnreadNotificationsOut(OutSchema):
    unread: int
    latest: list[NotificationOut]


def panel(request) -> PortalSection | None:
    user = request.user
    unread = unread_count(user)
    if not unread:
        return None
    rows, _more = list_notifications(user, unread_only=True, limit=MAX_SHOWN)
    return PortalSection(
        title=_("未読の通知"),
        template="notifications/portal.html",
        data=UnreadNotificationsOut(unread=unread, latest=[notification_out(n) for n in rows]),
        url=reverse("notifications:index"),
        count=unread,
    )
