from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kiban.core import modules


class ChatConfig(modules.KibanModule):
    name = "kiban.chat"
    label = "chat"
    portal_panels = [modules.PortalPanel("chat", "kiban.chat.portal.panel", order=10)]
    verbose_name = _("チャット")
    api_routers = [("/", "kiban.chat.api"), ("/", "kiban.chat.api_search")]
    urls = "kiban.chat.urls"
    navigation = [modules.NavEntry("chat", _("チャット"), "chat:index", "chat", order=10)]
    demo = "kiban.chat.demo.load_demo"
    demo_order = 40

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from kiban.chat import audiences, search
        from kiban.realtime import audiences as realtime_audiences

        # Infrastructure, not a business side effect: a migration that rebuilds chat_message on SQLite drops
        # the search triggers; put them back (kiban.chat.search.ensure_index).
        post_migrate.connect(search.ensure_index, sender=self, dispatch_uid="kiban_chat_ensure_index")
        # The members of a large conversation, resolved by the realtime fan-out after the post's commit.
        realtime_audiences.register(audiences.MEMBERS, audiences.resolve_members)
