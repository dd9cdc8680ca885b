"""The chat objects of CONTRACT.md, once: the API answers with these schemas, `message.*` and `reaction.*`
events carry them, the chat page hands them to its script, and the tests compare with them. The
conversation's events carry `ConversationBase`, the fields every member shares; the API's `ConversationOut`
adds the person's own view (unread, mentions, role, title) and the member lists.

Reactions have one shape everywhere: `[{emoji, count, users}]` in the order each emoji was first used.
"""

from __future__ import annotations

from typing import Literal

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


class ConversationBase(OutSchema):
    """A conversation's shared fields: what every member sees alike. The `conversation.created/updated` events
    carry exactly this (no personal counts, no member lists: a client asks `GET /conversations/{id}` for its
    own view, and `GET …/members` pages through the members)."""

    id: int
    kind: Literal["dm", "group", "channel"]
    name: str = Field(description="As set; empty for a dm or an unnamed group (show `title`).")
    topic: str
    team: int | None
    visibility: Literal["public", "private"]
    last_seq: int = Field(description="The seq of the newest message (0 when empty).")
    archived: bool
    created_at: Timestamp
    last_message_at: Timestamp | None
    url: str


class ConversationOut(ConversationBase):
    """The conversation as one person sees it (the API's object, CONTRACT.md "conversation")."""

    title: str = Field(description="What to show: the name, else the other members' names.")
    members: list[str] = Field(description="Usernames, in joining order.")
    owners: list[str]
    member_count: int
    last_read_seq: int
    unread: int = Field(description="Messages after the person's read mark.")
    mentions: int = Field(description="Unread messages that mention the person (or @channel/@here).")
    muted: bool
    role: Literal["owner", "member"] | None


class MemberOut(OutSchema):
    """A member of a conversation (`GET /conversations/{id}/members`, paged)."""

    username: str
    name: str
    role: Literal["owner", "member"]


class TeamOut(OutSchema):
    id: int
    name: str
    description: str
    department: int | None
    archived: bool
    is_member: bool
    member_count: int | None


class ChannelOut(OutSchema):
    """A channel of a team as the browser lists it (public ones, and private ones the person is in)."""

    id: int
    name: str
    topic: str
    visibility: Literal["public", "private"]
    is_member: bool
    last_seq: int


class WebhookOut(OutSchema):
    id: int
    bot_name: str
    created_at: Timestamp
    last_used_at: Timestamp | None
    token: str | None = Field(None, description="Only in the answer that creates it; store it now.")
    url: str | None = Field(None, description="Where to POST (only when created).")
    live: bool = Field(
        True,
        description="False when its creator left the conversation or retired: posts are refused (403) until "
        "an owner renews it (POST …/webhooks/{id}/renew)",
    )
