"""The live events Kiban sends to connected clients (CONTRACT.md, "WebSocket").

One Pydantic model per event type: a `type` literal plus the payload. Objects travel whole, as the dicts the
owning app's serializer produces (`kiban.chat.serializers.message_dict(...)`, …), so a client never needs a
second request to show what an event announces. `extra="forbid"` makes a misspelt field fail in the action
that builds the event (in its tests), not silently in a browser.

To add a type: append a model here (small targeted edit), with a `type` literal in the "noun.verb" form.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class BaseEvent(BaseModel):
    """Base of every event. `type` is the event name clients listen for (`realtime.js` dispatches it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str


class MessageCreated(BaseEvent):
    type: Literal["message.created"] = "message.created"
    message: dict[str, Any]


class MessageUpdated(BaseEvent):
    type: Literal["message.updated"] = "message.updated"
    message: dict[str, Any]


class MessageDeleted(BaseEvent):
    """The message as it is after deletion (a tombstone: same id, conversation and seq)."""

    type: Literal["message.deleted"] = "message.deleted"
    message: dict[str, Any]


class ReactionAdded(BaseEvent):
    type: Literal["reaction.added"] = "reaction.added"
    message_id: int
    conversation: int
    emoji: str
    username: str


class ReactionRemoved(BaseEvent):
    type: Literal["reaction.removed"] = "reaction.removed"
    message_id: int
    conversation: int
    emoji: str
    username: str


class ConversationCreated(BaseEvent):
    type: Literal["conversation.created"] = "conversation.created"
    conversation: dict[str, Any]


class ConversationUpdated(BaseEvent):
    """The shared fields of a conversation changed (name, topic, archived …). Without its member lists:
    a client fetches `GET /api/v1/conversations/{id}` (members included) when it shows them."""

    type: Literal["conversation.updated"] = "conversation.updated"
    conversation: dict[str, Any]


class ConversationMembers(BaseEvent):
    """People joined or left a conversation (usernames): sent once to the members and to those who left,
    whatever the conversation's size — never the whole member list."""

    type: Literal["conversation.members"] = "conversation.members"
    conversation: int
    added: list[str] = []
    removed: list[str] = []


class ConversationRead(BaseEvent):
    """The reader's own devices learn that the conversation was read up to `seq` (unread badges follow)."""

    type: Literal["conversation.read"] = "conversation.read"
    conversation: int
    seq: int


class PresenceChanged(BaseEvent):
    type: Literal["presence.changed"] = "presence.changed"
    presence: dict[str, Any]


class CredentialsChanged(BaseEvent):
    """To the hub, not to pages: these people's credentials changed (a token revoked, a sign-out, retirement).
    Each process re-checks their sockets at once and closes those whose token or session is gone (4401)."""

    type: Literal["credentials.changed"] = "credentials.changed"


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
