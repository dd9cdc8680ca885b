from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kiban.core import modules


class OrgConfig(modules.KibanModule):
    name = "kiban.org"
    label = "org"
    verbose_name = _("組織")
    api_routers = [("/", "kiban.org.api")]
    urls = "kiban.org.urls"
    navigation = [
        modules.NavEntry(
            "directory",
            _("職員録"),
            "org:directory",
            "people",
            order=40,
            short_label=pgettext_lazy("nav", "職員録"),
        )
    ]
    manage_links = [modules.ManageLink(_("人事異動の予約"), "org:reshuffles", order=30)]
    commands = [
        modules.Command(
            "demo", "[--staff N] [--password P]", "load the fictional prefecture (架空県)", order=10
        ),
        modules.Command(
            "import-staff",
            "FILE.csv [--dry-run] [--full] [--effective DATE]",
            "staff and departments from an HR CSV",
            order=40,
        ),
    ]

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from kiban.org import search

        # An infrastructure hook, not a business side effect: a table rebuilt by a later migration loses
        # its triggers (see kiban.org.search). The SQLite functions the triggers call are registered by
        # kiban.core (kiban.core.search).
        post_migrate.connect(search.ensure_index, sender=self, dispatch_uid="kiban_org_ensure_index")
