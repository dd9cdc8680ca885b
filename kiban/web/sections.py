"""The navigation of the web shell. A module appears once its URL exists: a later module adds nothing
here but its entry point name (e.g. `chat:index`), and the section lights up when that route is installed."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kiban.core.permissions import is_it_admin


@dataclass(frozen=True)
class Section:
    key: str
    label: str | Promise
    url_name: str
    icon: str  # an <svg><use href="icons.svg#…"> name
    admin_only: bool = False


SECTIONS = [
    Section("portal", _("ポータル"), "web:portal", "home"),
    Section("chat", _("チャット"), "chat:index", "chat"),
    Section("schedule", _("スケジュール"), "calendar:index", "calendar"),
    Section("booking", _("施設予約"), "booking:index", "building"),
    Section("directory", _("職員録"), "org:directory", "people"),
    Section("bulletin", _("掲示板"), "bulletin:index", "board"),
    Section("workflow", _("ワークフロー"), "workflow:index", "stamp"),
    Section("admin", _("管理"), "web:manage", "gear", admin_only=True),
]


def available_sections(user) -> list[tuple[Section, str]]:
    result = []
    for section in SECTIONS:
        if section.admin_only and not is_it_admin(user):
            continue
        try:
            url = reverse(section.url_name)
        except NoReverseMatch:
            continue
        result.append((section, url))
    return result
