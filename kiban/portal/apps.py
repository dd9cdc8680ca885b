from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kiban.core import modules


class PortalConfig(modules.KibanModule):
    """Each person's home page (`/`, the URL `web:portal`) and `GET /api/v1/portal`: the sections every
    module declares (`KibanModule.portal_panels`), in order."""

    name = "kiban.portal"
    label = "portal"
    verbose_name = _("ポータル")
    api_routers = [("/", "kiban.portal.api")]
