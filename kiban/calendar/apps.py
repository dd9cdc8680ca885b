from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kiban.core import modules


class CalendarConfig(modules.KibanModule):
    name = "kiban.calendar"
    label = "calendar"
    portal_panels = [modules.PortalPanel("calendar", "kiban.calendar.portal.panel", order=20)]
    verbose_name = _("スケジュール")
    api_routers = [("/", "kiban.calendar.api")]
    urls = "kiban.calendar.urls"
    navigation = [
        modules.NavEntry(
            "schedule",
            _("スケジュール"),
            "calendar:index",
            "calendar",
            order=20,
            short_label=pgettext_lazy("nav", "予定"),
        )
    ]
    demo = "kiban.calendar.demo.load_demo"
    demo_order = 30
    commands = [
        modules.Command(
            "import-ics", "USERNAME FILE.ics", "one person's schedule from an .ics file", order=50
        ),
        modules.Command("import-schedules", "DIR", "a folder of USERNAME.ics files", order=51),
    ]
