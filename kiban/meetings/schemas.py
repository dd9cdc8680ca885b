"""The meeting objects, once: the API and the guest page answer with them, the events carry them."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from kiban.core.schemas import OutSchema, Timestamp


class MeetingOut(OutSchema):
    id: int
    url: str = Field(description="The join page")
    title: str
    organizer: str = Field(description="The organiser's username")
    event: int | None
    conversation: int | None
    provider: str = Field(description="`builtin` or `jitsi`")
    allow_guests: bool
    created_at: Timestamp


class MeetingStatusOut(MeetingOut):
    live: bool = Field(description="開催中: somebody is in the room")
    participants: int = Field(description="How many are in the room")


class ParticipantOut(OutSchema):
    """What the others in the room see of a peer. Staff are named by name, never by 職員番号."""

    peer: str
    name: str
    guest: bool
    video: bool
    audio_muted: bool
    video_muted: bool
    hand_raised: bool
    sharing_screen: bool
    joined_at: Timestamp


class ChatLineOut(OutSchema):
    id: int
    name: str
    body: str
    at: Timestamp


class WaitingGuestOut(OutSchema):
    id: int
    name: str
    organization: str
    since: Timestamp


class LobbyOut(OutSchema):
    waiting: list[WaitingGuestOut]


class JoinAnswerOut(OutSchema):
    """What a page gets when it enters a built-in room."""

    provider: str
    peer: str
    video: bool = Field(description="Whether this peer has a video place (false: audio only)")
    video_limit: int
    heartbeat: int = Field(description="Seconds between heartbeats")
    ice_servers: list[dict[str, Any]] = Field(description="RTCIceServer objects, as the browser takes them")
    participants: list[ParticipantOut]
    chat: list[ChatLineOut]
    inbox_after: int | None = Field(None, description="Guests: read the inbox after this id")


class JitsiEntryOut(OutSchema):
    """Entering a room on Jitsi: the page opens `url` (with its room token)."""

    provider: str = Field(description="`jitsi`")
    url: str
