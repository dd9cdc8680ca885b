from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kiban.core import modules


class RealtimeConfig(modules.KibanModule):
    name = "kiban.realtime"
    label = "realtime"
    verbose_name = _("リアルタイム配信")
    api_routers = [("/", "kiban.realtime.api")]
    urls = "kiban.realtime.urls"

    def ready(self) -> None:
        super().ready()
        from kiban.accounts import revocation
        from kiban.org import changes
        from kiban.realtime.hub import credentials_changed
        from kiban.realtime.listeners import org_changed

        # accounts and org sit below realtime: they announce ended credentials and organisation changes
        # through these listeners.
        revocation.listen(credentials_changed)
        changes.listen(org_changed)
