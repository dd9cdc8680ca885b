"""A person-readable name for the device behind a User-Agent ("Chrome / Android"), for the session list."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari", DAVx5 says "okhttp".
_BROWSERS = [
    (r"EdgA?/|Edg/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"SamsungBrowser/", "Samsung Internet"),
    (r"Firefox/|FxiOS/", "Firefox"),
    (r"CriOS/|Chrome/|Chromium/", "Chrome"),
    (r"DAVx5", "DAVx⁵"),
    (r"Thunderbird/", "Thunderbird"),
    (r"dataaccessd|accountsd|CalendarAgent|AddressBook", "Apple"),
    (r"Version/.*Safari/|Mobile/.*Safari", "Safari"),
    (r"^curl/", "curl"),
    (r"python-requests|python-httpx|aiohttp", "Python"),
]
_SYSTEMS = [
    (r"Android", "Android"),
    (r"iPhone", "iPhone"),
    (r"iPad", "iPad"),
    (r"CrOS", "ChromeOS"),
    (r"Windows", "Windows"),
    (r"Mac OS X|Macintosh|macOS", "macOS"),
    (r"Linux", "Linux"),
]


def _first(patterns: list[tuple[str, str]], user_agent: str) -> str:
    for pattern, name in patterns:
        if re.search(pattern, user_agent):
            return name
    return ""


def describe_user_agent(user_agent: str) -> str:
    browser = _first(_BROWSERS, user_agent)
    system = _first(_SYSTEMS, user_agent)
    if browser and system:
        return f"{browser} / {system}"
    return browser or system or _("不明な端末")
