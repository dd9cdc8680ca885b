from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kiban.core import modules


class NotificationsConfig(modules.KibanModule):
    name = "kiban.notifications"
    label = "notifications"
    verbose_name = _("通知")
    api_routers = [("/", "kiban.notifications.api")]
    urls = "kiban.notifications.urls"
