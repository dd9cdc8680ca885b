"""The address people use to reach this server, for links that leave the page (feed URLs, webhooks)."""

from __future__ import annotations

from django.conf import settings


def base_url(request=None) -> str:
    """`KIBAN_BASE_URL` when the administrator set it (a proxy in front decides the public address); else
    the address of the request being answered, so a server on another port or host gives links that work
    (the Host header has passed ALLOWED_HOSTS). Without either: the default base URL."""
    if getattr(settings, "BASE_URL_CONFIGURED", True) or request is None:
        return settings.BASE_URL.rstrip("/")
    return request.build_absolute_uri("/").rstrip("/")
