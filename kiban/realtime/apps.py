from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kiban.core import modules


class RealtimeConfig(modules.KibanModule):
    name = "kiban.realtime"
    label = "realtime"
    verbose_name = _("リアルタイム配信")
    api_routers = [("/", "kiban.realtime.api")]
    urls = "kiban.realtime.urls"
