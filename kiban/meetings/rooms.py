"""The calendar's online-meeting provider (kiban.calendar.online): rooms for events, the event page's panel."""

from __future__ import annotations

from kiban.meetings import actions, queries
from kiban.meetings.access import is_invited
from kiban.meetings.models import Meeting


class EventRooms:
    def open_room(self, event, actor) -> str:
        return actions.create_for_event(event, actor).url

    def panel(self, event, viewer) -> tuple[str, dict] | None:
        meeting = Meeting.objects.filter(event=event).first()
        if meeting is None or not is_invited(viewer, meeting):
            return None
        count = queries.live_counts([meeting.pk])[meeting.pk]
        return (
            "meetings/_event_panel.html",
            {
                "meeting": meeting,
                "live": count > 0,
                "count": count,
                "is_organizer": meeting.organizer_id == viewer.pk,
            },
        )
