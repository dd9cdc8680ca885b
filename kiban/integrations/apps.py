from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kiban.core import modules


class IntegrationsConfig(modules.KibanModule):
    """External systems that push data into Kiban: approval counts (決裁件数) now, SCIM later."""

    name = "kiban.integrations"
    label = "integrations"
    verbose_name = _("外部システム連携")
    api_routers = [("/integrations/", "kiban.integrations.api")]
    urls = "kiban.integrations.urls"
    manage_links = [
        modules.ManageLink(
            _("外部システム連携（決裁件数）"), "integrations:systems", order=60,
            description=_("文書管理・財務会計などのシステムを登録し、連携トークンを発行します"),
        )
    ]  # fmt: skip
    portal_panels = [modules.PortalPanel("approvals", "kiban.integrations.portal.panel", order=5)]
    demo = "kiban.integrations.demo.load_demo"
    demo_order = 90
