"""Teams: creation, joining, channels, and the team kept in step with a department."""

from __future__ import annotations

import pytest

from kiban.chat import actions
from kiban.chat.models import Conversation, Member, Team, TeamMember
from kiban.core.models import AuditEntry
from kiban.org.models import Membership
from kiban.org.tests.factories import DepartmentFactory, MembershipFactory

pytestmark = pytest.mark.django_db
J = "application/json"


def _team_members(team) -> list[tuple[str, str]]:
    return list(team.memberships.order_by("staff__username").values_list("staff__username", "role"))


def _channel_members(conv) -> list[str]:
    return list(
        Member.objects.filter(conversation=conv)
        .order_by("staff__username")
        .values_list("staff__username", flat=True)
    )


def test_team_is_created_with_a_general_channel(client, clerk):
    client.force_login(clerk)
    response = client.post("/api/v1/teams", {"name": "DX推進", "description": "庁内DX"}, content_type=J)
    assert response.status_code == 201
    team = Team.objects.get()
    [general] = Conversation.objects.filter(team=team)
    assert (general.name, general.visibility, _channel_members(general)) == ("一般", "public", ["100002"])
    assert _team_members(team) == [("100002", "owner")]


def test_bad_team_name_is_400(client, clerk):
    client.force_login(clerk)
    for payload in ({"name": ""}, {"name": "  "}, {}):
        response = client.post("/api/v1/teams", payload, content_type=J)
        assert response.status_code == 400
        assert response.json()["detail"].startswith("name")
    assert Team.objects.count() == 0


def test_joining_a_team_joins_its_general_channel(client, clerk, other_clerk):
    team = actions.do_create_team(clerk, name="DX推進")
    client.force_login(other_clerk)
    listed = client.get("/api/v1/teams").json()["results"]
    assert [(t["name"], t["is_member"], t["member_count"]) for t in listed] == [("DX推進", False, 1)]
    assert client.post(f"/api/v1/teams/{team.pk}/join").json()["is_member"] is True
    general = Conversation.objects.get(team=team)
    assert _channel_members(general) == ["100002", "500001"]


def test_team_channels_show_public_and_own_private_ones(client, clerk, other_clerk):
    team = actions.do_create_team(clerk, name="DX推進")
    actions.do_create_conversation(clerk, kind="channel", name="秘密", team_id=team.pk, visibility="private")
    client.force_login(other_clerk)
    assert [
        (c["name"], c["is_member"]) for c in client.get(f"/api/v1/teams/{team.pk}/channels").json()["results"]
    ] == [("一般", False)]
    client.force_login(clerk)
    assert [c["name"] for c in client.get(f"/api/v1/teams/{team.pk}/channels").json()["results"]] == [
        "一般",
        "秘密",
    ]


def test_department_team_follows_the_department_and_its_sub_units(
    org_tree, section_head, clerk, other_clerk, it_admin
):
    kakari = DepartmentFactory(code="100110", name="給与係", parent=org_tree["jinji"])
    in_kakari = MembershipFactory(department=kakari, staff__username="100050").staff
    result = actions.do_sync_department_team(org_tree["soumu"], actor=it_admin)
    team = result.team
    assert (team.name, team.department_id, result.added, result.removed) == (
        "総務部",
        org_tree["soumu"].pk,
        4,
        0,
    )
    assert [u for u, _r in _team_members(team)] == ["100001", "100002", "100009", "100050"]
    general = Conversation.objects.get(team=team)
    assert _channel_members(general) == ["100001", "100002", "100009", "100050"]
    assert AuditEntry.objects.filter(action="chat.team.sync_department").count() == 1

    # 人事異動: the clerk moves to 道路課; someone joins the team by hand and stays.
    Membership.objects.filter(staff=clerk).update(department=org_tree["douro"])
    actions.do_join_team(other_clerk, team)
    again = actions.do_sync_department_team(org_tree["soumu"])
    assert (again.team.pk, again.added, again.removed) == (team.pk, 0, 1)
    assert [u for u, _r in _team_members(team)] == ["100001", "100009", "100050", "500001"]
    assert "100002" not in _channel_members(general)
    assert in_kakari.pk in set(TeamMember.objects.filter(team=team).values_list("staff_id", flat=True))


def test_department_heads_own_the_department_team(org_tree, section_head, clerk):
    team = actions.do_sync_department_team(org_tree["jinji"]).team
    assert _team_members(team) == [("100001", "owner"), ("100002", "member")]


def test_department_sync_api_is_for_it_admins(client, org_tree, clerk, it_admin):
    client.force_login(clerk)
    refused = client.post(
        "/api/v1/teams/department-sync", {"department": org_tree["jinji"].pk}, content_type=J
    )
    assert refused.status_code == 403
    assert Team.objects.count() == 0
    client.force_login(it_admin)
    response = client.post(
        "/api/v1/teams/department-sync", {"department": org_tree["jinji"].pk}, content_type=J
    )
    assert response.status_code == 200
    assert (response.json()["team"]["name"], response.json()["added"]) == ("人事課", 1)
    missing = client.post("/api/v1/teams/department-sync", {"department": 999999}, content_type=J)
    assert (missing.status_code, missing.json()["detail"].split(":")[0]) == (400, "department")


def test_sync_command_names_unknown_codes_and_syncs_known_ones(org_tree, section_head, clerk):
    from io import StringIO

    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="999999"):
        call_command("chat_sync_departments", "100100", "999999")
    assert Team.objects.count() == 0
    out = StringIO()
    call_command("chat_sync_departments", "100100", stdout=out)
    assert out.getvalue() == "人事課: +2 -0\n"
    out = StringIO()
    call_command("chat_sync_departments", "--all", stdout=out)
    assert out.getvalue() == "人事課: +0 -0\n"


def test_admin_pages_and_sync_action(client, org_tree, section_head, it_admin):
    team = actions.do_sync_department_team(org_tree["jinji"]).team
    client.force_login(it_admin)
    for url in (
        "/admin/chat/team/",
        f"/admin/chat/team/{team.pk}/change/",
        "/admin/chat/conversation/",
        "/admin/chat/webhook/",
    ):
        assert client.get(url).status_code == 200, url
    TeamMember.objects.all().delete()
    response = client.post(
        "/admin/chat/team/", {"action": "sync_with_department", "_selected_action": [team.pk]}
    )
    assert response.status_code == 302
    assert _team_members(team) == [("100001", "owner")]


def test_creating_a_team_announces_its_channel_to_the_creator(clerk):
    from kiban.realtime.testing import capture_events

    with capture_events() as events:
        actions.do_create_team(clerk, name="DX推進")
    assert [(ids, e.type, e.conversation.name) for ids, e in events] == [
        ([clerk.pk], "conversation.created", "一般")
    ]
