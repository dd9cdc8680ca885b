"""WebRTC signalling: the server authorises and relays, and never sees media.

A signal goes from one peer of a room to another peer of the same room, both present (entered, not left),
the sender being the caller's own peer. Anything else is "not found". The data is checked for shape and
size (an SDP description or one ICE candidate) and relayed as it came: to a member of staff as a
`meeting.signal` event on their socket, to a guest through their inbox. Staff send signals over the socket
(`SignalToPeer` in events.py) or, when their socket is blocked, by POST; guests by POST.
"""

from __future__ import annotations

from typing import Literal

from django.http import Http404
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as ModelError

from kiban.meetings.actions import deliver, field_error
from kiban.meetings.events import MeetingSignal
from kiban.meetings.models import Guest, Participant

MAX_SDP = 48 * 1024


class Description(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["offer", "answer", "rollback"]
    sdp: str = Field("", max_length=MAX_SDP)


class Candidate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    candidate: str = Field(max_length=1024)
    sdpMid: str | None = Field(None, max_length=64)  # noqa: N815 (the browser's RTCIceCandidateInit names)
    sdpMLineIndex: int | None = Field(None, ge=0, le=64)  # noqa: N815
    usernameFragment: str | None = Field(None, max_length=256)  # noqa: N815


class SignalData(BaseModel):
    """Exactly one of a session description or an ICE candidate, and the sending connection's `session` (a
    page that rebuilds a failed connection starts a new session)."""

    model_config = ConfigDict(extra="forbid")

    description: Description | None = None
    candidate: Candidate | None = None
    session: str | None = Field(None, max_length=32, pattern=r"^[0-9a-f]*$")

    @model_validator(mode="after")
    def one_of(self):
        if (self.description is None) == (self.candidate is None):
            raise ValueError("description or candidate")
        return self


def clean_data(data: dict) -> dict:
    try:
        return SignalData.model_validate(data).model_dump(exclude_none=True)
    except ModelError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        raise field_error("data" + (f".{where}" if where else ""), first.get("msg", "invalid")) from None


def relay(
    *,
    meeting_id: int,
    sender: str,
    target: str,
    data: dict,
    user_id: int | None = None,
    guest: Guest | None = None,
) -> None:
    """Pass `data` from peer `sender` (the caller's: staff `user_id` or `guest`) to peer `target`."""
    cleaned = clean_data(data)
    if sender == target:
        raise Http404
    peers = {
        p.peer: p
        for p in Participant.objects.filter(
            meeting_id=meeting_id, peer__in=[sender, target], left_at__isnull=True
        )
    }
    source, destination = peers.get(sender), peers.get(target)
    if source is None or destination is None:
        raise Http404
    if (user_id is not None and source.staff_id != user_id) or (
        guest is not None and source.guest_id != guest.pk
    ):
        raise Http404
    if user_id is None and guest is None:
        raise Http404
    deliver(
        meeting_id,
        [destination],
        MeetingSignal(meeting=meeting_id, sender=sender, target=target, data=cleaned),
    )
