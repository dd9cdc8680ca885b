"""The base of the live events Kiban sends to connected clients (CONTRACT.md, "WebSocket"), and the
platform's own types that no module owns yet.

One Pydantic model per event type: a `type` literal plus the payload. Each module declares its types in
`<app>/events.py` (`kiban.realtime.catalogue` finds them) with the payload typed by the module's object
schema (`kiban.chat.events.MessageCreated.message` is the `MessageOut` the API returns), so a client never
needs a second request and never meets a second shape. `extra="forbid"` makes a misspelt field fail in the
action that builds the event (in its tests), not silently in a browser.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kiban.core.schemas import OutSchema, Timestamp


class BaseEvent(BaseModel):
    """Base of every event. `type` is the event name clients listen for (`realtime.js` dispatches it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str


class PresenceOut(OutSchema):
    """A person's presence (CONTRACT.md, "presence"), as `GET /api/v1/presence` will return it."""

    username: str
    status: str = Field(description="available, meeting, out, trip, leave, remote or gone")
    destination: str
    until: Timestamp | None
    note: str
    source: str = Field(description="manual, calendar or auto")


class PresenceChanged(BaseEvent):
    type: Literal["presence.changed"] = "presence.changed"
    presence: PresenceOut


class CredentialsChanged(BaseEvent):
    """To the hub, not to pages: these people's credentials changed (a token revoked, a sign-out, retirement).
    Each process re-checks their sockets at once and closes those whose token or session is gone (4401)."""

    type: Literal["credentials.changed"] = "credentials.changed"


class OrgChanged(BaseEvent):
    """The organisation changed for the recipient: these departments were created, renamed, moved or closed,
    or their members changed (a person, the HR import or a reshuffle, through `kiban.org.actions`). Sent to
    the people in them and to those whose places changed; a page that shows the tree or a member list
    refetches it."""

    type: Literal["org.changed"] = "org.changed"
    departments: list[int]


class ClientMessage(BaseModel):
    """Base of a message a client sends over its socket to a module (client → server), e.g.
    `meeting.signal`. A module declares its types in `<app>/events.py` beside its events; the socket parses a
    frame into the model of its `type` (`extra="forbid"`: a misspelt field is refused) and calls `handle` in a
    worker thread. `handle` must authorise the sender for this one message (the socket only vouches for who
    is connected) and may return a reply for the sender's socket (a dict, sent as JSON), or None.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str

    def handle(self, user_id: int) -> dict | None:
        raise NotImplementedError
