"""Creating dms, groups and channels; members, leave, archive, join."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from kiban.accounts.tests.factories import StaffFactory
from kiban.chat import actions
from kiban.chat.models import Conversation, Member
from kiban.chat.tests.factories import as_member, make_channel, make_dm, make_group
from kiban.core.models import AuditEntry
from kiban.realtime.testing import capture_events

pytestmark = pytest.mark.django_db


def _members(conv) -> list[tuple[str, str]]:
    return list(
        Member.objects.filter(conversation=conv)
        .order_by("staff__username")
        .values_list("staff__username", "role")
    )


def test_dm_is_created_once_whichever_side_starts_it(clerk, section_head):
    with capture_events() as events:
        first, created = actions.do_create_conversation(clerk, kind="dm", members=["100001"])
        again, created_again = actions.do_create_conversation(section_head, kind="dm", members=["100002"])
    assert (created, created_again, first.pk) == (True, False, again.pk)
    assert Conversation.objects.filter(kind="dm").count() == 1
    assert _members(first) == [("100001", "owner"), ("100002", "owner")]
    assert events.types() == ["conversation.created"]
    assert events[0][0] == sorted([clerk.pk, section_head.pk])


def test_dm_with_oneself_is_a_notepad(clerk):
    conv, created = actions.do_create_conversation(clerk, kind="dm", members=[])
    assert created and _members(conv) == [("100002", "owner")]


def test_dm_with_two_people_is_refused(clerk, section_head, other_clerk):
    with pytest.raises(ValidationError) as exc:
        actions.do_create_conversation(clerk, kind="dm", members=["100001", "500001"])
    assert list(exc.value.message_dict) == ["members"]
    assert Conversation.objects.count() == 0


def test_group_has_creator_as_owner(clerk, section_head, other_clerk):
    conv = make_group(clerk, section_head, other_clerk, name="打合せ")
    assert _members(conv) == [("100001", "member"), ("100002", "owner"), ("500001", "member")]
    assert (conv.kind, conv.name, conv.visibility) == ("group", "打合せ", "private")


def test_group_of_more_than_a_hundred_is_refused(clerk):
    people = StaffFactory.create_batch(100)
    with pytest.raises(ValidationError) as exc:
        actions.do_create_conversation(clerk, kind="group", members=[p.username for p in people])
    assert list(exc.value.message_dict) == ["members"]
    assert Conversation.objects.count() == 0
    conv, _created = actions.do_create_conversation(
        clerk, kind="group", members=[p.username for p in people[:99]]
    )
    assert Member.objects.filter(conversation=conv).count() == 100


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "group", "members": []}, "members"),
        ({"kind": "group", "members": ["999999"]}, "members"),
        ({"kind": "group", "members": ["100001"], "name": "長" * 101}, "name"),
        ({"kind": "channel", "members": [], "name": "防災"}, "team"),
        ({"kind": "channel", "members": [], "name": ""}, "name"),
        ({"kind": "space", "members": []}, "kind"),
    ],
)
def test_bad_conversation_input_names_the_field_and_writes_nothing(clerk, section_head, kwargs, field):
    with capture_events() as events, pytest.raises(ValidationError) as exc:
        actions.do_create_conversation(clerk, **kwargs)
    assert list(exc.value.message_dict) == [field]
    assert (Conversation.objects.count(), events) == (0, [])


def test_retired_staff_cannot_be_added(clerk, section_head):
    section_head.is_active = False
    section_head.save()
    with pytest.raises(ValidationError):
        actions.do_create_conversation(clerk, kind="group", members=["100001"])


def test_channel_needs_membership_of_its_team(clerk, section_head, other_clerk):
    team = actions.do_create_team(clerk, name="人事課チーム")
    with pytest.raises(ValidationError) as exc:
        actions.do_create_conversation(other_clerk, kind="channel", name="雑談", team_id=team.pk)
    assert list(exc.value.message_dict) == ["team"]
    actions.do_join_team(other_clerk, team)
    conv, _created = actions.do_create_conversation(other_clerk, kind="channel", name="雑談", team_id=team.pk)
    assert (conv.team_id, conv.visibility) == (team.pk, "public")


def test_non_member_gets_404_for_a_private_conversation(clerk, section_head, other_clerk):
    conv = make_group(clerk, section_head)
    with pytest.raises(Http404):
        actions.access_conversation(other_clerk, conv.pk)
    with pytest.raises(Http404):
        actions.access_public_channel(other_clerk, conv.pk)


def test_anyone_joins_a_public_channel_but_not_a_private_one(clerk, other_clerk):
    public = make_channel(clerk, name="全庁お知らせ")
    private = actions.do_create_conversation(
        clerk, kind="channel", name="人事内緒", team_id=public.team_id, visibility="private"
    )[0]
    with capture_events() as events:
        assert (
            actions.do_join_channel(other_clerk, actions.access_public_channel(other_clerk, public.pk))
            is True
        )
        assert (
            actions.do_join_channel(other_clerk, actions.access_public_channel(other_clerk, public.pk))
            is False
        )
    assert events.types() == ["conversation.members"]
    assert events[0][1].added == ["500001"] and events[0][1].removed == []
    assert ("500001", "member") in _members(public)
    with pytest.raises(Http404):
        actions.access_public_channel(other_clerk, private.pk)


def test_private_channel_members_are_managed_by_owners(clerk, section_head, other_clerk):
    conv = make_channel(clerk, section_head, visibility="private")
    with capture_events() as events, pytest.raises(PermissionDenied):
        actions.do_add_members(section_head, as_member(section_head, conv), ["500001"])
    assert (len(_members(conv)), events) == (2, [])
    assert actions.do_add_members(clerk, as_member(clerk, conv), ["500001", "100001"]) == ["500001"]
    assert ("500001", "member") in _members(conv)


def test_group_members_may_invite(clerk, section_head, other_clerk):
    conv = make_group(clerk, section_head)
    with capture_events() as events:
        actions.do_add_members(section_head, as_member(section_head, conv), ["500001"])
    assert events.types() == ["conversation.members"]
    assert events[0][0] == sorted([clerk.pk, section_head.pk, other_clerk.pk])
    # One small event: who joined, never the whole member list.
    assert events[0][1].model_dump() == {
        "type": "conversation.members",
        "conversation": conv.pk,
        "added": ["500001"],
        "removed": [],
        "owners": [],
    }


def test_dm_members_are_fixed(clerk, section_head):
    conv = make_dm(clerk, section_head)
    with pytest.raises(ValidationError):
        actions.do_add_members(clerk, as_member(clerk, conv), ["500001"])
    with pytest.raises(ValidationError):
        actions.do_leave_conversation(clerk, as_member(clerk, conv))


def test_owner_removes_a_member_who_is_told(clerk, section_head, other_clerk):
    conv = make_group(clerk, section_head, other_clerk)
    with pytest.raises(PermissionDenied):
        actions.do_remove_member(section_head, as_member(section_head, conv), "500001")
    with capture_events() as events:
        actions.do_remove_member(clerk, as_member(clerk, conv), "500001")
    assert _members(conv) == [("100001", "member"), ("100002", "owner")]
    assert other_clerk.pk in events[0][0]
    assert AuditEntry.objects.filter(action="chat.member.remove").count() == 1


def test_last_owner_leaving_hands_over_ownership(clerk, section_head, other_clerk):
    conv = make_group(clerk, section_head, other_clerk)
    actions.do_leave_conversation(clerk, as_member(clerk, conv))
    assert _members(conv) == [("100001", "owner"), ("500001", "member")]
    with pytest.raises(Http404):
        actions.access_conversation(clerk, conv.pk)


def test_archive_is_for_owners_and_makes_it_read_only(clerk, section_head):
    conv = make_group(clerk, section_head)
    with pytest.raises(PermissionDenied):
        actions.do_archive_conversation(section_head, as_member(section_head, conv))
    assert Conversation.objects.get(pk=conv.pk).archived_at is None
    actions.do_archive_conversation(clerk, as_member(clerk, conv))
    with pytest.raises(ValidationError):
        actions.do_add_members(clerk, as_member(clerk, conv), ["500001"])
    actions.do_archive_conversation(clerk, as_member(clerk, conv), archived=False)
    assert Conversation.objects.get(pk=conv.pk).archived_at is None


def test_conversation_events_carry_no_member_lists(clerk, section_head, other_clerk):
    conv = make_channel(clerk, section_head, other_clerk)
    with capture_events() as events:
        actions.do_update_conversation(clerk, as_member(clerk, conv), name="新しい名前")
        actions.do_remove_member(clerk, as_member(clerk, conv), other_clerk.username)
    updated = events.of_type("conversation.updated")
    assert updated and all(
        "members" not in e.conversation and "owners" not in e.conversation for _ids, e in updated
    )
    ((sent_to, removal),) = events.of_type("conversation.members")
    assert removal.removed == [other_clerk.username] and removal.added == []
    assert other_clerk.pk in sent_to  # the removed person learns it too
