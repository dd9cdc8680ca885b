from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kiban.core import modules


class NotificationsConfig(modules.KibanModule):
    name = "kiban.notifications"
    label = "notifications"
    portal_panels = [modules.PortalPanel("notifications", "kiban.notifications.portal.panel", order=15)]
    verbose_name = _("通知")
    api_routers = [("/", "kiban.notifications.api")]
    urls = "kiban.notifications.urls"
