"""Chat's live events (found by `kiban.realtime.catalogue`): a message announced carries the very object the
API returns for it (`kiban.chat.schemas.MessageOut`), a reaction the message's reactions in their one shape."""

from __future__ import annotations

from typing import Literal

from kiban.chat.schemas import MessageOut, ReactionOut
from kiban.realtime.events import BaseEvent


class MessageCreated(BaseEvent):
    type: Literal["message.created"] = "message.created"
    message: MessageOut


class MessageUpdated(BaseEvent):
    type: Literal["message.updated"] = "message.updated"
    message: MessageOut


class MessageDeleted(BaseEvent):
    """The message as it is after deletion (a tombstone: same id, conversation and seq)."""

    type: Literal["message.deleted"] = "message.deleted"
    message: MessageOut


class _ReactionChanged(BaseEvent):
    """Who reacted with what, and the message's `reactions` after the change — the same list the message
    object and `POST /api/v1/messages/{id}/reactions` carry, which is all a client needs to redraw."""

    type: str
    message_id: int
    conversation: int
    emoji: str
    username: str
    reactions: list[ReactionOut]


class ReactionAdded(_ReactionChanged):
    type: Literal["reaction.added"] = "reaction.added"


class ReactionRemoved(_ReactionChanged):
    type: Literal["reaction.removed"] = "reaction.removed"
