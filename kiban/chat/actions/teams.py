"""Teams: create, list, join, their channels, and the teams kept in step with a department."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.utils.translation import gettext as _

from kiban.accounts.models import Staff
from kiban.chat.actions.common import clean_name, field_error
from kiban.chat.actions.conversations import (
    _lock_conversation,
    announce_created,
    announce_members,
    pass_on_ownership,
)
from kiban.chat.models import Conversation, Member, Team, TeamMember
from kiban.core import audit
from kiban.org.models import Department, Membership

GENERAL_CHANNEL = "一般"


def access_team(user, team_id: int) -> Team:
    """Any staff may see a team that is not archived (its public channels are for everyone to find)."""
    team = Team.objects.filter(pk=team_id, archived_at__isnull=True).first()
    if team is None:
        raise Http404
    return team


def teams_for(user):
    """Every open team, with `is_member` and `member_count` annotated, the person's own first."""
    return (
        Team.objects.filter(archived_at__isnull=True)
        .annotate(
            is_member=Exists(TeamMember.objects.filter(team=OuterRef("pk"), staff=user)),
            member_count=Count("memberships", distinct=True),
        )
        .order_by("-is_member", "name", "id")
    )


def team_channels(user, team: Team):
    """The team's channels the person may see: public ones, and private ones they are in."""
    return (
        Conversation.objects.filter(team=team, kind=Conversation.Kind.CHANNEL, archived_at__isnull=True)
        .filter(Q(visibility=Conversation.Visibility.PUBLIC) | Q(members__staff=user))
        .annotate(is_member=Exists(Member.objects.filter(conversation=OuterRef("pk"), staff=user)))
        .distinct()
        .order_by("name", "id")
    )


def _general_channel(team: Team, creator) -> Conversation:
    channel = team.channels.filter(kind=Conversation.Kind.CHANNEL).order_by("id").first()
    if channel is None:
        channel = Conversation.objects.create(
            kind=Conversation.Kind.CHANNEL, name=GENERAL_CHANNEL, team=team,
            visibility=Conversation.Visibility.PUBLIC, created_by=creator,
        )  # fmt: skip
    return channel


def do_create_team(creator, *, name: str, description: str = "") -> Team:
    """A new team with its creator as owner and a public 一般 channel."""
    name = clean_name(name, required=True)
    description = (description or "").strip()
    if len(description) > 1000:
        raise field_error("description", _("%(max)d文字以内で入力してください。") % {"max": 1000})
    with transaction.atomic():
        team = Team.objects.create(name=name, description=description, created_by=creator)
        TeamMember.objects.create(team=team, staff=creator, role=TeamMember.Role.OWNER)
        channel = _general_channel(team, creator)
        Member.objects.create(conversation=channel, staff=creator, role=Member.Role.OWNER)
        announce_created(channel)
    return team


def do_join_team(user, team: Team) -> bool:
    """Join a team and its 一般 channel. True when newly joined."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                TeamMember.objects.create(team=team, staff=user)
        except IntegrityError:
            return False
        channel = (
            team.channels.filter(
                kind=Conversation.Kind.CHANNEL,
                visibility=Conversation.Visibility.PUBLIC,
                archived_at__isnull=True,
            )
            .order_by("id")
            .first()
        )
        if channel is not None:
            # The lock a post takes for its seq: a post either precedes the join or reaches the new member.
            _lock_conversation(channel)
            if not Member.objects.filter(conversation=channel, staff=user).exists():
                Member.objects.create(conversation=channel, staff=user)
                announce_members(channel, added=[user.username])
    return True


def department_staff_ids(department: Department) -> dict[int, bool]:
    """{staff_id: is_head} for the active staff of the department and every sub-unit below it (兼務 included)."""
    ids = {department.pk}
    frontier = [department.pk]
    while frontier:
        frontier = list(
            Department.objects.filter(parent_id__in=frontier, is_active=True).values_list("id", flat=True)
        )
        frontier = [d for d in frontier if d not in ids]
        ids.update(frontier)
    result: dict[int, bool] = {}
    rows = Membership.objects.filter(department_id__in=ids, staff__is_active=True).values_list(
        "staff_id", "department_id", "is_head"
    )
    for staff_id, dept_id, is_head in rows:
        result[staff_id] = result.get(staff_id, False) or (is_head and dept_id == department.pk)
    return result


@dataclass(frozen=True)
class SyncResult:
    team: Team
    added: int
    removed: int


def do_sync_department_team(department: Department, *, actor=None) -> SyncResult:
    """Create or update the department's team: its members are the department's (and its sub-units')
    staff, its heads are owners, and they are all in the team's 一般 channel. People the sync added and who
    have left the department are removed; people who joined by themselves stay."""
    wanted = department_staff_ids(department)
    with transaction.atomic():
        team, created = Team.objects.get_or_create(
            department=department, defaults={"name": department.name, "created_by": actor}
        )
        if not created and (team.name != department.name or team.archived_at is not None):
            team.name = department.name
            team.archived_at = None
            team.save(update_fields=["name", "archived_at"])
        channel = _general_channel(team, actor)
        # The channel's lock, as for any membership change (`conversations._lock_conversation`): a post to the
        # channel is ordered with this sync, so a person removed here never receives a later message.
        _lock_conversation(channel)
        current = dict(TeamMember.objects.filter(team=team).values_list("staff_id", "from_department"))
        to_add = [sid for sid in wanted if sid not in current]
        to_remove = [sid for sid, from_dept in current.items() if from_dept and sid not in wanted]
        role = {True: TeamMember.Role.OWNER, False: TeamMember.Role.MEMBER}
        TeamMember.objects.bulk_create(
            [
                TeamMember(team=team, staff_id=sid, role=role[wanted[sid]], from_department=True)
                for sid in to_add
            ],
            ignore_conflicts=True,
        )
        TeamMember.objects.filter(team=team, staff_id__in=to_remove).delete()
        # A new head of the department owns its team and channel (ownership passes on at a reshuffle).
        heads = [sid for sid, is_head in wanted.items() if is_head]
        TeamMember.objects.filter(team=team, staff_id__in=heads).exclude(role=TeamMember.Role.OWNER).update(
            role=TeamMember.Role.OWNER
        )
        in_channel = dict(Member.objects.filter(conversation=channel).values_list("staff_id", "role"))
        joining = [sid for sid in wanted if sid not in in_channel]
        Member.objects.bulk_create(
            [
                Member(
                    conversation=channel,
                    staff_id=sid,
                    role=Member.Role.OWNER if wanted[sid] else Member.Role.MEMBER,
                )
                for sid in joining
            ],
            ignore_conflicts=True,
        )
        leaving = [sid for sid in to_remove if sid in in_channel]
        Member.objects.filter(conversation=channel, staff_id__in=leaving).delete()
        promoted = [sid for sid in heads if in_channel.get(sid, Member.Role.OWNER) != Member.Role.OWNER]
        Member.objects.filter(conversation=channel, staff_id__in=promoted).update(role=Member.Role.OWNER)
        names = dict(
            Staff.objects.filter(pk__in=[*joining, *leaving, *promoted]).values_list("pk", "username")
        )
        owners = [names[sid] for sid in promoted]
        heir = pass_on_ownership(channel)
        if heir:
            owners.append(heir)
        if actor is not None:
            audit.record(
                "chat.team.sync_department", actor=actor, target=team, department=department.code,
                added=len(to_add), removed=len(to_remove),
            )  # fmt: skip
        if created:
            announce_created(channel)
        elif joining or leaving or owners:
            announce_members(
                channel, added=[names[sid] for sid in joining], removed=[names[sid] for sid in leaving],
                owners=owners + [names[sid] for sid in joining if wanted[sid]], also=leaving,
            )  # fmt: skip
    return SyncResult(team=team, added=len(to_add), removed=len(to_remove))


def do_sync_all_department_teams() -> list[SyncResult]:
    """Re-sync every team made from a department (after an HR import or a reshuffle)."""
    return [
        do_sync_department_team(team.department)
        for team in Team.objects.filter(department__isnull=False, archived_at__isnull=True).select_related(
            "department"
        )
    ]
