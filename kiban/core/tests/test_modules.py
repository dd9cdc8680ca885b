"""A module registers itself: its AppConfig declares URLs, API routers, navigation, manage links, demo loader
and commands, and the shell collects them (kiban/core/modules.py). Adding a module touches no central list."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse

from kiban.api import api
from kiban.core import modules

pytestmark = pytest.mark.django_db


def test_every_kiban_folder_with_an_apps_module_is_installed():
    found = sorted(p.parent.name for p in settings.BASE_DIR.glob("*/apps.py"))
    installed = [c.label for c in apps.get_app_configs() if c.name.startswith("kiban.")]
    assert sorted(installed) == found
    # The platform first, in dependency order; the web shell, which shows every module, last.
    assert installed[:5] == ["core", "accounts", "org", "realtime", "notifications"]
    assert installed[-1] == "web"


def test_every_kiban_app_config_is_a_module():
    for config in apps.get_app_configs():
        if config.name.startswith("kiban."):
            assert isinstance(config, modules.KibanModule), config.name


def test_the_api_mounts_every_declared_router():
    mounted = {router for _prefix, router in api._routers}
    for _prefix, dotted in modules.api_routers():
        module = __import__(dotted, fromlist=["router"])
        assert module.router in mounted, dotted


def test_the_site_includes_every_declared_urlconf():
    from kiban import urls

    included = {
        getattr(p.urlconf_module, "__name__", None) for p in urls.urlpatterns if hasattr(p, "urlconf_module")
    }
    assert set(modules.url_modules()) <= included


def test_declared_navigation_and_manage_links_name_real_pages():
    for entry in modules.navigation():
        reverse(entry.url_name)
    for link in modules.manage_links():
        reverse(link.url_name)


def test_manage_menu_lists_every_module_link(client, it_admin):
    client.force_login(it_admin)
    html = client.get(reverse("web:manage")).content.decode()
    for link in modules.manage_links():
        assert f'href="{reverse(link.url_name)}"' in html


def test_demo_loaders_and_commands_are_importable_and_ordered():
    loaders = modules.demo_loaders()
    assert loaders == [
        "kiban.booking.demo.load_demo",
        "kiban.calendar.demo.load_demo",
        "kiban.chat.demo.load_demo",
        "kiban.integrations.demo.load_demo",
    ]
    names = [command.name for command in modules.commands()]
    assert names[:3] == ["serve", "worker", "demo"]
    assert len(names) == len(set(names))
