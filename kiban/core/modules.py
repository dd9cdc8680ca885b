"""How a Kiban module registers itself: its `AppConfig` says what it adds to the shell.

    from kiban.core import modules

    class BulletinConfig(modules.KibanModule):
        name = "kiban.bulletin"
        label = "bulletin"
        api_routers = [("/bulletin/", "kiban.bulletin.api")]
        urls = "kiban.bulletin.urls"
        navigation = [modules.NavEntry("bulletin", _("掲示板"), "bulletin:index", "board", order=40)]
        manage_links = [modules.ManageLink(_("掲示板のカテゴリ"), "bulletin:categories", order=40)]
        demo = "kiban.bulletin.demo.load_demo"
        demo_order = 60
        commands = [modules.Command("bulletin-publish", "", "…")]
        portal_panels = [modules.PortalPanel("bulletin", "kiban.bulletin.portal.panel", order=20)]

Nothing central changes when a module is added: `kiban/settings.py` finds every `kiban/<app>/apps.py`,
`kiban/urls.py` and `kiban/api.py` collect URLs and routers from here, the web shell its navigation and the
manage menu, `kiban demo` the demo loaders, `kiban --help` the commands. By convention, and without a line here,
the background worker imports `<app>.jobs` (`kiban.core.jobs`), the realtime layer the event types in
`<app>.events` (`kiban.realtime.events.catalogue`), the audit log and jobs page the words in `<app>.labels`
(`AUDIT_LABELS`, `JOB_LABELS`: `kiban.core.labels_registry`), and Django the catalogue in `<app>/locale/`.

This module is part of `core` and imports no domain app: it only reads the app registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.apps import AppConfig, apps
from django.utils.functional import Promise


@dataclass(frozen=True)
class NavEntry:
    """An entry of the main navigation (top bar on a PC, bottom bar on a phone).

    `url_name` is the module's entry page; the entry shows only when it resolves. `icon` names a symbol of
    `kiban/static/kiban/icons.svg`. `order` places it (portal 0, chat 10, schedule 20, booking 30, …).
    `short_label` is what the phone's bottom bar shows under the icon (about 45 px each at 360 px, in every
    language: one short word); the full `label` stays the link's accessible name. Empty: the label itself.
    """

    key: str
    label: str | Promise
    url_name: str
    icon: str
    order: int = 100
    admin_only: bool = False
    short_label: str | Promise = ""


@dataclass(frozen=True)
class ManageLink:
    """A tile of the IT administrator's menu (`/manage/`); shown when `url_name` resolves."""

    label: str | Promise
    url_name: str
    order: int = 100
    description: str | Promise = ""


@dataclass(frozen=True)
class Command:
    """A `kiban COMMAND` of CONTRACT.md: its line in `kiban --help`. The command itself is a Django management
    command of the module (`<app>/management/commands/<name with _>.py`)."""

    name: str
    args: str
    description: str
    order: int = 100


@dataclass(frozen=True)
class PortalPanel:
    """A section of each person's portal (`/` and `GET /api/v1/portal`).

    `provider` is the dotted path of `panel(request) -> PortalSection | None` in the module (by convention
    `<app>/portal.py`): what this person should see of the module today (None: nothing to show, the section is
    left out). `order` places the section (important notices first, then today's schedule, …).
    """

    key: str
    provider: str
    order: int = 100


@dataclass(frozen=True)
class PortalSection:
    """What a module shows one person on the portal.

    `data` is the module's own output schema (a `kiban.core.schemas.OutSchema`): `GET /api/v1/portal` answers
    it under the panel's key, and `template` (the module's, e.g. "bulletin/portal.html") renders it on the page
    with `data` in its context. `count` is the number a badge shows (unread posts, pending approvals), `url`
    the module's page for "more".
    """

    title: str | Promise
    template: str
    data: object
    url: str = ""
    count: int | None = None


class KibanModule(AppConfig):
    """Base class of every Kiban app's `AppConfig`. Every attribute is optional.

    Subclass it as `modules.KibanModule` (import the module, not the class): Django takes every AppConfig
    class it finds in an `apps.py` as a candidate, and an imported base class would make two.
    """

    # (prefix, dotted module path): the module's `router` (a ninja Router) is mounted at /api/v1/<prefix>.
    api_routers: Sequence[tuple[str, str]] = ()
    # Dotted path of the app's URLconf, included at the site root; None when the app has no pages.
    urls: str | None = None
    navigation: Sequence[NavEntry] = ()
    manage_links: Sequence[ManageLink] = ()
    # Dotted path of `load_demo(say) -> dict[str, int]`, run by `kiban demo` after the organisation exists,
    # in `demo_order`, each in its own transaction.
    demo: str | None = None
    demo_order: int = 100
    commands: Sequence[Command] = ()
    portal_panels: Sequence[PortalPanel] = ()


def modules() -> list[KibanModule]:
    """The installed Kiban modules, in INSTALLED_APPS order."""
    return [config for config in apps.get_app_configs() if isinstance(config, KibanModule)]


def api_routers() -> list[tuple[str, str]]:
    return [router for module in modules() for router in module.api_routers]


def url_modules() -> list[str]:
    return [module.urls for module in modules() if module.urls]


def navigation() -> list[NavEntry]:
    entries = [entry for module in modules() for entry in module.navigation]
    return sorted(entries, key=lambda entry: (entry.order, entry.key))


def manage_links() -> list[ManageLink]:
    links = [link for module in modules() for link in module.manage_links]
    return sorted(links, key=lambda link: link.order)


def demo_loaders() -> list[str]:
    ordered = sorted((m for m in modules() if m.demo), key=lambda m: m.demo_order)
    return [module.demo for module in ordered if module.demo]


def commands() -> list[Command]:
    found = [command for module in modules() for command in module.commands]
    return sorted(found, key=lambda command: command.order)


def portal_panels() -> list[PortalPanel]:
    found = [panel for module in modules() for panel in module.portal_panels]
    return sorted(found, key=lambda panel: (panel.order, panel.key))
