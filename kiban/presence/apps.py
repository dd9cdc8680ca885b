from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kiban.core import modules


class PresenceConfig(modules.KibanModule):
    """Presence (在席), the section's whereabouts board (行先掲示板) and phone memos (電話メモ)."""

    name = "kiban.presence"
    label = "presence"
    verbose_name = _("在席・行先")
    api_routers = [("/", "kiban.presence.api")]
    urls = "kiban.presence.urls"
    navigation = [
        modules.NavEntry(
            "presence",
            _("在席・行先"),
            "presence:board",
            "pin",
            order=45,
            short_label=pgettext_lazy("nav", "在席"),
        )
    ]
    demo = "kiban.presence.demo.load_demo"
    demo_order = 70
