"""Conversation events carry one schema (`ConversationBase`: no member lists, nothing personal); a membership
change sends one small `conversation.members` event; ownership passes on — when the last owner leaves, when an
owner retires, when a department gets a new head — and the members hear who the new owner is."""

from __future__ import annotations

import pydantic
import pytest
from django.utils import timezone

from kiban.accounts.tests.factories import StaffFactory
from kiban.chat import actions
from kiban.chat.events import ConversationCreated, ConversationMembers, ConversationUpdated
from kiban.chat.jobs import pass_on_retired_ownership
from kiban.chat.models import Conversation, Member
from kiban.chat.schemas import ConversationBase, ConversationOut
from kiban.chat.tests.factories import as_member, make_channel, make_group
from kiban.core.models import AuditEntry
from kiban.org.models import Membership
from kiban.realtime.testing import capture_events

pytestmark = pytest.mark.django_db
J = "application/json"


def _role(person, conv) -> str:
    return Member.objects.get(conversation=conv, staff=person).role


def test_conversation_events_carry_the_shared_fields_only(clerk, section_head, other_clerk):
    with capture_events() as events:
        conv = make_group(clerk, section_head, name="人事")
        actions.do_update_conversation(clerk, as_member(clerk, conv), topic="異動")
        actions.do_set_muted(section_head, as_member(section_head, conv), True)
    created, updated, muted = (e for _ids, e in events)
    assert isinstance(created, ConversationCreated) and isinstance(updated, ConversationUpdated)
    for event in (created, updated, muted):
        payload = event.model_dump(mode="json")["conversation"]
        assert set(payload) == set(ConversationBase.model_fields)
        assert not {"members", "owners", "unread", "mentions", "muted", "title"} & set(payload)
    assert updated.conversation.topic == "異動"
    assert [ids for ids, _e in events] == [sorted([clerk.pk, section_head.pk])] * 2 + [[section_head.pk]]
    # One schema: a field it does not declare is refused where the event is built.
    with pytest.raises(pydantic.ValidationError):
        ConversationUpdated(conversation={**created.conversation.model_dump(), "members": ["100001"]})


def test_the_api_object_extends_the_event_object(client, clerk, section_head):
    conv = make_group(clerk, section_head, name="人事")
    client.force_login(clerk)
    data = client.get(f"/api/v1/conversations/{conv.pk}").json()
    assert set(data) == set(ConversationOut.model_fields)
    assert set(ConversationBase.model_fields) < set(ConversationOut.model_fields)
    assert (data["members"], data["owners"], data["member_count"]) == (["100002", "100001"], ["100002"], 2)
    assert data["created_at"].endswith("+09:00")


def test_adding_200_people_sends_one_small_event(clerk):
    people = [StaffFactory() for _ in range(200)]
    conv = make_channel(clerk, name="全庁")
    with capture_events() as events:
        actions.do_add_members(clerk, as_member(clerk, conv), [p.username for p in people])
    assert events.types() == ["conversation.members"]
    ((sent_to, event),) = list(events)
    assert len(sent_to) == 201
    assert event.added == [p.username for p in people] and event.removed == [] == event.owners


def test_the_last_owner_leaving_hands_ownership_on_and_the_members_hear_it(clerk, section_head, other_clerk):
    conv = make_group(section_head, clerk, other_clerk, name="班")
    with capture_events() as events:
        actions.do_leave_conversation(section_head, as_member(section_head, conv))
    ((sent_to, event),) = list(events)
    assert event == ConversationMembers(
        conversation=conv.pk, removed=[section_head.username], owners=[clerk.username]
    )
    assert sent_to == sorted([section_head.pk, clerk.pk, other_clerk.pk])
    assert _role(clerk, conv) == "owner"
    assert AuditEntry.objects.filter(action="chat.owner.passed").count() == 1
    # Another owner remains: nobody is promoted, the event says so.
    actions.do_add_members(clerk, as_member(clerk, conv), [section_head.username])
    Member.objects.filter(conversation=conv, staff=other_clerk).update(role="owner")
    with capture_events() as events:
        actions.do_leave_conversation(clerk, as_member(clerk, conv))
    assert [e.owners for _ids, e in events] == [[]]
    assert _role(section_head, conv) == "member"


def test_a_retired_owner_hands_ownership_to_the_longest_standing_active_member(
    clerk, section_head, other_clerk
):
    conv = make_group(section_head, clerk, other_clerk, name="班")
    dm = actions.do_create_dm(section_head, clerk)[0]
    section_head.is_active = False
    section_head.retired_at = timezone.now()
    section_head.save(update_fields=["is_active", "retired_at"])
    with capture_events() as events:
        assert pass_on_retired_ownership.func() == 1
    ((sent_to, event),) = list(events)
    assert event == ConversationMembers(conversation=conv.pk, owners=[clerk.username])
    assert clerk.pk in sent_to and other_clerk.pk in sent_to
    assert (_role(clerk, conv), _role(other_clerk, conv)) == ("owner", "member")
    assert _role(clerk, dm) == "owner"  # a dm has no ownership to pass on
    with capture_events() as events:
        assert pass_on_retired_ownership.func() == 0  # done once
    assert list(events) == []


def test_a_department_team_follows_its_new_head_and_announces_it(org_tree, section_head, clerk, other_clerk):
    team = actions.do_sync_department_team(org_tree["jinji"]).team
    general = Conversation.objects.get(team=team)
    # 人事異動: the head moves to 道路課, the clerk becomes head of 人事課.
    Membership.objects.filter(staff=section_head).update(department=org_tree["douro"], is_head=False)
    Membership.objects.filter(staff=clerk).update(is_head=True)
    with capture_events() as events:
        result = actions.do_sync_department_team(org_tree["jinji"])
    assert (result.added, result.removed) == (0, 1)
    ((sent_to, event),) = list(events)
    assert event == ConversationMembers(
        conversation=general.pk, removed=[section_head.username], owners=[clerk.username]
    )
    assert section_head.pk in sent_to and clerk.pk in sent_to
    assert _role(clerk, general) == "owner"
    assert team.memberships.get(staff=clerk).role == "owner"


def test_joining_a_team_announces_one_member(clerk, other_clerk):
    team = actions.do_create_team(clerk, name="DX推進")
    general = Conversation.objects.get(team=team)
    with capture_events() as events:
        assert actions.do_join_team(other_clerk, team) is True
        assert actions.do_join_team(other_clerk, team) is False
    assert [(e.type, e.conversation, e.added) for _ids, e in events] == [
        ("conversation.members", general.pk, [other_clerk.username])
    ]
