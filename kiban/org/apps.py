from __future__ import annotations

from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "kiban.org"
    label = "org"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from kiban.org import search

        # An infrastructure hook, not a business side effect: a table rebuilt by a later migration loses
        # its triggers (see kiban.org.search). The SQLite functions the triggers call are registered by
        # kiban.core (kiban.core.search).
        post_migrate.connect(search.ensure_index, sender=self, dispatch_uid="kiban_org_ensure_index")
