"""The meeting and participant objects, one shape for the API, the events and the page's script."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from kiban.meetings.ice import ice_servers
from kiban.meetings.models import HEARTBEAT, ChatLine, Meeting, Participant
from kiban.meetings.queries import present, recent_chat


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


def join_answer(meeting: Meeting, participant: Participant, who: str) -> dict:
    """What a page gets when it enters a built-in room: its peer id, its ICE servers (with a TURN credential
    for `who`), who is there and the chat so far."""
    return {
        "provider": meeting.provider,
        "peer": participant.peer,
        "video": participant.video,
        "video_limit": settings.KIBAN_MEETING_VIDEO_LIMIT,
        "heartbeat": int(HEARTBEAT.total_seconds()),
        "ice_servers": ice_servers(who),
        "participants": [participant_dict(p) for p in present(meeting.pk)],
        "chat": [chat_line_dict(line, line.participant.name) for line in recent_chat(meeting)],
    }
