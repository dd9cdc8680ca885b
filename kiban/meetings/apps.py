from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kiban.core import modules


class MeetingsConfig(modules.KibanModule):
    name = "kiban.meetings"
    label = "meetings"
    verbose_name = _("Web会議")
    api_routers = [("/", "kiban.meetings.api")]
    urls = "kiban.meetings.urls"

    def ready(self) -> None:
        # The calendar asks its online-meeting provider for rooms and the event page's panel; it never
        # imports this module (meetings sits above calendar and chat: docs/ARCHITECTURE.md).
        from kiban.calendar import online
        from kiban.meetings.rooms import EventRooms

        online.register(EventRooms())
