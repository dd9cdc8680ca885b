"""Steps shared by the meetings tests."""

from __future__ import annotations

from kiban.meetings import actions
from kiban.meetings.models import Meeting


def room(organizer, *invitees, title: str = "課内打合せ") -> Meeting:
    return actions.do_create_meeting(organizer, {"title": title, "invitees": [p.username for p in invitees]})


def enter(meeting: Meeting, person, **kwargs):
    return actions.do_join(meeting, user=person, **kwargs)
