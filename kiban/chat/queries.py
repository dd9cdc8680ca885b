"""Reads shared by the API, the pages and the notifications: conversation lists with unread and mention
counts, pages of messages with their details, totals for the portal badge."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from kiban.chat.models import Conversation, Member, Mention, Message, Reaction

MAX_PAGE = 200


def _mention_count_subquery():
    return Coalesce(
        Subquery(
            Mention.objects.filter(
                staff_id=OuterRef("staff_id"),
                conversation_id=OuterRef("conversation_id"),
                seq__gt=OuterRef("last_read_seq"),
            )
            .order_by()
            .values("conversation_id")
            .annotate(n=Count("id"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def unread_mentions(user, conv: Conversation, last_read_seq: int) -> int:
    return Mention.objects.filter(staff=user, conversation=conv, seq__gt=last_read_seq).count()


def memberships(user, *, include_archived: bool = False) -> QuerySet[Member]:
    """A person's member rows, newest conversation activity first, each with `conversation` loaded and
    `mention_count` annotated (unread mentions)."""
    qs = (
        Member.objects.filter(staff=user)
        .select_related("conversation")
        .annotate(mention_count=_mention_count_subquery())
        .order_by(F("conversation__last_message_at").desc(nulls_last=True), "-conversation_id")
    )
    if not include_archived:
        qs = qs.filter(conversation__archived_at__isnull=True)
    return qs


def members_by_conversation(conversation_ids: list[int]) -> dict[int, list[Member]]:
    """Every member (with `staff`) of the given conversations in one query, in joining order."""
    grouped: dict[int, list[Member]] = {cid: [] for cid in conversation_ids}
    rows = (
        Member.objects.filter(conversation_id__in=conversation_ids)
        .select_related("staff")
        .only(
            "id",
            "conversation_id",
            "staff_id",
            "role",
            "last_read_seq",
            "muted",
            "joined_at",
            "staff__username",
            "staff__family_name",
            "staff__given_name",
        )  # fmt: skip
        .order_by("joined_at", "id")
    )
    for m in rows:
        grouped[m.conversation_id].append(m)
    return grouped


@dataclass(frozen=True)
class UnreadTotals:
    conversations: int  # conversations with something unread (muted ones not counted)
    messages: int
    mentions: int


def unread_totals(user) -> UnreadTotals:
    """The badge numbers: unread messages and conversations (muted excluded) and unread mentions (muted
    included: a direct mention gets through a mute)."""
    rows = Member.objects.filter(staff=user, conversation__archived_at__isnull=True)
    agg = rows.filter(muted=False).aggregate(
        messages=Coalesce(Sum(F("conversation__last_seq") - F("last_read_seq")), 0),
        conversations=Count("id", filter=Q(conversation__last_seq__gt=F("last_read_seq"))),
    )
    mentions = Mention.objects.filter(
        staff=user,
        conversation__archived_at__isnull=True,
        conversation__members__staff=user,
        seq__gt=F("conversation__members__last_read_seq"),
    ).count()
    return UnreadTotals(
        conversations=agg["conversations"], messages=max(agg["messages"], 0), mentions=mentions
    )


def messages_with_details(qs: QuerySet[Message]) -> QuerySet[Message]:
    """Messages with author, reactions (and who), attachments and direct mentions: four queries a page."""
    return qs.select_related("author").prefetch_related(
        Prefetch("reactions", queryset=Reaction.objects.select_related("staff").order_by("id")),
        "attachments",
        Prefetch("mention_rows", queryset=Mention.objects.filter(kind="direct").select_related("staff")),
    )


def message_page(
    conv: Conversation,
    *,
    after: int | None = None,
    before: int | None = None,
    limit: int = 50,
    thread: Message | None = None,
    roots_only: bool = False,
) -> list[Message]:
    """Messages in seq order. With `after`: the first `limit` after it (catching up); otherwise the last
    `limit` before `before` (history, scrolling up). `thread`: the root and its replies only."""
    limit = max(1, min(limit, MAX_PAGE))
    qs = Message.objects.filter(conversation=conv)
    if thread is not None:
        qs = qs.filter(Q(pk=thread.pk) | Q(thread_root=thread))
    elif roots_only:
        qs = qs.filter(thread_root__isnull=True)
    if after is not None:
        qs = qs.filter(seq__gt=after)
    if before is not None:
        qs = qs.filter(seq__lt=before)
    qs = messages_with_details(qs)
    if after is not None:
        return list(qs.order_by("seq")[:limit])
    return list(reversed(qs.order_by("-seq")[:limit]))


def pinned_messages(conv: Conversation) -> QuerySet[Message]:
    """Pinned messages, the latest pinned first (a QuerySet: the API pages it)."""
    return messages_with_details(Message.objects.filter(conversation=conv, pinned_at__isnull=False)).order_by(
        "-pinned_at", "-id"
    )


def member_rows(conv: Conversation) -> QuerySet[Member]:
    """A conversation's members with `staff`: owners first, then in joining order (the info panel's order;
    a QuerySet: the API and the panel page it)."""
    return (
        Member.objects.filter(conversation=conv).select_related("staff").order_by("-role", "joined_at", "id")
    )


def member_ids(conv: Conversation | int) -> list[int]:
    conv_id = getattr(conv, "pk", conv)
    return list(Member.objects.filter(conversation_id=conv_id).values_list("staff_id", flat=True))
