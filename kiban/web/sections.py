"""The navigation of the web shell, gathered from the modules (`navigation` in each AppConfig,
`kiban.core.modules.NavEntry`). An entry shows once its URL exists and, for administrators' entries, to IT
administrators only."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from kiban.core import modules
from kiban.core.permissions import is_it_admin


def available_sections(user) -> list[tuple[modules.NavEntry, str]]:
    result = []
    for entry in modules.navigation():
        if entry.admin_only and not is_it_admin(user):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        result.append((entry, url))
    return result


def available_manage_links() -> list[tuple[modules.ManageLink, str]]:
    result = []
    for link in modules.manage_links():
        try:
            result.append((link, reverse(link.url_name)))
        except NoReverseMatch:
            continue
    return result
