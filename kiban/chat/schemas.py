"""The chat objects of CONTRACT.md, once: the API answers with these schemas, `message.*` and `reaction.*`
events carry them, the chat page hands them to its script, and the tests compare with them.

Reactions have one shape everywhere: `[{emoji, count, users}]` in the order each emoji was first used.
"""

from __future__ import annotations

from pydantic import Field

from kiban.core.schemas import OutSchema, Timestamp


class ReactionOut(OutSchema):
    emoji: str
    count: int
    users: list[str]


class AttachmentOut(OutSchema):
    id: int
    name: str
    content_type: str = Field(description="Detected from the content, not the name.")
    size: int
    width: int | None
    height: int | None
    url: str
    thumbnail_url: str


class CardLink(OutSchema):
    label: str
    url: str = Field(description="http(s), mailto or tel URL, or a path on this site")


class CardAction(OutSchema):
    label: str
    post: str = Field(description="A same-origin /api/v1/ path the client POSTs to (the endpoint authorises)")
    primary: bool = False


class CardOut(OutSchema):
    """A small structured card under a message (kiban/chat/cards.py): a title, lines of text, links (a tel:
    call button), and actions that POST to an API path. Written by modules (phone memos, workflow approvals),
    never by people. `done`, once set, replaces the actions with a line saying what happened."""

    title: str
    lines: list[str] = []
    links: list[CardLink] = []
    actions: list[CardAction] = []
    done: str = ""


class MessageOut(OutSchema):
    id: int
    conversation: int
    seq: int = Field(description="1, 2, 3 … per conversation, without gaps.")
    author: str | None = Field(description="Username; null for a bot (see `bot_name`).")
    author_name: str
    bot_name: str
    body: str = Field(description="As written (empty when deleted).")
    html: str = Field(description="Sanitised rendering of the Markdown subset.")
    thread_root: int | None
    reply_count: int
    last_reply_at: Timestamp | None
    created_at: Timestamp
    edited_at: Timestamp | None
    deleted: bool
    pinned: bool
    reactions: list[ReactionOut]
    attachments: list[AttachmentOut]
    mentions: list[str]
    card: CardOut | None = Field(None, description="A module's card (buttons, links), or null")
