from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kiban.core import modules


class BulletinConfig(modules.KibanModule):
    """The bulletin board (掲示板): categories per department, scheduled posts with email notification,
    read tracking (回覧), comments and edit history."""

    name = "kiban.bulletin"
    label = "bulletin"
    verbose_name = _("掲示板")
    api_routers = [("/bulletin/", "kiban.bulletin.api")]
    urls = "kiban.bulletin.urls"
    navigation = [
        modules.NavEntry(
            "bulletin",
            _("掲示板"),
            "bulletin:index",
            "board",
            order=40,
            short_label=pgettext_lazy("nav", "掲示板"),
        )  # fmt: skip
    ]
    manage_links = [
        modules.ManageLink(
            _("掲示板のカテゴリ"),
            "bulletin:categories",
            order=40,
            description=_("カテゴリの作成と、投稿できる人の設定"),
        )  # fmt: skip
    ]
    demo = "kiban.bulletin.demo.load_demo"
    demo_order = 60
    portal_panels = [modules.PortalPanel("bulletin", "kiban.bulletin.portal.panel", order=20)]
