"""Who may enter a room: decided from the room's origin as it is now, so a change of the event's attendees or
the conversation's members changes the room at once. Reads only; the actions call these."""

from __future__ import annotations

from django.http import Http404

from kiban.calendar.models import Attendee, Event
from kiban.chat.models import Member
from kiban.meetings.models import Invitee, Meeting


def invited_ids(meeting: Meeting) -> set[int]:
    """Everyone invited: the organiser, the named invitees, the event's organiser and attendees, the
    conversation's members."""
    ids = {meeting.organizer_id}
    ids.update(Invitee.objects.filter(meeting=meeting).values_list("staff_id", flat=True))
    if meeting.event_id:
        ids.update(Event.objects.filter(pk=meeting.event_id).values_list("organizer_id", flat=True))
        ids.update(Attendee.objects.filter(event_id=meeting.event_id).values_list("staff_id", flat=True))
    if meeting.conversation_id:
        ids.update(
            Member.objects.filter(conversation_id=meeting.conversation_id).values_list("staff_id", flat=True)
        )
    return ids


def is_invited(user, meeting: Meeting) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if meeting.organizer_id == user.pk:
        return True
    if Invitee.objects.filter(meeting=meeting, staff_id=user.pk).exists():
        return True
    if meeting.event_id:
        if Event.objects.filter(pk=meeting.event_id, organizer_id=user.pk).exists():
            return True
        if Attendee.objects.filter(event_id=meeting.event_id, staff_id=user.pk).exists():
            return True
    return bool(
        meeting.conversation_id
        and Member.objects.filter(conversation_id=meeting.conversation_id, staff_id=user.pk).exists()
    )


def access_meeting(user, meeting_id: int) -> Meeting:
    """The room if `user` is invited; Http404 otherwise, whether it exists or not."""
    meeting = Meeting.objects.select_related("organizer").filter(pk=meeting_id).first()
    if meeting is None or not is_invited(user, meeting):
        raise Http404
    return meeting
