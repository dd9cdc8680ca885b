"""The presence module's objects (CONTRACT.md, "presence", "phone memo"). `PresenceOut` is declared by the
realtime layer (the `presence.changed` event carries it) and re-exported here."""

from __future__ import annotations

from pydantic import Field

from kiban.core.schemas import OutSchema, Timestamp
from kiban.realtime.events import PresenceOut

__all__ = ["PhoneMemoOut", "PresenceOut"]


class PhoneMemoOut(OutSchema):
    id: int
    to: str = Field(description="The username of the person the memo is for")
    to_name: str
    taken_by: str = Field(description="The username of the person who took the call")
    taken_by_name: str
    caller_name: str
    caller_org: str
    caller_phone: str
    message: str
    action: str = Field(description="call_back, will_call_again or fyi")
    called_at: Timestamp
    created_at: Timestamp
    read_at: Timestamp | None
    done_at: Timestamp | None
