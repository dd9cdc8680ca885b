"""An event type for the realtime tests only: delivery, catch-up and sockets carry any module's events
without knowing them, so these tests do not borrow an upper module's type (realtime sits below them)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from kiban.realtime.events import BaseEvent


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int


class Probe(BaseEvent):
    type: Literal["test.probe"] = "test.probe"
    notification: Payload
