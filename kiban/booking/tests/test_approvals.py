"""Approval of bookings as approvers and requesters live it: a reason with the decision, no decisions on
requests whose time has come, the other approvers' requests cleared, self-approval noted, and a pending
booking that never looks confirmed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from kiban.booking.actions import reserve
from kiban.booking.models import Booking, Resource
from kiban.booking.tests.factories import BookingFactory, ResourceFactory, next_weekday, tokyo
from kiban.core.models import AuditEntry
from kiban.core.wareki import wareki
from kiban.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_client_for():
    from django.test import Client

    def make(person) -> Client:
        client = Client()
        client.force_login(person)
        return client

    return make


@pytest.fixture
def hall(org_tree):
    """A hall of 人事課 that needs approval: the section's members (section head, clerk) approve."""
    return ResourceFactory(name="大会議室", policy=Resource.Policy.APPROVAL, department=org_tree["jinji"])


def _request(hall, person, day=None, hour=10) -> Booking:
    day = day or next_weekday()
    (booking,) = reserve(
        resource_ids=[hall.pk],
        ranges=[(tokyo(day, hour), tokyo(day, hour + 1))],
        booked_by=person,
        purpose="説明会",
    )
    assert booking.status == Booking.Status.PENDING
    return booking


def test_a_rejection_reason_is_stored_shown_to_the_requester_and_in_the_notification(
    client, hall, section_head, clerk, other_clerk
):
    booking = _request(hall, other_clerk)
    asked = Notification.objects.filter(title="大会議室の予約承認依頼").order_by("recipient_id")
    assert [(n.recipient_id, n.read_at) for n in asked] == [(section_head.pk, None), (clerk.pk, None)]
    client.force_login(section_head)
    page = client.get("/booking/approvals").content.decode()
    assert f'id="comment-{booking.pk}" type="text" name="comment"' in page

    client.post(
        f"/booking/bookings/{booking.pk}/decision",
        {"action": "reject", "comment": "定員超過のため第2会議室をご利用ください", "next": "approvals"},
    )

    booking.refresh_from_db()
    assert (booking.status, booking.decision_comment) == (
        "rejected",
        "定員超過のため第2会議室をご利用ください",
    )
    (told,) = Notification.objects.filter(recipient=other_clerk)
    day = timezone.localtime(booking.start).date()
    assert told.title == "大会議室の予約が却下されました"
    assert (
        told.body == f"{wareki(day, weekday=True)} 10:00\nコメント: 定員超過のため第2会議室をご利用ください"
    )
    # The decision is taken: nobody's bell asks for it any more.
    assert all(n.read_at is not None for n in asked.all())
    client.force_login(other_clerk)
    html = client.get(f"/booking/bookings/{booking.pk}").content.decode()
    assert "<dt>却下</dt>" in html
    assert "コメント: 定員超過のため第2会議室をご利用ください" in html
    assert "髙橋 一郎" in html


def test_an_approval_comment_goes_through_the_api(api_client_for, hall, section_head, other_clerk):
    booking = _request(hall, other_clerk)
    response = api_client_for(section_head).post(
        f"/api/v1/bookings/{booking.pk}/decision",
        {"action": "approve", "comment": "鍵は守衛室で"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["decision_comment"]) == ("confirmed", "鍵は守衛室で")
    entry = AuditEntry.objects.get(action="booking.approve")
    assert entry.detail == {"comment": "鍵は守衛室で", "self_approval": False}


def test_a_request_whose_time_has_come_is_not_offered_and_cannot_be_decided(
    client, api_client_for, hall, section_head, other_clerk
):
    now = timezone.now()
    past = BookingFactory(
        resource=hall, booked_by=other_clerk, status=Booking.Status.PENDING, purpose="朝の説明会",
        start=now - dt.timedelta(hours=1), end=now + dt.timedelta(hours=1),
    )  # fmt: skip
    future = _request(hall, other_clerk)
    client.force_login(section_head)
    page = client.get("/booking/approvals").content.decode()
    assert "朝の説明会" not in page and f'action="/booking/bookings/{future.pk}/decision"' in page
    detail = client.get(f"/booking/bookings/{past.pk}").content.decode()
    assert f'action="/booking/bookings/{past.pk}/decision"' not in detail

    response = api_client_for(section_head).post(
        f"/api/v1/bookings/{past.pk}/decision", {"action": "approve"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("start:")
    client.post(f"/booking/bookings/{past.pk}/decision", {"action": "approve"})
    past.refresh_from_db()
    assert (past.status, past.decided_by_id) == ("pending", None)
    assert not AuditEntry.objects.filter(action="booking.approve").exists()


def test_an_approvers_own_booking_is_noted_as_a_self_approval(client, hall, clerk):
    day = next_weekday()
    (booking,) = reserve(
        resource_ids=[hall.pk], ranges=[(tokyo(day, 13), tokyo(day, 14))], booked_by=clerk, purpose="研修"
    )
    assert (booking.status, booking.decided_by_id) == ("confirmed", clerk.pk)
    entry = AuditEntry.objects.get(action="booking.self_approve")
    assert (entry.actor_id, entry.target_id) == (clerk.pk, str(booking.pk))
    client.force_login(clerk)
    html = client.get(f"/booking/bookings/{booking.pk}").content.decode()
    assert "予約者本人による承認" in html


def test_a_pending_booking_looks_different_in_every_calendar_view(client, hall, org_tree, other_clerk):
    day = next_weekday()
    pending = _request(hall, other_clerk, day=day, hour=10)
    room = ResourceFactory(name="第7会議室")
    reserve(
        resource_ids=[room.pk],
        ranges=[(tokyo(day, 15), tokyo(day, 16))],
        booked_by=other_clerk,
        purpose="面談",
    )
    client.force_login(other_clerk)
    for view in ("day", "week", "month"):
        html = client.get("/calendar/", {"view": view, "date": day.isoformat()}).content.decode()
        blocks = re.findall(r'<a class="(ev [^"]*)" href="/booking/bookings/\d+"[^>]*>(.*?)</a>', html, re.S)
        kinds = {("is-pending" in css, "承認待ち" in inner) for css, inner in blocks}
        assert kinds == {(True, True), (False, False)}, (view, blocks)
    group = client.get(
        "/calendar/group/", {"department": org_tree["douro"].pk, "date": day.isoformat()}
    ).content.decode()
    assert re.search(r'<span class="ev cat-gray is-pending"><span class="ev-time">10:00–11:00</span>'
                     r'<span class="ev-title">大会議室（承認待ち）</span>', group)  # fmt: skip
    assert '<span class="ev-title">第7会議室</span>' in group
    grid = client.get("/booking/", {"date": day.isoformat()}).content.decode()
    assert re.search(rf'class="bk-busy [^"]*is-pending"[^>]*href="/booking/bookings/{pending.pk}"', grid)


def test_an_event_whose_room_waits_for_approval_looks_pending_in_the_calendar(
    client, hall, org_tree, other_clerk
):
    from kiban.calendar.actions import do_create_event

    day = next_weekday()
    do_create_event(
        other_clerk,
        {"title": "地元説明会", "start": tokyo(day, 10), "end": tokyo(day, 11), "resources": [hall.pk]},
        notify_attendees=False,
    )
    do_create_event(
        other_clerk,
        {"title": "係内打合せ", "start": tokyo(day, 14), "end": tokyo(day, 15)},
        notify_attendees=False,
    )
    assert Booking.objects.get(resource=hall).status == Booking.Status.PENDING
    client.force_login(other_clerk)
    for view in ("day", "week", "month"):
        html = client.get("/calendar/", {"view": view, "date": day.isoformat()}).content.decode()
        blocks = re.findall(
            r'<a class="(ev [^"]*)" href="/calendar/events/\d+/[^"]*"[^>]*>(.*?)</a>', html, re.S
        )
        shown = sorted(
            ("is-pending" in css, re.search(r'ev-title">([^<]+)<', inner).group(1)) for css, inner in blocks
        )
        assert shown == [(False, "係内打合せ"), (True, "地元説明会（承認待ち）")], view
    group = client.get(
        "/calendar/group/", {"department": org_tree["douro"].pk, "date": day.isoformat()}
    ).content.decode()
    assert re.search(r'class="ev cat-blue is-pending"[^>]*><span class="ev-time">10:00–11:00</span>'
                     r'<span class="ev-title">地元説明会（承認待ち）</span>', group)  # fmt: skip
