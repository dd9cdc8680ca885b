"""Presence: derived from the calendar and the clock, overridden by hand until the return time, private
events kept private, who may set whose status, the API's answers and refusals, and who hears of a change."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from kiban.calendar.models import Attendee, Event
from kiban.calendar.tests.factories import make_event
from kiban.core.models import AuditEntry
from kiban.presence import actions
from kiban.presence.models import Presence, Watch
from kiban.presence.queries import presence_of
from kiban.realtime.testing import capture_events

pytestmark = pytest.mark.django_db


def _now() -> dt.datetime:
    return timezone.now().replace(microsecond=0)


def _meeting(person, now, **values):
    return make_event(
        person, now - dt.timedelta(minutes=10), now + dt.timedelta(minutes=50),
        title=values.pop("title", "予算査定ヒアリング"), location=values.pop("location", "第3会議室"), **values,
    )  # fmt: skip


def test_meeting_gives_meeting_until_its_end_then_a_manual_status_wins_until_its_return_time(clerk, settings):
    settings.KIBAN_PRESENCE_GONE_HOUR = 23
    now = _now().replace(hour=3)  # 12:00 in Tokyo (UTC+9)
    event = _meeting(clerk, now)

    derived = presence_of([clerk], now)[clerk.pk]
    assert derived.model_dump(mode="json") == {
        "username": clerk.username, "status": "meeting", "destination": "第3会議室",
        "until": timezone.localtime(event.end).isoformat(), "note": "予算査定ヒアリング", "source": "calendar",
    }  # fmt: skip

    until = timezone.now() + dt.timedelta(minutes=30)
    actions.do_set_presence(
        clerk, clerk, status="out", destination="県民会館", until=until, note="直帰しません"
    )
    row = Presence.objects.get(user=clerk)
    manual = presence_of([clerk], timezone.now())[clerk.pk]
    assert (manual.status, manual.destination, manual.until, manual.source) == (
        "out",
        "県民会館",
        until,
        "manual",
    )
    # At the return time the manual status lapses: the calendar decides again.
    assert row.expires_at == until
    after = presence_of([clerk], until + dt.timedelta(seconds=1))[clerk.pk]
    assert after.source != "manual"


def test_manual_status_expires_at_its_return_time(clerk, settings):
    settings.KIBAN_PRESENCE_GONE_HOUR = 23
    start = timezone.now()
    event_start = start + dt.timedelta(minutes=20)
    make_event(clerk, event_start, event_start + dt.timedelta(hours=1), title="係内会議", location="執務室")
    until = start + dt.timedelta(minutes=40)
    actions.do_set_presence(clerk, clerk, status="remote", until=until)
    assert presence_of([clerk], until - dt.timedelta(seconds=1))[clerk.pk].status == "remote"
    lapsed = presence_of([clerk], until)[clerk.pk]
    assert (lapsed.status, lapsed.source, lapsed.note) == ("meeting", "calendar", "係内会議")


def test_a_manual_status_without_return_time_lasts_to_the_end_of_the_day(clerk):
    actions.do_set_presence(clerk, clerk, status="trip", destination="総務省")
    row = Presence.objects.get(user=clerk)
    local = timezone.localtime(row.expires_at)
    assert (local.hour, local.minute, local.date()) == (0, 0, timezone.localdate() + dt.timedelta(days=1))


def test_private_event_gives_meeting_without_title_or_place(clerk, section_head, api_as):
    now = timezone.now()
    _meeting(
        clerk, now, title="人事評価面談（○○さん）", location="応接室", visibility=Event.Visibility.PRIVATE
    )
    body = api_as(section_head).get(f"/api/v1/presence?users={clerk.username}").json()
    assert body == {"results": [{
        "username": clerk.username, "status": "meeting", "destination": "", "until": body["results"][0]["until"],
        "note": "", "source": "calendar",
    }], "more": False}  # fmt: skip
    assert "面談" not in json.dumps(body, ensure_ascii=False)


def test_unanswered_or_declined_invitation_does_not_make_busy_an_accepted_one_does(
    clerk, section_head, settings
):
    settings.KIBAN_PRESENCE_GONE_HOUR = 23
    now = _now().replace(hour=3)
    event = _meeting(section_head, now, attendees=[clerk])
    assert presence_of([clerk], now)[clerk.pk].status == "available"
    Attendee.objects.filter(event=event, staff=clerk).update(status=Attendee.Status.DECLINED)
    assert presence_of([clerk], now)[clerk.pk].status == "available"
    Attendee.objects.filter(event=event, staff=clerk).update(status=Attendee.Status.ACCEPTED)
    assert presence_of([clerk, section_head], now)[clerk.pk].status == "meeting"


def test_all_day_leave_event_gives_leave_and_a_trip_gives_trip(clerk, section_head, settings):
    settings.KIBAN_PRESENCE_GONE_HOUR = 23
    now = _now().replace(hour=3)
    day = timezone.localtime(now).replace(hour=0, minute=0, second=0)
    make_event(clerk, day, day + dt.timedelta(days=1), title="年次休暇", all_day=True,
               visibility=Event.Visibility.PRIVATE)  # fmt: skip
    make_event(section_head, now - dt.timedelta(hours=1), now + dt.timedelta(hours=3), title="出張（総務省）",
               location="東京")  # fmt: skip
    result = presence_of([clerk, section_head], now)
    assert (result[clerk.pk].status, result[clerk.pk].note, result[clerk.pk].until) == (
        "leave",
        "",
        day + dt.timedelta(days=1),
    )
    assert (result[section_head.pk].status, result[section_head.pk].destination) == ("trip", "東京")


def test_after_the_configured_hour_someone_without_activity_is_gone(clerk, section_head, settings):
    from kiban.realtime import presence as realtime_presence

    settings.KIBAN_PRESENCE_GONE_HOUR = 18
    evening = timezone.localtime().replace(hour=19, minute=0, second=0, microsecond=0)
    realtime_presence.arrived(section_head.pk)
    from kiban.realtime.models import Seen

    Seen.objects.filter(user=section_head).update(last_seen_at=evening - dt.timedelta(minutes=5))
    result = presence_of([clerk, section_head], evening)
    assert (result[clerk.pk].status, result[clerk.pk].source) == ("gone", "auto")
    assert result[section_head.pk].status == "available"  # a page was open five minutes ago
    noon = evening.replace(hour=12)
    assert presence_of([clerk], noon)[clerk.pk].status == "available"


def test_api_lists_a_department_in_directory_order_and_pages(clerk, section_head, org_tree, api_as):
    client = api_as(clerk)
    body = client.get(f"/api/v1/presence?department={org_tree['jinji'].pk}&limit=1").json()
    assert [p["username"] for p in body["results"]] == [section_head.username]
    assert body["more"] is True
    body = client.get(f"/api/v1/presence?department={org_tree['jinji'].pk}&limit=1&offset=1").json()
    assert ([p["username"] for p in body["results"]], body["more"]) == ([clerk.username], False)


def test_api_refuses_bad_queries_naming_the_field(clerk, api_as):
    client = api_as(clerk)
    for query, field in [
        ("", "users"),
        ("users=a&department=1", "users"),
        ("users=" + ",".join(str(i) for i in range(201)), "users"),
    ]:
        response = client.get(f"/api/v1/presence?{query}")
        assert response.status_code == 400, query
        assert response.json()["detail"].startswith(field), query
    assert client.get("/api/v1/presence?department=999999").status_code == 404
    assert client.get("/api/v1/presence?department=abc").status_code == 400


def test_put_sets_status_and_refuses_bad_input_without_writing(clerk, api_as):
    client = api_as(clerk)
    bad = [
        ({"status": "sleeping"}, "status"),
        ({"status": "out", "until": "2000-01-01T10:00:00+09:00"}, "until"),
        ({"status": "out", "until": "tomorrow"}, "until"),
        ({"status": "out", "destination": "x" * 101}, "destination"),
        ({"status": "out", "note": "x" * 201}, "note"),
        ({"destination": "県庁"}, "status"),
    ]
    for payload, field in bad:
        response = client.put("/api/v1/presence", payload, content_type="application/json")
        assert response.status_code == 400, payload
        assert field in response.json()["detail"], (payload, response.json())
    assert not Presence.objects.filter(user=clerk).exclude(status="").exists()
    response = client.put(
        "/api/v1/presence", {"status": "remote", "note": "自宅"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["note"], response.json()["source"]) == (
        "remote",
        "自宅",
        "manual",
    )


def test_only_a_section_administrator_sets_a_members_status_and_it_is_audited(
    clerk, section_head, other_clerk, api_as
):
    payload = {"status": "out", "destination": "県民会館", "username": clerk.username}
    assert (
        api_as(other_clerk).put("/api/v1/presence", payload, content_type="application/json").status_code
        == 404
    )
    assert not Presence.objects.filter(user=clerk).exists()
    assert not AuditEntry.objects.filter(action="presence.set_for").exists()
    # A clerk may not set the head's status either.
    head_payload = {"status": "out", "username": section_head.username}
    assert (
        api_as(clerk).put("/api/v1/presence", head_payload, content_type="application/json").status_code
        == 404
    )

    response = api_as(section_head).put("/api/v1/presence", payload, content_type="application/json")
    assert response.status_code == 200
    assert Presence.objects.get(user=clerk).set_by == section_head
    entry = AuditEntry.objects.get(action="presence.set_for")
    assert (entry.actor_id, entry.target_id, entry.detail["status"]) == (
        section_head.pk,
        str(clerk.pk),
        "out",
    )


def test_a_change_reaches_the_person_and_those_watching_only(
    clerk, section_head, other_clerk, it_admin, api_as
):
    api_as(section_head).get(f"/api/v1/presence?users={clerk.username}")
    assert Watch.objects.filter(watcher=section_head, user=clerk).exists()
    with capture_events() as events:
        actions.do_set_presence(clerk, clerk, status="out", destination="法務局")
    [(recipients, event)] = events.of_type("presence.changed")
    assert recipients == sorted([clerk.pk, section_head.pk])
    assert (event.presence.username, event.presence.status, event.presence.destination) == (
        clerk.username,
        "out",
        "法務局",
    )


def test_reading_again_soon_does_not_rewrite_the_watch(clerk, section_head):
    now = timezone.now()
    actions.do_watch(section_head, [clerk.pk], now)
    first = Watch.objects.get(watcher=section_head, user=clerk).expires_at
    actions.do_watch(section_head, [clerk.pk], now + dt.timedelta(minutes=2))
    assert Watch.objects.get(watcher=section_head, user=clerk).expires_at == first
    actions.do_watch(section_head, [clerk.pk], now + dt.timedelta(minutes=6))
    assert Watch.objects.get(watcher=section_head, user=clerk).expires_at == now + dt.timedelta(minutes=16)


def test_the_minute_job_announces_a_derived_change_once(clerk, section_head, settings):
    settings.KIBAN_PRESENCE_GONE_HOUR = 23
    now = _now().replace(hour=3)
    actions.do_watch(section_head, [clerk.pk], now)
    with capture_events() as events:
        assert actions.publish_changes(now) == 1  # first publication of the clerk's state
        assert actions.publish_changes(now) == 0
    _meeting(clerk, now + dt.timedelta(minutes=12))  # from two minutes on
    with capture_events() as events:
        assert actions.publish_changes(now + dt.timedelta(minutes=5)) == 1
        assert actions.publish_changes(now + dt.timedelta(minutes=6)) == 0
    [(recipients, event)] = events.of_type("presence.changed")
    assert recipients == sorted([clerk.pk, section_head.pk])
    assert event.presence.status == "meeting"
