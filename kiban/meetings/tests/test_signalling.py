"""Signals pass only between two present peers of one room, the sender's own; over the socket (client →
server messages, kiban/realtime/inbound.py) and by POST."""

from __future__ import annotations

import json

import pytest

from kiban.meetings.models import Participant
from kiban.meetings.tests.conftest import post
from kiban.meetings.tests.helpers import enter, room
from kiban.realtime.models import Event
from kiban.realtime.routing import websocket_application
from kiban.realtime.testing import capture_events
from kiban.realtime.tests.test_socket import ORIGIN, WebsocketCommunicator, run, session_cookie

pytestmark = pytest.mark.django_db

OFFER = {"description": {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}}
CANDIDATE = {
    "candidate": {
        "candidate": "candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
    }
}


def _three(clerk, section_head, other_clerk):
    meeting = room(clerk, section_head, other_clerk)
    return meeting, enter(meeting, clerk), enter(meeting, section_head), enter(meeting, other_clerk)


def test_signal_by_post_reaches_the_target_peer_only(api_as, clerk, section_head, other_clerk):
    meeting, a, b, _c = _three(clerk, section_head, other_clerk)
    with capture_events() as events:
        response = post(
            api_as(clerk),
            f"/api/v1/meetings/{meeting.pk}/signal",
            {"sender": a.peer, "target": b.peer, "data": OFFER},
        )
    assert response.status_code == 204, response.content
    assert len(events) == 1
    to, event = events[0]
    assert to == [section_head.pk]
    assert (event.type, event.sender, event.target, event.meeting) == (
        "meeting.signal",
        a.peer,
        b.peer,
        meeting.pk,
    )
    assert event.data == OFFER


@pytest.mark.parametrize("case", ["not_my_peer", "target_left", "other_room", "to_myself", "outsider"])
def test_refused_signals_are_404_and_send_nothing(api_as, clerk, section_head, other_clerk, case):
    meeting, a, b, c = _three(clerk, section_head, other_clerk)
    sender, target, who, meeting_id = a.peer, b.peer, clerk, meeting.pk
    if case == "not_my_peer":
        sender = c.peer
    elif case == "target_left":
        Participant.objects.filter(pk=b.pk).update(left_at=b.joined_at)
    elif case == "other_room":
        meeting_id = room(clerk).pk
    elif case == "to_myself":
        target = a.peer
    elif case == "outsider":
        from kiban.accounts.tests.factories import StaffFactory

        who = StaffFactory()
    with capture_events() as events:
        response = post(
            api_as(who),
            f"/api/v1/meetings/{meeting_id}/signal",
            {"sender": sender, "target": target, "data": OFFER},
        )
    assert response.status_code == 404
    assert events == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "data"),
        ({"description": {"type": "hello", "sdp": ""}}, "data.description.type"),
        ({"description": {"type": "offer", "sdp": "x" * 60_000}}, "data.description.sdp"),
        ({**OFFER, **CANDIDATE}, "data"),
        ({"candidate": {"candidate": "x", "extra": 1}}, "data.candidate.extra"),
        ({**CANDIDATE, "session": "<script>"}, "data.session"),
    ],
)
def test_malformed_signals_are_400_naming_the_field(api_as, clerk, section_head, other_clerk, data, field):
    meeting, a, b, _c = _three(clerk, section_head, other_clerk)
    with capture_events() as events:
        response = post(
            api_as(clerk),
            f"/api/v1/meetings/{meeting.pk}/signal",
            {"sender": a.peer, "target": b.peer, "data": data},
        )
    assert response.status_code == 400
    assert response.json()["detail"].startswith(field)
    assert events == []


@pytest.mark.django_db(transaction=True)
def test_signals_over_the_socket_are_relayed_live_and_refused_ones_answered(clerk, section_head, other_clerk):
    meeting, a, b, c = _three(clerk, section_head, other_clerk)
    cookie_a = session_cookie(clerk)
    cookie_b = session_cookie(section_head)
    cookie_c = session_cookie(other_clerk)

    def socket(cookie):
        return WebsocketCommunicator(
            websocket_application, "/ws", [ORIGIN, (b"cookie", f"sessionid={cookie}".encode())]
        )

    async def body():
        ann, ben, cho = socket(cookie_a), socket(cookie_b), socket(cookie_c)
        for s in (ann, ben, cho):
            assert (await s.connect())[0]
            assert (await s.receive_json_from())["type"] == "hello"
        frame = {
            "type": "meeting.signal",
            "meeting": meeting.pk,
            "sender": a.peer,
            "target": b.peer,
            "data": CANDIDATE,
            "ref": 7,
        }
        await ann.send_json_to(frame)
        assert await ann.receive_json_from() == {"type": "reply", "ref": 7, "ok": True}
        got = await ben.receive_json_from()
        assert {k: got[k] for k in ("type", "meeting", "sender", "target", "data")} == {
            "type": "meeting.signal",
            "meeting": meeting.pk,
            "sender": a.peer,
            "target": b.peer,
            "data": CANDIDATE,
        }
        # Pretending to be another peer: refused, and nobody receives anything.
        await cho.send_json_to({**frame, "sender": a.peer, "ref": "x"})
        refused = await cho.receive_json_from()
        assert (refused["ok"], refused["status"], refused["ref"]) == (False, 404, "x")
        await cho.send_json_to(
            {
                "type": "meeting.signal",
                "meeting": meeting.pk,
                "sender": c.peer,
                "target": b.peer,
                "data": {"bogus": 1},
            }
        )
        bad = await cho.receive_json_from()
        assert (bad["ok"], bad["status"]) == (False, 400)
        assert bad["detail"].startswith("data")
        await cho.send_json_to({"type": "nobody.knows"})
        assert (await cho.receive_json_from())["status"] == 400
        big = {**frame, "data": {"description": {"type": "offer", "sdp": "x" * 70_000}}}
        await ann.send_json_to(big)
        assert (await ann.receive_json_from())["status"] == 413
        # A ping is still a ping.
        await ben.send_json_to({"type": "ping"})
        assert (await ben.receive_json_from())["type"] == "pong"
        for s in (ann, ben, cho):
            assert await s.receive_nothing(0.3)
            await s.disconnect()

    run(body)
    signals = [json.loads(p)["type"] for p in Event.objects.values_list("payload", flat=True)]
    assert signals.count("meeting.signal") == 1
