"""The meeting and participant objects, one shape for the API, the events and the page's script."""

from __future__ import annotations

from django.utils import timezone

from kiban.meetings.models import ChatLine, Meeting, Participant


def when(moment) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def meeting_dict(meeting: Meeting, *, live_count: int | None = None) -> dict:
    data = {
        "id": meeting.pk,
        "url": meeting.url,
        "title": meeting.title,
        "organizer": meeting.organizer.username,
        "event": meeting.event_id,
        "conversation": meeting.conversation_id,
        "provider": meeting.provider,
        "allow_guests": meeting.allow_guests,
        "created_at": when(meeting.created_at),
    }
    if live_count is not None:
        data["live"] = live_count > 0
        data["participants"] = live_count
    return data


def participant_dict(p: Participant) -> dict:
    """What the others in the room see of a peer. Staff are named by name, never by 職員番号."""
    return {
        "peer": p.peer,
        "name": p.name,
        "guest": p.guest_id is not None,
        "video": p.video,
        "audio_muted": p.audio_muted,
        "video_muted": p.video_muted,
        "hand_raised": p.hand_raised,
        "sharing_screen": p.sharing_screen,
        "joined_at": when(p.joined_at),
    }


def chat_line_dict(line: ChatLine, name: str) -> dict:
    return {"id": line.pk, "name": name, "body": line.body, "at": when(line.created_at)}
