from __future__ import annotations

from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "kiban.chat"
    label = "chat"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from kiban.chat import search

        # Infrastructure, not a business side effect: a migration that rebuilds chat_message on SQLite drops
        # the search triggers; put them back (kiban.chat.search.ensure_index).
        post_migrate.connect(search.ensure_index, sender=self, dispatch_uid="kiban_chat_ensure_index")
