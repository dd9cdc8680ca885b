from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kiban.core import modules


class SafetyConfig(modules.KibanModule):
    """Safety confirmation (安否確認): after a disaster, everyone asked answers in two taps; a live dashboard
    counts the answers by department."""

    name = "kiban.safety"
    label = "safety"
    verbose_name = _("安否確認")
    api_routers = [("/", "kiban.safety.api")]
    urls = "kiban.safety.urls"
    navigation = [
        modules.NavEntry(
            "safety",
            _("安否確認"),
            "safety:index",
            "info",
            order=55,
            short_label=pgettext_lazy("nav", "安否"),
        )
    ]
    manage_links = [
        modules.ManageLink(
            _("安否確認のテンプレート"),
            "safety:templates",
            order=55,
            description=_("災害時にすぐ開始できる安否確認を準備します。"),
        )  # fmt: skip
    ]
    demo = "kiban.safety.demo.load_demo"
    demo_order = 80
    portal_panels = [modules.PortalPanel("safety", "kiban.safety.portal.panel", order=0)]
