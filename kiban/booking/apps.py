from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kiban.core import modules


class BookingConfig(modules.KibanModule):
    name = "kiban.booking"
    label = "booking"
    portal_panels = [modules.PortalPanel("booking", "kiban.booking.portal.panel", order=30)]
    verbose_name = _("施設予約")
    api_routers = [("/", "kiban.booking.api")]
    urls = "kiban.booking.urls"
    navigation = [
        modules.NavEntry(
            "booking",
            _("施設予約"),
            "booking:index",
            "building",
            order=30,
            short_label=pgettext_lazy("nav", "施設予約"),
        )
    ]
    demo = "kiban.booking.demo.load_demo"
    demo_order = 20
