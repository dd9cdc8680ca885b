"""Conversations: access, creation (dm, group, channel), members, leave, archive, join, mute, read state."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.chat.actions.common import (
    MAX_GROUP_MEMBERS,
    clean_name,
    field_error,
    member_ids,
    staff_by_usernames,
)
from kiban.chat.events import (
    ConversationCreated,
    ConversationMembers,
    ConversationRead,
    ConversationUpdated,
)
from kiban.chat.models import Conversation, Member, Team, TeamMember
from kiban.chat.serializers import conversation_base
from kiban.core import audit
from kiban.notifications.actions import mark_read_up_to
from kiban.realtime import publish


def announce_members(
    conv: Conversation,
    *,
    added: Iterable[str] = (),
    removed: Iterable[str] = (),
    owners: Iterable[str] = (),
    also: Iterable[int] = (),
) -> None:
    """One small `conversation.members` event (who joined, left, became an owner) to the members and to
    `also` (those who left). Inside the change's transaction, after the conversation's lock."""
    recipients = set(member_ids(conv)) | set(also)
    publish(
        recipients,
        ConversationMembers(
            conversation=conv.pk, added=list(added), removed=list(removed), owners=list(owners)
        ),
    )


def pass_on_ownership(conv: Conversation) -> str | None:
    """When no active owner is left (the last one left, was removed by a sync, or retired), the
    longest-standing active member becomes owner. Call under the conversation's lock; returns the new
    owner's username (for the `conversation.members` event), or None when nothing changed."""
    if conv.kind == Conversation.Kind.DM:
        return None
    if Member.objects.filter(conversation=conv, role=Member.Role.OWNER, staff__is_active=True).exists():
        return None
    heir = (
        Member.objects.filter(conversation=conv, staff__is_active=True)
        .select_related("staff")
        .order_by("joined_at", "id")
        .first()
    )
    if heir is None:
        return None
    Member.objects.filter(pk=heir.pk).update(role=Member.Role.OWNER)
    audit.record("chat.owner.passed", actor=None, target=conv, username=heir.staff.username)
    return heir.staff.username


def access_conversation(user, conversation_id: int) -> Conversation:
    """The conversation if `user` is a member (the member row is at `conv.membership`); else Http404 —
    whether it exists or not, so a private conversation's existence does not leak."""
    member = (
        Member.objects.select_related("conversation")
        .filter(conversation_id=conversation_id, staff=user)
        .first()
    )
    if member is None:
        raise Http404
    conv = member.conversation
    conv.membership = member
    return conv


def access_public_channel(user, conversation_id: int) -> Conversation:
    """A public, open channel any staff may see and join (Http404 for anything else)."""
    conv = (
        Conversation.objects.filter(
            pk=conversation_id,
            kind=Conversation.Kind.CHANNEL,
            visibility=Conversation.Visibility.PUBLIC,
            archived_at__isnull=True,
        )
        .select_related("team")
        .first()
    )
    if conv is None or (conv.team and conv.team.archived_at):
        raise Http404
    return conv


def announce_created(conv: Conversation) -> None:
    publish(member_ids(conv), ConversationCreated(conversation=conversation_base(conv)))


def _announce_updated(conv: Conversation) -> None:
    publish(member_ids(conv), ConversationUpdated(conversation=conversation_base(conv)))


def _lock_conversation(conv: Conversation) -> None:
    """Take the conversation row's lock for a membership change, inside its transaction: the lock a post
    takes when it assigns its seq (`messages._next_seq`), so a post and a membership change are ordered —
    a post reads the members as they are once it holds the lock. (SQLite: the IMMEDIATE transaction's
    write lock already orders them.)"""
    list(Conversation.objects.select_for_update().filter(pk=conv.pk).values_list("pk"))


def dm_key(a_id: int, b_id: int) -> str:
    low, high = sorted((a_id, b_id))
    return f"{low}:{high}"


def do_create_dm(creator, other) -> tuple[Conversation, bool]:
    """The dm between two people, created if missing. Idempotent under a race: the unique `dm_key` lets
    one insert win; the loser returns the winner's row. A dm with oneself is a personal notepad."""
    key = dm_key(creator.pk, other.pk)
    existing = Conversation.objects.filter(dm_key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            conv = Conversation.objects.create(kind=Conversation.Kind.DM, dm_key=key, created_by=creator)
            Member.objects.bulk_create(
                [
                    Member(conversation=conv, staff_id=pid, role=Member.Role.OWNER)
                    for pid in {creator.pk, other.pk}
                ]
            )
            announce_created(conv)
    except IntegrityError:
        return Conversation.objects.get(dm_key=key), False
    return conv, True


def do_create_conversation(
    creator,
    *,
    kind: str,
    members: Iterable[str] = (),
    name: str | None = None,
    team_id: int | None = None,
    visibility: str | None = None,
    topic: str | None = None,
) -> tuple[Conversation, bool]:
    """Create a dm (returns the existing one), a group (up to 100 people, creator included) or a channel in
    a team the creator belongs to. Returns (conversation, created). Bad input raises ValidationError naming
    the field, before anything is written."""
    if kind not in Conversation.Kind.values:
        raise field_error("kind", _("dm、group、channel のいずれかを指定してください。"))
    people = [p for p in staff_by_usernames(members) if p.pk != creator.pk]
    name = clean_name(name, required=kind == Conversation.Kind.CHANNEL)
    if kind == Conversation.Kind.DM:
        if len(people) > 1:
            raise field_error("members", _("ダイレクトメッセージの相手は1人です。"))
        return do_create_dm(creator, people[0] if people else creator)
    if kind == Conversation.Kind.GROUP:
        if not people:
            raise field_error("members", _("メンバーを1人以上指定してください。"))
        if len(people) + 1 > MAX_GROUP_MEMBERS:
            raise field_error("members", _("グループは%(max)d人までです。") % {"max": MAX_GROUP_MEMBERS})
        team = None
        visibility = Conversation.Visibility.PRIVATE
    else:
        if team_id is None:
            raise field_error("team", _("チャンネルのチームを指定してください。"))
        team = Team.objects.filter(pk=team_id, archived_at__isnull=True).first()
        if team is None or not TeamMember.objects.filter(team=team, staff=creator).exists():
            raise field_error("team", _("参加しているチームを指定してください。"))
        visibility = visibility or Conversation.Visibility.PUBLIC
        if visibility not in Conversation.Visibility.values:
            raise field_error("visibility", _("public または private を指定してください。"))
    with transaction.atomic():
        conv = Conversation.objects.create(
            kind=kind, name=name, team=team, visibility=visibility, topic=clean_name(topic, field="topic"),
            created_by=creator,
        )  # fmt: skip
        rows = [Member(conversation=conv, staff=creator, role=Member.Role.OWNER)]
        rows += [Member(conversation=conv, staff=p) for p in people]
        Member.objects.bulk_create(rows)
        announce_created(conv)
    return conv, True


def _require_owner(conv: Conversation) -> None:
    if conv.membership.role != Member.Role.OWNER:
        raise PermissionDenied(_("オーナーだけができる操作です。"))


def _require_open(conv: Conversation) -> None:
    if conv.archived_at is not None:
        raise field_error("conversation", _("アーカイブされた会話は変更できません。"))


def _may_manage_members(conv: Conversation) -> None:
    """A dm has fixed members; a private channel's are managed by its owners; in groups and public
    channels any member may invite."""
    if conv.kind == Conversation.Kind.DM:
        raise field_error("conversation", _("ダイレクトメッセージのメンバーは変えられません。"))
    if conv.kind == Conversation.Kind.CHANNEL and conv.visibility == Conversation.Visibility.PRIVATE:
        _require_owner(conv)


def do_add_members(actor, conv: Conversation, usernames: Iterable[str]) -> list[str]:
    """Add people; returns the usernames newly added. `conv` comes from access_conversation(actor, …)."""
    _require_open(conv)
    _may_manage_members(conv)
    people = staff_by_usernames(usernames)
    if not people:
        raise field_error("members", _("メンバーを1人以上指定してください。"))
    with transaction.atomic():
        _lock_conversation(conv)
        present = set(Member.objects.filter(conversation=conv).values_list("staff_id", flat=True))
        new = [p for p in people if p.pk not in present]
        if conv.kind == Conversation.Kind.GROUP and len(present) + len(new) > MAX_GROUP_MEMBERS:
            raise field_error("members", _("グループは%(max)d人までです。") % {"max": MAX_GROUP_MEMBERS})
        Member.objects.bulk_create([Member(conversation=conv, staff=p) for p in new], ignore_conflicts=True)
        if new:
            announce_members(conv, added=[p.username for p in new])
    return [p.username for p in new]


def do_remove_member(actor, conv: Conversation, username: str) -> None:
    """An owner removes someone (anyone may remove themselves: that is leaving)."""
    _require_open(conv)
    (person,) = staff_by_usernames([username], field="username")
    if person.pk == actor.pk:
        do_leave_conversation(actor, conv)
        return
    _may_manage_members(conv)
    _require_owner(conv)
    with transaction.atomic():
        _lock_conversation(conv)
        deleted, _rows = Member.objects.filter(conversation=conv, staff=person).delete()
        if not deleted:
            raise Http404
        announce_members(conv, removed=[person.username], also=[person.pk])
        audit.record("chat.member.remove", actor=actor, target=conv, username=person.username)


def do_leave_conversation(user, conv: Conversation) -> None:
    """Leave a group or channel. The last owner leaving hands ownership to the longest-standing member."""
    if conv.kind == Conversation.Kind.DM:
        raise field_error("conversation", _("ダイレクトメッセージからは退出できません。"))
    with transaction.atomic():
        _lock_conversation(conv)
        Member.objects.filter(pk=conv.membership.pk).delete()
        heir = pass_on_ownership(conv)
        announce_members(conv, removed=[user.username], owners=[heir] if heir else [], also=[user.pk])


def do_join_channel(user, conv: Conversation) -> bool:
    """Join a public channel (from access_public_channel). True when newly joined; joining twice is
    harmless (the unique member constraint decides a race)."""
    with transaction.atomic():
        _lock_conversation(conv)
        if Member.objects.filter(conversation=conv, staff=user).exists():
            return False
        try:
            with transaction.atomic():
                Member.objects.create(conversation=conv, staff=user)
        except IntegrityError:
            return False
        announce_members(conv, added=[user.username])
    return True


def do_archive_conversation(actor, conv: Conversation, archived: bool = True) -> Conversation:
    """Owners archive (read-only from then on) or restore a group or channel."""
    if conv.kind == Conversation.Kind.DM:
        raise field_error("conversation", _("ダイレクトメッセージはアーカイブできません。"))
    _require_owner(conv)
    with transaction.atomic():
        conv.archived_at = timezone.now() if archived else None
        conv.save(update_fields=["archived_at"])
        audit.record(
            "chat.conversation.archive" if archived else "chat.conversation.unarchive",
            actor=actor,
            target=conv,
        )
        _announce_updated(conv)
    return conv


def do_update_conversation(
    actor, conv: Conversation, *, name: str | None = None, topic: str | None = None
) -> Conversation:
    """Rename or set the topic (groups: any member; channels: owners)."""
    _require_open(conv)
    if conv.kind == Conversation.Kind.DM:
        raise field_error("conversation", _("ダイレクトメッセージの名前は変えられません。"))
    if conv.kind == Conversation.Kind.CHANNEL:
        _require_owner(conv)
    fields = []
    if name is not None:
        conv.name = clean_name(name, required=conv.kind == Conversation.Kind.CHANNEL)
        fields.append("name")
    if topic is not None:
        conv.topic = clean_name(topic, field="topic")
        fields.append("topic")
    if fields:
        with transaction.atomic():
            conv.save(update_fields=fields)
            _announce_updated(conv)
    return conv


def do_set_muted(user, conv: Conversation, muted: bool) -> None:
    """Mute or unmute for this person; their other devices hear `conversation.updated` and ask for their own
    view (muted is personal, so the event does not carry it)."""
    Member.objects.filter(pk=conv.membership.pk).update(muted=muted)
    conv.membership.muted = muted
    publish([user.pk], ConversationUpdated(conversation=conversation_base(conv)))


def do_mark_read(user, conv: Conversation, seq: int) -> int:
    """Move the person's read mark forward to `seq` (clamped to the newest message; never backwards).
    Announces `conversation.read` to their own devices and marks the conversation's notifications read.
    Returns the read mark now stored."""
    if seq < 0:
        raise field_error("seq", _("0以上の数を指定してください。"))
    last_seq = Conversation.objects.filter(pk=conv.pk).values_list("last_seq", flat=True).get()
    seq = min(seq, last_seq)
    with transaction.atomic():
        moved = Member.objects.filter(pk=conv.membership.pk, last_read_seq__lt=seq).update(last_read_seq=seq)
        if not moved:
            return Member.objects.filter(pk=conv.membership.pk).values_list("last_read_seq", flat=True).get()
        publish([user.pk], ConversationRead(conversation=conv.pk, seq=seq))
        mark_read_up_to(user.pk, f"chat.conversation:{conv.pk}", seq)
    conv.membership.last_read_seq = seq
    return seq


def advance_own_read_mark(member_pk: int, seq: int) -> None:
    """The author has read what they wrote (no event: their client already knows)."""
    Member.objects.filter(pk=member_pk, last_read_seq__lt=seq).update(last_read_seq=seq)
