"""REST API: message search (`GET /api/v1/search/messages`). Parses, calls kiban.chat.search, renders."""

from __future__ import annotations

import datetime as dt

from ninja import Query, Router, Schema
from pydantic import Field

from kiban.chat import search
from kiban.chat.schemas import MessageOut
from kiban.chat.serializers import conversation_url, message_out

router = Router(tags=["chat"])


class MessageSearchFilters(Schema):
    q: str = Field(
        "",
        max_length=search.MAX_QUERY,
        description="Space-separated terms, all must occur. Kana, width and case do not matter; any part of "
        "a word of two characters or more is found.",
    )
    conversation: int | None = Field(None, ge=1, description="Only this conversation (you must be a member).")
    user: str | None = Field(None, max_length=150, description="Only messages by this username.")
    date_from: dt.date | None = Field(
        None, alias="from", description="From this day (YYYY-MM-DD, inclusive)."
    )
    date_to: dt.date | None = Field(None, alias="to", description="To this day (YYYY-MM-DD, inclusive).")
    before: int | None = Field(None, ge=1, description="Only messages with an id below this (next page).")
    limit: int = Field(search.DEFAULT_LIMIT, ge=1, le=search.MAX_LIMIT)


class MessageHitOut(MessageOut):
    conversation_name: str = Field(description="What the conversation is called for you.")
    conversation_kind: str
    conversation_url: str


class MessageSearchOut(Schema):
    results: list[MessageHitOut] = Field(description="Newest first.")
    more: bool = Field(
        description="More messages match: show “50+” and ask again with before=<last id>. Totals are "
        "never counted."
    )


@router.get(
    "/search/messages",
    response=MessageSearchOut,
    summary="Search the messages of my conversations",
    description="Messages of conversations you are a member of, never deleted ones. 400 names the field "
    "(`q` when empty); a conversation you are not a member of is 404.",
)
def search_messages(request, filters: Query[MessageSearchFilters]):
    result = search.search_messages(
        request.auth,
        filters.q,
        conversation_id=filters.conversation,
        author_username=filters.user or None,
        date_from=filters.date_from,
        date_to=filters.date_to,
        before_id=filters.before,
        limit=filters.limit,
    )
    conversations = {m.conversation_id: m.conversation for m in result.messages}
    titles = search.conversation_titles(request.auth, list(conversations.values()))
    results = []
    for message in result.messages:
        conv = conversations[message.conversation_id]
        results.append(
            {
                **dict(message_out(message)),
                "conversation_name": titles[conv.pk],
                "conversation_kind": conv.kind,
                "conversation_url": conversation_url(conv),
            }
        )
    return {"results": results, "more": result.more}
