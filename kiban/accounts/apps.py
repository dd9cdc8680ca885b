from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kiban.core import modules


class AccountsConfig(modules.KibanModule):
    name = "kiban.accounts"
    label = "accounts"
    verbose_name = _("アカウント")
    api_routers = [("/auth/", "kiban.accounts.api"), ("/me/", "kiban.accounts.api_me")]
    urls = "kiban.accounts.urls"
    manage_links = [modules.ManageLink(_("監査ログ"), "accounts:audit", order=20)]
