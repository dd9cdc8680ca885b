"""Events held online: the calendar keeps an event's join link and asks an online-meeting provider for rooms.

`Event.meeting_url` is the event's join link (what iCalendar calls CONFERENCE): the API's `meeting_url`, the
event page's join button. The room itself belongs to another module (`kiban.meetings`), which sits above the
calendar: the calendar never imports it. That module registers a provider here when Django starts
(`register`, from its AppConfig.ready); the calendar asks it to open a room when an event is saved with
`online_meeting: true`, and for the panel the event page shows (join button, 開催中, attendance). Without a
provider `online_meeting` is refused and no checkbox is shown.
"""

from __future__ import annotations

from typing import Protocol

from django.utils.translation import gettext as _

from kiban.calendar import fields
from kiban.calendar.models import Event


class OnlineMeetingProvider(Protocol):
    def open_room(self, event: Event, actor) -> str:
        """Create (or find) the event's room inside the caller's transaction; returns its join path."""

    def panel(self, event: Event, viewer) -> tuple[str, dict] | None:
        """(template, context) of what the event page shows about the room, or None."""


_provider: OnlineMeetingProvider | None = None


def register(provider: OnlineMeetingProvider) -> None:
    global _provider
    _provider = provider


def available() -> bool:
    return _provider is not None


def clean_online_meeting(value) -> bool:
    if not isinstance(value, bool):
        raise fields.error("online_meeting", _("true か false で指定してください。"))
    if value and _provider is None:
        raise fields.error("online_meeting", _("Web会議は利用できません。"))
    return value


def set_meeting_url(event: Event, url: str) -> None:
    Event.objects.filter(pk=event.pk).update(meeting_url=url)
    event.meeting_url = url


def open_room(event: Event, actor) -> None:
    """Give the event a room (call inside the transaction that saves it)."""
    if _provider is None:
        raise fields.error("online_meeting", _("Web会議は利用できません。"))
    set_meeting_url(event, _provider.open_room(event, actor))


def panel(event: Event, viewer) -> tuple[str, dict] | None:
    if _provider is None or not event.meeting_url:
        return None
    return _provider.panel(event, viewer)
