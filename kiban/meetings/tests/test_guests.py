"""Guests from outside: an expiring link made by the organiser, a lobby, admission, then the room."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from kiban.meetings.models import Guest, GuestInbox, GuestLink, Participant
from kiban.meetings.tests.conftest import post
from kiban.meetings.tests.helpers import enter, room
from kiban.realtime.testing import capture_events

pytestmark = pytest.mark.django_db

OFFER = {"description": {"type": "offer", "sdp": "v=0\r\n"}}


def _link(api_as, organizer, meeting, hours=24) -> str:
    response = post(api_as(organizer), f"/api/v1/meetings/{meeting.pk}/guest-links", {"hours": hours})
    assert response.status_code == 201, response.content
    return response.json()["url"].split("/meet/g/")[1]


def test_only_the_organiser_makes_guest_links_and_only_a_hash_is_kept(api_as, clerk, section_head):
    meeting = room(clerk, section_head)
    token = _link(api_as, clerk, meeting)
    link = GuestLink.objects.get()
    assert token not in link.token_hash
    assert (link.expires_at - timezone.now()).total_seconds() == pytest.approx(24 * 3600, abs=5)
    refused = post(api_as(section_head), f"/api/v1/meetings/{meeting.pk}/guest-links", {})
    assert refused.status_code == 403
    bad = post(api_as(clerk), f"/api/v1/meetings/{meeting.pk}/guest-links", {"hours": 0})
    assert bad.status_code == 400
    assert "hours" in bad.json()["detail"]
    assert GuestLink.objects.count() == 1


def test_guest_waits_in_the_lobby_until_admitted_then_enters_and_signals(api_as, clerk, section_head):
    meeting = room(clerk, section_head)
    host = enter(meeting, clerk)
    token = _link(api_as, clerk, meeting)
    guest = Client()
    assert guest.get(f"/meet/g/{token}").status_code == 200
    with capture_events() as events:
        knocked = guest.post(f"/meet/g/{token}", {"name": "山田 太郎", "organization": "隣市 情報政策課"})
    assert knocked.status_code == 302
    lobby_to, lobby = events.of_type("meeting.lobby")[0]
    assert lobby_to == [clerk.pk]  # the organiser (also the only one in the room)
    assert [(w.name, w.organization) for w in lobby.waiting] == [("山田 太郎", "隣市 情報政策課")]
    # Waiting: the room page is shown, but entering is refused until admitted.
    assert guest.get(f"/meet/g/{token}/status").json() == {"status": "waiting"}
    early = guest.post(f"/meet/g/{token}/join", "{}", content_type="application/json")
    assert early.status_code == 403
    assert Participant.objects.filter(guest__isnull=False).count() == 0
    # A member of staff who is not in the room cannot admit.
    waiting = Guest.objects.get()
    assert (
        post(
            api_as(section_head), f"/api/v1/meetings/{meeting.pk}/lobby/{waiting.pk}", {"admit": True}
        ).status_code
        == 403
    )
    admitted = post(api_as(clerk), f"/api/v1/meetings/{meeting.pk}/lobby/{waiting.pk}", {"admit": True})
    assert admitted.json() == {"id": waiting.pk, "status": "admitted"}
    again = post(api_as(clerk), f"/api/v1/meetings/{meeting.pk}/lobby/{waiting.pk}", {"admit": False})
    assert again.status_code == 409
    # Admitted: the guest enters as a peer and exchanges signals with staff.
    joined = guest.post(f"/meet/g/{token}/join", "{}", content_type="application/json")
    assert joined.status_code == 200, joined.content
    answer = joined.json()
    assert [p["name"] for p in answer["participants"]] == ["佐藤 花子", "山田 太郎"]
    assert answer["participants"][1]["guest"] is True
    me = answer["peer"]
    with capture_events() as events:
        sent = guest.post(
            f"/meet/g/{token}/signal",
            json.dumps({"sender": me, "target": host.peer, "data": OFFER}),
            content_type="application/json",
        )
    assert sent.status_code == 202
    assert events.of_type("meeting.signal")[0][0] == [clerk.pk]
    staff = post(
        api_as(clerk),
        f"/api/v1/meetings/{meeting.pk}/signal",
        {"sender": host.peer, "target": me, "data": OFFER},
    )
    assert staff.status_code == 204
    inbox = guest.get(f"/meet/g/{token}/inbox", {"peer": me, "after": answer["inbox_after"]}).json()["events"]
    # The roster announcing the guest's own entry comes first (the page reads from before it entered, so it
    # misses nothing others send once they see it).
    assert [e["type"] for e in inbox] == ["meeting.roster", "meeting.signal"]
    assert inbox[1]["sender"] == host.peer
    assert inbox[1]["data"] == OFFER


def test_expired_guest_link_is_refused(api_as, clerk):
    meeting = room(clerk)
    token = _link(api_as, clerk, meeting, hours=1)
    GuestLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    guest = Client()
    page = guest.get(f"/meet/g/{token}")
    assert page.status_code == 410
    assert "有効期限" in page.content.decode()
    assert guest.post(f"/meet/g/{token}", {"name": "山田"}).status_code == 410
    assert Guest.objects.count() == 0
    assert guest.get("/meet/g/not-a-token").status_code == 404


def test_guest_of_an_expired_link_cannot_join_any_more(api_as, clerk):
    meeting = room(clerk)
    enter(meeting, clerk)
    token = _link(api_as, clerk, meeting)
    guest = Client()
    guest.post(f"/meet/g/{token}", {"name": "山田"})
    Guest.objects.update(status="admitted")
    GuestLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = guest.post(f"/meet/g/{token}/join", "{}", content_type="application/json")
    assert response.status_code == 410
    assert Participant.objects.filter(guest__isnull=False).count() == 0


def test_knock_needs_a_name_and_writes_nothing_without_one(api_as, clerk):
    meeting = room(clerk)
    token = _link(api_as, clerk, meeting)
    response = Client().post(f"/meet/g/{token}", {"name": "  "})
    assert response.status_code == 400
    assert Guest.objects.count() == 0
    assert GuestInbox.objects.count() == 0
