"""WebSocket event types of online meetings (found by kiban.realtime.catalogue).

Signals travel between two peers of one room only; the roster (who is in the room, muted, hand raised) goes
to those in the room; `meeting.state` (開催中 and how many) to everyone invited, so calendars and chats can
show that a meeting is running.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from kiban.meetings.schemas import ChatLineOut, ParticipantOut, WaitingGuestOut
from kiban.realtime.events import BaseEvent, ClientMessage


class MeetingSignal(BaseEvent):
    """WebRTC negotiation from one peer to another: `data` is `{"description": RTCSessionDescription}` or
    `{"candidate": RTCIceCandidate}`, relayed as sent (the server never sees media)."""

    type: Literal["meeting.signal"] = "meeting.signal"
    meeting: int
    sender: str
    target: str
    data: dict[str, Any]


class MeetingRoster(BaseEvent):
    """Who is in the room now, after any change."""

    type: Literal["meeting.roster"] = "meeting.roster"
    meeting: int
    participants: list[ParticipantOut]


class MeetingState(BaseEvent):
    """Whether the room has people in it (開催中), for the invitees' calendars, chats and portals."""

    type: Literal["meeting.state"] = "meeting.state"
    meeting: int
    event: int | None
    live: bool
    count: int


class MeetingLobby(BaseEvent):
    """The guests waiting to be admitted, for the organiser and the staff in the room."""

    type: Literal["meeting.lobby"] = "meeting.lobby"
    meeting: int
    waiting: list[WaitingGuestOut]


class MeetingChat(BaseEvent):
    type: Literal["meeting.chat"] = "meeting.chat"
    meeting: int
    line: ChatLineOut


# --- Client → server (over the socket; kiban/realtime/inbound.py) ----------------------------------------


class SignalToPeer(ClientMessage):
    """A peer's WebRTC negotiation message for another peer of the same room."""

    type: Literal["meeting.signal"] = "meeting.signal"
    meeting: int
    sender: str = Field(max_length=32)
    target: str = Field(max_length=32)
    data: dict[str, Any]

    def handle(self, user_id: int) -> dict | None:
        from kiban.meetings import signalling  # a cycle: signalling imports these event types

        signalling.relay(
            meeting_id=self.meeting, sender=self.sender, target=self.target, data=self.data, user_id=user_id
        )
        return None
