from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kiban.core"
    label = "core"
    verbose_name = "Kiban core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from kiban.core import search

        # The SQLite search triggers (directory, messages) call Python functions that must exist on every
        # connection (kiban.core.search). Infrastructure, not a business side effect.
        connection_created.connect(
            search.register_sqlite_functions, dispatch_uid="kiban_sqlite_search_functions"
        )
