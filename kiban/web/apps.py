from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kiban.core import modules


class WebConfig(modules.KibanModule):
    name = "kiban.web"
    label = "web"
    verbose_name = _("画面")
    urls = "kiban.web.urls"
    navigation = [
        modules.NavEntry("portal", _("ポータル"), "web:portal", "home", order=0),
        modules.NavEntry(
            "admin",
            _("管理"),
            "web:manage",
            "gear",
            order=1000,
            admin_only=True,
            short_label=pgettext_lazy("nav", "管理"),
        ),
    ]
    manage_links = [
        modules.ManageLink(_("管理画面（職員・所属・設定）"), "admin:index", order=10),
    ]
