"""The portal's チャット section: unread conversations (muted ones left out unless they mention the person)
and unread mentions, with the totals the chat badge shows. Two queries: the person's member rows with
something unread (mentions counted in a subquery), and the names of unnamed conversations shown."""

from __future__ import annotations

from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kiban.chat.queries import memberships
from kiban.chat.search import conversation_titles
from kiban.core.modules import PortalSection
from kiban.core.schemas import OutSchema, Timestamp

MAX_SHOWN = 5


class UnreadConversationOut(OutSchema):
    id: int
    kind: str
    title: str
    unread: int
    mentions: int
    last_message_at: Timestamp | None
    url: str


class UnreadChatOut(OutSchema):
    conversations: int
    messages: int
    mentions: int
    latest: list[UnreadConversationOut]


def panel(request) -> PortalSection:
    user = request.user
    rows = list(memberships(user).filter(conversation__last_seq__gt=F("last_read_seq")))
    counted = [m for m in rows if not m.muted or m.mention_count]
    shown = counted[:MAX_SHOWN]
    titles = conversation_titles(user, [m.conversation for m in shown]) if shown else {}
    latest = [
        UnreadConversationOut(
            id=m.conversation_id, kind=m.conversation.kind, title=titles.get(m.conversation_id, ""),
            unread=m.conversation.last_seq - m.last_read_seq, mentions=m.mention_count,
            last_message_at=m.conversation.last_message_at,
            url=reverse("chat:conversation", args=[m.conversation_id]),
        )
        for m in shown
    ]  # fmt: skip
    unmuted = [m for m in rows if not m.muted]
    data = UnreadChatOut(
        conversations=len(unmuted),
        messages=sum(m.conversation.last_seq - m.last_read_seq for m in unmuted),
        mentions=sum(m.mention_count for m in rows),
        latest=latest,
    )
    return PortalSection(
        title=_("未読のチャット"),
        template="chat/portal.html",
        data=data,
        url=reverse("chat:index"),
        count=data.conversations or None,
    )
