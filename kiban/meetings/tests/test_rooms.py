"""Rooms from an event, from a chat conversation, and from the API; who may see and enter them."""

from __future__ import annotations

import pytest

from kiban.calendar.models import Event
from kiban.chat.models import Message
from kiban.chat.tests.factories import make_group
from kiban.core.models import AuditEntry
from kiban.meetings.models import Invitee, Meeting, Participant
from kiban.meetings.tests.conftest import post
from kiban.meetings.tests.helpers import enter, room
from kiban.notifications.models import Notification
from kiban.realtime.testing import capture_events

pytestmark = pytest.mark.django_db

EVENT = {"title": "課内会議", "start": "2026-12-01T10:00:00+09:00", "end": "2026-12-01T11:00:00+09:00"}


def test_event_created_online_gets_a_room_its_attendees_see_in_their_calendar(api_as, clerk, section_head):
    response = post(
        api_as(clerk),
        "/api/v1/events",
        {**EVENT, "attendees": [section_head.username], "online_meeting": True},
    )
    assert response.status_code == 201, response.content
    data = response.json()
    meeting = Meeting.objects.get(event_id=data["id"])
    assert data["meeting_url"] == f"/meet/{meeting.pk}"
    assert meeting.title == "課内会議"
    assert meeting.organizer == clerk
    assert meeting.provider == "builtin"
    # The attendee's own calendar lists it with the link at once.
    listed = api_as(section_head).get("/api/v1/events", {"start": "2026-12-01", "end": "2026-12-02"}).json()
    assert [e["meeting_url"] for e in listed] == [f"/meet/{meeting.pk}"]
    # The invitation notification links to the event, from which the join is one click.
    assert Notification.objects.filter(recipient=section_head, kind="calendar.invitation").count() == 1


def test_event_without_online_meeting_has_no_link_and_no_room(api_as, clerk):
    data = post(api_as(clerk), "/api/v1/events", EVENT).json()
    assert data["meeting_url"] is None
    assert Meeting.objects.count() == 0


def test_online_meeting_must_be_a_boolean(api_as, clerk):
    response = post(api_as(clerk), "/api/v1/events", {**EVENT, "online_meeting": "yes"})
    assert response.status_code == 400
    assert "online_meeting" in response.json()["detail"]
    assert Event.objects.count() == 0
    assert Meeting.objects.count() == 0


def test_patch_adds_a_room_to_an_existing_event_and_false_removes_the_link(api_as, clerk):
    client = api_as(clerk)
    event_id = post(client, "/api/v1/events", EVENT).json()["id"]
    added = client.patch(
        f"/api/v1/events/{event_id}", {"online_meeting": True}, content_type="application/json"
    )
    assert added.status_code == 200, added.content
    meeting = Meeting.objects.get(event_id=event_id)
    assert added.json()["meeting_url"] == meeting.url
    removed = client.patch(
        f"/api/v1/events/{event_id}", {"online_meeting": False}, content_type="application/json"
    )
    assert removed.json()["meeting_url"] is None


def test_event_form_checkbox_gives_the_event_a_room(client, clerk, section_head):
    client.force_login(clerk)
    response = client.post(
        "/calendar/events/new/",
        {
            "title": "係会議",
            "start_date": "2026-12-02",
            "start_time": "13:00",
            "end_date": "2026-12-02",
            "end_time": "14:00",
            "color": "blue",
            "visibility": "public",
            "repeat": "none",
            "attendees": section_head.username,
            "online_meeting": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get(title="係会議")
    meeting = Meeting.objects.get(event=event)
    assert event.meeting_url == meeting.url
    # The event page shows the join button to an attendee.
    client.force_login(section_head)
    page = client.get(f"/calendar/events/{event.pk}/").content.decode()
    assert f'href="/meet/{meeting.pk}"' in page
    assert "Web会議に参加" in page


def test_event_page_shows_the_room_as_running_while_people_are_in_it(client, clerk, section_head):
    meeting = _event_room(clerk, section_head)
    client.force_login(section_head)
    page = client.get(f"/calendar/events/{meeting.event_id}/").content.decode()
    assert "data-live hidden" in page
    enter(meeting, clerk)
    page = client.get(f"/calendar/events/{meeting.event_id}/").content.decode()
    assert "data-live hidden" not in page
    assert "<span data-live-count>1</span>" in page


def _event_room(organizer, *attendees) -> Meeting:
    from kiban.calendar.actions import do_create_event

    event = do_create_event(
        organizer, {**EVENT, "attendees": [p.username for p in attendees], "online_meeting": True}
    )
    return Meeting.objects.get(event=event)


def test_non_invitee_gets_404_on_the_page_and_the_api(api_as, clerk, section_head, other_clerk):
    meeting = _event_room(clerk, section_head)
    outsider = api_as(other_clerk)
    assert outsider.get(meeting.url).status_code == 404
    assert outsider.get(f"/api/v1/meetings/{meeting.pk}").status_code == 404
    response = post(outsider, f"/api/v1/meetings/{meeting.pk}/join")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert Participant.objects.count() == 0
    # The invitees may enter.
    assert api_as(section_head).get(meeting.url).status_code == 200
    assert api_as(clerk).get(meeting.url).status_code == 200


def test_removing_an_attendee_from_the_event_shuts_them_out_of_the_room(api_as, clerk, section_head):
    meeting = _event_room(clerk, section_head)
    client = api_as(clerk)
    client.patch(f"/api/v1/events/{meeting.event_id}", {"attendees": []}, content_type="application/json")
    assert api_as(section_head).get(meeting.url).status_code == 404


def test_meet_now_posts_the_room_in_the_conversation(client, clerk, section_head, other_clerk, settings):
    conv = make_group(clerk, section_head, name="人事課")
    client.force_login(clerk)
    with capture_events() as events:
        response = client.post(f"/meet/now/{conv.pk}")
    meeting = Meeting.objects.get(conversation=conv)
    assert response.status_code == 302
    assert response["Location"] == f"/meet/{meeting.pk}"
    message = Message.objects.get(conversation=conv)
    assert message.author == clerk
    assert f"{settings.BASE_URL}/meet/{meeting.pk}" in message.body
    assert f'href="{settings.BASE_URL}/meet/{meeting.pk}"' in message.html
    assert "message.created" in events.types()
    # Members join with one click; someone outside the conversation cannot.
    client.force_login(section_head)
    assert client.get(meeting.url).status_code == 200
    client.force_login(other_clerk)
    assert client.get(meeting.url).status_code == 404


def test_meet_now_in_someone_elses_conversation_is_404_and_writes_nothing(
    client, clerk, section_head, other_clerk
):
    conv = make_group(clerk, section_head)
    client.force_login(other_clerk)
    assert client.post(f"/meet/now/{conv.pk}").status_code == 404
    assert Meeting.objects.count() == 0
    assert Message.objects.count() == 0


def test_chat_page_has_the_meet_now_button(client, clerk, section_head):
    conv = make_group(clerk, section_head)
    client.force_login(clerk)
    page = client.get(f"/chat/c/{conv.pk}/").content.decode()
    assert f'action="/meet/now/{conv.pk}"' in page


def test_api_creates_a_standalone_room_for_named_invitees(api_as, clerk, section_head, other_clerk):
    response = post(
        api_as(clerk), "/api/v1/meetings", {"title": "打合せ", "invitees": [section_head.username]}
    )
    assert response.status_code == 201, response.content
    data = response.json()
    meeting = Meeting.objects.get()
    assert data["id"] == meeting.pk
    assert data["url"] == f"/meet/{meeting.pk}"
    assert list(Invitee.objects.values_list("staff__username", flat=True)) == [section_head.username]
    invitation = Notification.objects.get(recipient=section_head, kind="meetings.invitation")
    assert invitation.url == meeting.url
    assert api_as(section_head).get(f"/api/v1/meetings/{meeting.pk}").status_code == 200
    assert api_as(other_clerk).get(f"/api/v1/meetings/{meeting.pk}").status_code == 404
    assert AuditEntry.objects.filter(action="meetings.create").count() == 1


def test_api_room_for_a_conversation_and_an_event(api_as, clerk, section_head):
    conv = make_group(clerk, section_head)
    by_chat = post(api_as(section_head), "/api/v1/meetings", {"conversation": conv.pk})
    assert by_chat.status_code == 201, by_chat.content
    assert Meeting.objects.get(pk=by_chat.json()["id"]).conversation == conv
    event_id = post(api_as(clerk), "/api/v1/events", EVENT).json()["id"]
    by_event = post(api_as(clerk), "/api/v1/meetings", {"event": event_id})
    assert by_event.status_code == 201
    assert Event.objects.get(pk=event_id).meeting_url == by_event.json()["url"]
    # Asking again for the same event gives the same room.
    again = post(api_as(clerk), "/api/v1/meetings", {"event": event_id})
    assert again.json()["id"] == by_event.json()["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "会議", "invitees": ["999999"]}, "invitees"),
        ({"title": "会議", "provider": "zoom"}, "provider"),
        ({"title": "会議", "provider": "jitsi"}, "provider"),
        ({"title": 5}, "title"),
        ({"conversation": 1, "event": 1}, "event"),
    ],
)
def test_bad_input_names_the_field_and_creates_nothing(api_as, clerk, body, field):
    response = post(api_as(clerk), "/api/v1/meetings", body)
    assert response.status_code == 400, response.content
    assert field in response.json()["detail"]
    assert Meeting.objects.count() == 0


def test_someone_elses_conversation_or_event_is_404(api_as, clerk, section_head, other_clerk):
    conv = make_group(clerk, section_head)
    event_id = post(api_as(clerk), "/api/v1/events", EVENT).json()["id"]
    outsider = api_as(other_clerk)
    assert post(outsider, "/api/v1/meetings", {"conversation": conv.pk}).status_code == 404
    assert post(outsider, "/api/v1/meetings", {"event": event_id}).status_code == 404
    # An attendee who does not organise the event cannot attach a room to it either.
    assert Meeting.objects.count() == 0


def test_api_requires_sign_in():
    from django.test import Client

    assert Client().post("/api/v1/meetings", {}, content_type="application/json").status_code == 401
    assert Client().get("/meet/1").status_code == 302


def test_standalone_room(clerk, section_head):
    meeting = room(clerk, section_head)
    assert meeting.url == f"/meet/{meeting.pk}"


def test_calendar_export_carries_the_join_link(api_as, clerk, section_head, settings):
    meeting = _event_room(clerk, section_head)
    body = api_as(clerk).get("/api/v1/calendar.ics").content.decode()
    link = f"{settings.BASE_URL}/meet/{meeting.pk}"
    assert f'CONFERENCE;FEATURE="AUDIO,VIDEO,SCREEN";VALUE=URI:{link}' in body.replace("\r\n ", "")
    assert f"URL:{link}" in body
