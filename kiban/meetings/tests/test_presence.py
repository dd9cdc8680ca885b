"""Entering and leaving a room: peers, the video limit (enforced by the database under concurrent entries),
heartbeats, mute indicators and raised hands, the roster and 開催中 events, attendance and usage figures."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from kiban.accounts.tests.factories import StaffFactory
from kiban.meetings import actions, queries
from kiban.meetings.models import Participant
from kiban.meetings.tests.conftest import post
from kiban.meetings.tests.helpers import enter, room
from kiban.notifications.models import Notification
from kiban.realtime.testing import capture_events

pytestmark = pytest.mark.django_db


def test_join_gives_a_peer_no_public_ice_servers_and_who_is_there(api_as, clerk, section_head):
    meeting = room(clerk, section_head)
    first = enter(meeting, clerk)
    response = post(api_as(section_head), f"/api/v1/meetings/{meeting.pk}/join")
    assert response.status_code == 200, response.content
    data = response.json()
    me = Participant.objects.get(staff=section_head)
    assert data["peer"] == me.peer
    assert data["provider"] == "builtin"
    assert data["video"] is True
    assert data["video_limit"] == 4
    assert data["heartbeat"] == 15
    assert data["ice_servers"] == []  # nothing configured: no public STUN/TURN, ever
    assert [p["peer"] for p in data["participants"]] == [first.peer, me.peer]
    assert [p["name"] for p in data["participants"]] == ["佐藤 花子", "髙橋 一郎"]
    assert "username" not in data["participants"][0]  # names, never 職員番号


def test_entering_tells_the_room_and_the_invitees(clerk, section_head):
    meeting = room(clerk, section_head)
    with capture_events() as events:
        first = enter(meeting, clerk)
    assert events.types() == ["notification.created", "meeting.roster", "meeting.state"]
    (roster_to, roster), (state_to, state) = (
        events.of_type("meeting.roster")[0],
        events.of_type("meeting.state")[0],
    )
    assert roster_to == [clerk.pk]
    assert [p.peer for p in roster.participants] == [first.peer]
    assert state_to == sorted([clerk.pk, section_head.pk])
    assert (state.live, state.count, state.event) == (True, 1, None)
    started = Notification.objects.get(recipient=section_head, kind="meetings.started")
    assert started.url == meeting.url
    # The second to enter starts nothing new.
    with capture_events() as events:
        enter(meeting, section_head)
    assert events.types() == ["meeting.roster", "meeting.state"]
    assert Notification.objects.filter(kind="meetings.started").count() == 1


def test_leaving_is_announced_and_recorded(api_as, clerk, section_head):
    meeting = room(clerk, section_head)
    enter(meeting, clerk)
    mine = enter(meeting, section_head)
    with capture_events() as events:
        response = post(api_as(section_head), f"/api/v1/meetings/{meeting.pk}/leave", {"peer": mine.peer})
    assert response.status_code == 204
    roster = events.of_type("meeting.roster")[0][1]
    assert [p.name for p in roster.participants] == ["佐藤 花子"]
    mine.refresh_from_db()
    assert mine.left_at is not None
    # Leaving twice, or with someone else's peer, changes nothing.
    assert (
        post(api_as(section_head), f"/api/v1/meetings/{meeting.pk}/leave", {"peer": mine.peer}).status_code
        == 404
    )
    other = Participant.objects.get(staff=clerk)
    assert (
        post(api_as(section_head), f"/api/v1/meetings/{meeting.pk}/leave", {"peer": other.peer}).status_code
        == 404
    )
    other.refresh_from_db()
    assert other.left_at is None


def test_fifth_video_participant_enters_with_audio_only(clerk, section_head):
    people = [StaffFactory() for _ in range(5)]
    meeting = room(clerk, *people)
    joined = [enter(meeting, p) for p in people]
    assert [p.video for p in joined] == [True, True, True, True, False]
    assert enter(meeting, clerk, audio_only=True).video is False


def test_video_limit_is_configurable_to_six(clerk, settings):
    settings.KIBAN_MEETING_VIDEO_LIMIT = 6
    people = [StaffFactory() for _ in range(7)]
    meeting = room(clerk, *people)
    assert [enter(meeting, p).video for p in people] == [True] * 6 + [False]


def test_a_full_room_refuses_with_409_and_adds_nobody(api_as, clerk):
    people = [StaffFactory() for _ in range(actions.MESH_MAX + 1)]
    meeting = room(clerk, *people)
    for person in people[: actions.MESH_MAX]:
        enter(meeting, person)
    response = post(api_as(people[-1]), f"/api/v1/meetings/{meeting.pk}/join")
    assert response.status_code == 409
    assert "満員" in response.json()["detail"]
    assert Participant.objects.count() == actions.MESH_MAX


@pytest.mark.django_db(transaction=True)
def test_concurrent_entries_never_give_more_video_places_than_the_limit(org_tree):
    organizer = StaffFactory()
    people = [StaffFactory() for _ in range(8)]
    meeting = room(organizer, *people)
    barrier = threading.Barrier(len(people))
    errors = []

    def go(person):
        try:
            barrier.wait(10)
            enter(meeting, person)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=go, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert Participant.objects.filter(meeting=meeting).count() == 8
    assert Participant.objects.filter(meeting=meeting, video=True).count() == 4


def test_heartbeat_keeps_a_peer_and_a_silent_one_is_swept(api_as, clerk, section_head):
    meeting = room(clerk, section_head)
    enter(meeting, clerk)
    silent = enter(meeting, section_head)
    past = timezone.now() - dt.timedelta(minutes=2)
    Participant.objects.filter(pk=silent.pk).update(last_seen_at=past)
    with capture_events() as events:
        assert actions.sweep_stale() == 1
    silent.refresh_from_db()
    assert silent.left_at == past
    roster = events.of_type("meeting.roster")[0][1]
    assert [p.name for p in roster.participants] == ["佐藤 花子"]
    # The swept page learns it must enter again.
    answer = post(api_as(section_head), f"/api/v1/meetings/{meeting.pk}/heartbeat", {"peer": silent.peer})
    assert answer.status_code == 404
    clerk_peer = Participant.objects.get(staff=clerk).peer
    assert post(api_as(clerk), f"/api/v1/meetings/{meeting.pk}/heartbeat", {"peer": clerk_peer}).json() == {
        "present": True
    }


def test_mute_hand_and_screen_flags_reach_the_room(api_as, clerk, section_head):
    meeting = room(clerk, section_head)
    enter(meeting, clerk)
    mine = enter(meeting, section_head)
    url = f"/api/v1/meetings/{meeting.pk}/participants/{mine.peer}"
    with capture_events() as events:
        response = api_as(section_head).patch(
            url, {"audio_muted": True, "hand_raised": True}, content_type="application/json"
        )
    assert response.status_code == 200
    assert response.json()["audio_muted"] is True
    roster_to, roster = events.of_type("meeting.roster")[0]
    assert roster_to == sorted([clerk.pk, section_head.pk])
    me = next(p for p in roster.participants if p.peer == mine.peer)
    assert (me.audio_muted, me.hand_raised, me.video_muted) == (True, True, False)
    assert response.json() == me.model_dump(mode="json")  # one participant schema: API answer = roster entry
    # Someone else's peer is not theirs to mute.
    other = Participant.objects.get(staff=clerk)
    refused = api_as(section_head).patch(
        f"/api/v1/meetings/{meeting.pk}/participants/{other.peer}",
        {"audio_muted": True},
        content_type="application/json",
    )
    assert refused.status_code == 404
    other.refresh_from_db()
    assert other.audio_muted is False


def test_meeting_chat_goes_to_the_room_only(api_as, clerk, section_head, other_clerk):
    meeting = room(clerk, section_head, other_clerk)
    mine = enter(meeting, clerk)
    enter(meeting, section_head)
    with capture_events() as events:
        response = post(
            api_as(clerk),
            f"/api/v1/meetings/{meeting.pk}/chat",
            {"peer": mine.peer, "body": "資料を共有します"},
        )
    assert response.status_code == 201
    to, event = events.of_type("meeting.chat")[0]
    assert to == sorted([clerk.pk, section_head.pk])  # other_clerk is invited but not in the room
    assert event.line.body == "資料を共有します"
    assert event.line.name == "佐藤 花子"
    empty = post(api_as(clerk), f"/api/v1/meetings/{meeting.pk}/chat", {"peer": mine.peer, "body": "  "})
    assert empty.status_code == 400
    assert "body" in empty.json()["detail"]


def test_attendance_for_the_organiser_only(api_as, clerk, section_head):
    meeting = room(clerk, section_head)
    t0 = timezone.now() - dt.timedelta(minutes=30)
    p = enter(meeting, section_head)
    Participant.objects.filter(pk=p.pk).update(joined_at=t0, left_at=t0 + dt.timedelta(minutes=20))
    enter(meeting, clerk)
    data = api_as(clerk).get(f"/api/v1/meetings/{meeting.pk}/attendance").json()
    assert data["more"] is False
    assert [(r["name"], r["seconds"], r["left_at"] is None) for r in data["results"]] == [
        ("髙橋 一郎", 1200, False),
        ("佐藤 花子", 0, True),
    ]
    assert api_as(section_head).get(f"/api/v1/meetings/{meeting.pk}/attendance").status_code == 404
    page = api_as(clerk).get(f"/meet/{meeting.pk}/attendance")
    assert page.status_code == 200
    assert "20分" in page.content.decode()
    assert "令和" in page.content.decode()
    assert api_as(section_head).get(f"/meet/{meeting.pk}/attendance").status_code == 404


def test_usage_counts_meetings_held_in_a_period(clerk, section_head, other_clerk):
    start = timezone.now() - dt.timedelta(hours=1)
    a, b, never = room(clerk, section_head), room(section_head, clerk), room(other_clerk)
    for person in (clerk, section_head):
        p = enter(a, person)
        Participant.objects.filter(pk=p.pk).update(last_seen_at=p.joined_at + dt.timedelta(minutes=10))
    enter(b, clerk)
    usage = queries.usage(start, timezone.now() + dt.timedelta(minutes=1))
    assert usage.meetings == 2
    assert usage.entries == 3
    assert usage.people == 2
    assert usage.guests == 0
    assert usage.minutes == 20
    assert queries.live_counts([a.pk, b.pk, never.pk])[never.pk] == 0
