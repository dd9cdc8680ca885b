"""Teams: create, list, join, their channels, and the teams kept in step with a department."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.utils.translation import gettext as _

from kiban.chat.actions.common import clean_name, field_error
from kiban.chat.actions.conversations import _announce_created, _announce_updated
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
        _announce_created(channel, creator)
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
            Member.objects.bulk_create([Member(conversation=channel, staff=user)], ignore_conflicts=True)
            _announce_updated(channel, user)
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
        in_channel = set(Member.objects.filter(conversation=channel).values_list("staff_id", flat=True))
        Member.objects.bulk_create(
            [
                Member(
                    conversation=channel,
                    staff_id=sid,
                    role=Member.Role.OWNER if wanted[sid] else Member.Role.MEMBER,
                )
                for sid in wanted
                if sid not in in_channel
            ],
            ignore_conflicts=True,
        )
        Member.objects.filter(conversation=channel, staff_id__in=to_remove).delete()
        if actor is not None:
            audit.record(
                "chat.team.sync_department", actor=actor, target=team, department=department.code,
                added=len(to_add), removed=len(to_remove),
            )  # fmt: skip
        if to_add or to_remove or created:
            _announce_updated(channel, actor, also=to_remove)
    return SyncResult(team=team, added=len(to_add), removed=len(to_remove))


def do_sync_all_department_teams() -> list[SyncResult]:
    """Re-sync every team made from a department (after an HR import or a reshuffle)."""
    return [
        do_sync_department_team(team.department)
        for team in Team.objects.filter(department__isnull=False, archived_at__isnull=True).select_related(
            "department"
        )
    ]
