"""The bulletin's section of each person's portal: important and new posts they have not read."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kiban.bulletin import queries
from kiban.bulletin.schemas import PortalOut
from kiban.bulletin.serializers import post_summary
from kiban.core import modules


def panel(request) -> modules.PortalSection | None:
    posts, unread = queries.portal(request.user)
    for post in posts:
        post.is_read = False
    return modules.PortalSection(
        title=_("掲示板"),
        template="bulletin/portal.html",
        data=PortalOut(posts=[post_summary(p) for p in posts], unread=unread),
        url=reverse("bulletin:index"),
        count=unread,
    )
