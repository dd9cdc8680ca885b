from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kiban.core import modules


class CoreConfig(modules.KibanModule):
    name = "kiban.core"
    label = "core"
    verbose_name = _("基盤")
    urls = "kiban.core.urls"
    manage_links = [
        modules.ManageLink(_("バックグラウンド処理"), "core:jobs", order=90),
        modules.ManageLink(
            _("APIドキュメント"),
            "api:openapi-view",
            order=95,
            description=_("REST APIの説明と試用（OpenAPI）"),
        ),
    ]
    commands = [
        modules.Command(
            "serve",
            "[--host H] [--port P] [--demo] [--workers N]",
            "migrate, then serve HTTP + WebSocket and the worker",
            order=0,
        ),
        modules.Command(
            "worker", "[--batch]", "the background worker alone (scaled-out deployments)", order=1
        ),
        modules.Command("backup", "FILE", "a consistent backup of database and files", order=80),
        modules.Command("restore", "FILE", "restore a backup", order=81),
    ]

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from kiban.core import search

        # The SQLite search triggers (directory, messages) call Python functions that must exist on every
        # connection (kiban.core.search). Infrastructure, not a business side effect.
        connection_created.connect(
            search.register_sqlite_functions, dispatch_uid="kiban_sqlite_search_functions"
        )
