from __future__ import annotations

from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "kiban.org"
    label = "org"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from kiban.org import search

        # Infrastructure hooks, not business side effects: the SQLite search triggers call a Python
        # function that must exist on every connection, and a table rebuilt by a later migration loses
        # its triggers (see kiban.org.search).
        connection_created.connect(
            search.register_sqlite_functions, dispatch_uid="kiban_org_sqlite_functions"
        )
        post_migrate.connect(search.ensure_index, sender=self, dispatch_uid="kiban_org_ensure_index")
