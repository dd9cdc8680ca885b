"""Builds the meeting schemas (`kiban.meetings.schemas`) from the models: one shape for the API, the events
and the page's script."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from kiban.meetings.ice import ice_servers
from kiban.meetings.models import HEARTBEAT, ChatLine, Guest, Meeting, Participant
from kiban.meetings.queries import present, recent_chat
from kiban.meetings.schemas import (
    ChatLineOut,
    JoinAnswerOut,
    MeetingOut,
    MeetingStatusOut,
    ParticipantOut,
    WaitingGuestOut,
)


def when(moment) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def meeting_out(meeting: Meeting, *, live_count: int | None = None) -> MeetingOut:
    data = {
        "id": meeting.pk,
        "url": meeting.url,
        "title": meeting.title,
        "organizer": meeting.organizer.username,
        "event": meeting.event_id,
        "conversation": meeting.conversation_id,
        "provider": meeting.provider,
        "allow_guests": meeting.allow_guests,
        "created_at": meeting.created_at,
    }
    if live_count is None:
        return MeetingOut(**data)
    return MeetingStatusOut(**data, live=live_count > 0, participants=live_count)


def participant_out(p: Participant) -> ParticipantOut:
    return ParticipantOut(
        peer=p.peer,
        name=p.name,
        guest=p.guest_id is not None,
        video=p.video,
        audio_muted=p.audio_muted,
        video_muted=p.video_muted,
        hand_raised=p.hand_raised,
        sharing_screen=p.sharing_screen,
        joined_at=p.joined_at,
    )


def chat_line_out(line: ChatLine, name: str) -> ChatLineOut:
    return ChatLineOut(id=line.pk, name=name, body=line.body, at=line.created_at)


def waiting_guest_out(g: Guest) -> WaitingGuestOut:
    return WaitingGuestOut(id=g.pk, name=g.name, organization=g.organization, since=g.created_at)


def join_answer(meeting: Meeting, participant: Participant, who: str, **extra) -> JoinAnswerOut:
    """What a page gets when it enters a built-in room: its peer id, its ICE servers (with a TURN credential
    for `who`), who is there and the chat so far."""
    return JoinAnswerOut(
        provider=meeting.provider,
        peer=participant.peer,
        video=participant.video,
        video_limit=settings.KIBAN_MEETING_VIDEO_LIMIT,
        heartbeat=int(HEARTBEAT.total_seconds()),
        ice_servers=ice_servers(who),
        participants=[participant_out(p) for p in present(meeting.pk)],
        chat=[chat_line_out(line, line.participant.name) for line in recent_chat(meeting)],
        **extra,
    )
