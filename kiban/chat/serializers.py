"""Builds the chat schemas (`kiban.chat.schemas`, the one definition of each object) from the models.

`message_out` reads reactions, attachments and mentions from the message's (prefetched) relations unless
the caller passes them; use `queries.messages_with_details` to load a page of messages in a fixed number of
queries.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import NoReverseMatch, reverse

from kiban.chat.models import Attachment, Conversation, Member, Message, Reaction, Team
from kiban.chat.queries import unread_mentions
from kiban.chat.schemas import (
    AttachmentOut,
    CardOut,
    ChannelOut,
    ConversationBase,
    ConversationOut,
    MemberOut,
    MessageOut,
    ReactionOut,
    TeamOut,
)


def attachment_out(attachment: Attachment) -> AttachmentOut:
    removed = attachment.removed_at is not None
    return AttachmentOut(
        id=attachment.pk,
        name=attachment.name,
        content_type=attachment.content_type,
        size=attachment.size,
        width=attachment.width,
        height=attachment.height,
        url="" if removed else f"/api/v1/attachments/{attachment.pk}",
        thumbnail_url=f"/api/v1/attachments/{attachment.pk}/thumbnail"
        if attachment.thumbnail and not removed
        else "",
    )


def reactions_out(reactions: Iterable[Reaction]) -> list[ReactionOut]:
    """[{emoji, count, users}] in the order each emoji was first used. Reactions need `staff` loaded."""
    users: dict[str, list[str]] = {}
    for reaction in sorted(reactions, key=lambda r: r.pk):
        users.setdefault(reaction.emoji, []).append(reaction.staff.username)
    return [ReactionOut(emoji=emoji, count=len(names), users=names) for emoji, names in users.items()]


def message_out(
    message: Message,
    *,
    reactions: list[ReactionOut] | None = None,
    attachments: list[Attachment] | None = None,
    mentions: list[str] | None = None,
) -> MessageOut:
    """The message object. `message.author` should be loaded (select_related) to avoid a query."""
    deleted = message.deleted_at is not None
    author = message.author if message.author_id else None
    if deleted:
        reactions, attachments, mentions = [], [], []
    if reactions is None:
        reactions = reactions_out(message.reactions.all())
    if attachments is None:
        attachments = list(message.attachments.all())
    if mentions is None:
        mentions = [m.staff.username for m in message.mention_rows.all() if m.kind == "direct"]
    return MessageOut(
        id=message.pk,
        conversation=message.conversation_id,
        seq=message.seq,
        author=author.username if author else None,
        author_name=author.full_name if author else message.bot_name,
        bot_name=message.bot_name,
        body="" if deleted else message.body,
        html="" if deleted else message.html,
        thread_root=message.thread_root_id,
        reply_count=message.reply_count,
        last_reply_at=message.last_reply_at,
        created_at=message.created_at,
        edited_at=message.edited_at,
        deleted=deleted,
        pinned=message.pinned_at is not None,
        reactions=reactions,
        attachments=[attachment_out(a) for a in attachments],
        mentions=mentions,
        card=CardOut.model_validate(message.card) if message.card and not deleted else None,
    )


def conversation_title(
    conv: Conversation, member_names: list[tuple[int, str]], for_user_id: int | None
) -> str:
    """What to call a conversation: its name, else (dm, unnamed group) the other people's names."""
    if conv.name:
        return conv.name
    others = [name for staff_id, name in member_names if staff_id != for_user_id]
    if not others:
        return member_names[0][1] if member_names else ""
    shown = "、".join(others[:4])
    return shown + (f" 他{len(others) - 4}名" if len(others) > 4 else "")


def conversation_base(conv: Conversation) -> ConversationBase:
    """The fields every member shares (what the conversation events carry)."""
    return ConversationBase(
        id=conv.pk,
        kind=conv.kind,
        name=conv.name,
        topic=conv.topic,
        team=conv.team_id,
        visibility=conv.visibility,
        last_seq=conv.last_seq,
        archived=conv.archived_at is not None,
        created_at=conv.created_at,
        last_message_at=conv.last_message_at,
        url=conversation_url(conv),
    )


def conversation_out(
    conv: Conversation,
    for_user,
    *,
    member: Member | None = None,
    members: list[Member] | None = None,
    mentions: int | None = None,
) -> ConversationOut:
    """The conversation object as `for_user` sees it (unread and mentions are theirs).

    `members` (with `staff` loaded) and `member` (the person's own row) are looked up when not given."""
    if members is None:
        members = list(conv.members.select_related("staff").order_by("joined_at", "id"))
    user_id = getattr(for_user, "pk", None)
    if member is None:
        member = next((m for m in members if m.staff_id == user_id), None)
    last_read = member.last_read_seq if member else 0
    if mentions is None:
        mentions = unread_mentions(for_user, conv, last_read) if member else 0
    names = [(m.staff_id, m.staff.full_name or m.staff.username) for m in members]
    return ConversationOut(
        **dict(conversation_base(conv)),
        title=conversation_title(conv, names, user_id),
        members=[m.staff.username for m in members],
        owners=[m.staff.username for m in members if m.role == Member.Role.OWNER],
        member_count=len(members),
        last_read_seq=last_read,
        unread=max(conv.last_seq - last_read, 0) if member else 0,
        mentions=mentions,
        muted=bool(member and member.muted),
        role=member.role if member else None,
    )


def member_out(member: Member) -> MemberOut:
    """A member row (with `staff` loaded) as `GET /conversations/{id}/members` lists it."""
    return MemberOut(
        username=member.staff.username, name=member.staff.full_name or member.staff.username, role=member.role
    )


def conversation_url(conv: Conversation) -> str:
    try:
        return reverse("chat:conversation", args=[conv.pk])
    except NoReverseMatch:  # the page belongs to the web app; until it exists, the chat index will do
        return "/chat/"


def team_out(team: Team, *, is_member: bool, member_count: int | None = None) -> TeamOut:
    return TeamOut(
        id=team.pk,
        name=team.name,
        description=team.description,
        department=team.department_id,
        archived=team.archived_at is not None,
        is_member=is_member,
        member_count=member_count,
    )


def channel_out(channel: Conversation) -> ChannelOut:
    """A team's channel from `actions.team_channels` (`is_member` annotated)."""
    return ChannelOut(
        id=channel.pk,
        name=channel.name,
        topic=channel.topic,
        visibility=channel.visibility,
        is_member=channel.is_member,
        last_seq=channel.last_seq,
    )
