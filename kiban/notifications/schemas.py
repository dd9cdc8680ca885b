"""The notification object, once: the API answers with it and `notification.created` carries it."""

from __future__ import annotations

from pydantic import Field

from kiban.core.schemas import OutSchema, Timestamp


class NotificationOut(OutSchema):
    id: int | None = Field(
        description="null in one event shared by many recipients (the client follows `url`)"
    )
    kind: str = Field(
        description="e.g. chat.mention, chat.dm, chat.reply, calendar.reminder, booking.approval"
    )
    title: str
    body: str
    url: str = Field(description="A path on this site to open, or empty.")
    actor: str | None = Field(description="Username of who caused it, or null.")
    group_key: str = Field(description="What it is about (e.g. a conversation); reading that marks it read.")
    seq: int | None
    created_at: Timestamp
    read_at: Timestamp | None
