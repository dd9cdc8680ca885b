from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kiban.core import modules


class FilesConfig(modules.KibanModule):
    name = "kiban.files"
    label = "files"
    verbose_name = _("ファイル")
    api_routers = [("/", "kiban.files.api")]
    urls = "kiban.files.urls"
    navigation = [
        modules.NavEntry(
            "files",
            _("ファイル"),
            "files:index",
            "folder",
            order=45,
            short_label=pgettext_lazy("nav", "ファイル"),
        )
    ]
    manage_links = [
        modules.ManageLink(
            _("ファイルの容量上限"), "admin:files_sectionquota_changelist", order=45,
            description=_("所属ごとのファイル容量の上限"),
        )
    ]  # fmt: skip
