"""Chat's live events (found by `kiban.realtime.catalogue`): a message announced carries the very object the
API returns for it (`kiban.chat.schemas.MessageOut`), a reaction the message's reactions in their one shape,
a conversation its shared fields (`ConversationBase`: no member lists, nothing personal)."""

from __future__ import annotations

from typing import Literal

from kiban.chat.schemas import ConversationBase, MessageOut, ReactionOut
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


class ConversationCreated(BaseEvent):
    """To its first members. The person's own view (title, unread) is `GET /api/v1/conversations/{id}`."""

    type: Literal["conversation.created"] = "conversation.created"
    conversation: ConversationBase


class ConversationUpdated(BaseEvent):
    """The shared fields of a conversation changed (name, topic, archived …); to its members. Without member
    lists: a client pages through `GET /api/v1/conversations/{id}/members` when it shows them."""

    type: Literal["conversation.updated"] = "conversation.updated"
    conversation: ConversationBase


class ConversationMembers(BaseEvent):
    """People joined or left a conversation, or became its owners (usernames): sent once to the members and
    to those who left, whatever the conversation's size — never the whole member list. `owners` names who
    became an owner by this change (ownership passes on when the last owner leaves or retires)."""

    type: Literal["conversation.members"] = "conversation.members"
    conversation: int
    added: list[str] = []
    removed: list[str] = []
    owners: list[str] = []


class ConversationRead(BaseEvent):
    """The reader's own devices learn that the conversation was read up to `seq` (unread badges follow)."""

    type: Literal["conversation.read"] = "conversation.read"
    conversation: int
    seq: int
