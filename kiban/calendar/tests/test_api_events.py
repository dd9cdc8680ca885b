"""The events API: create, expanded listing, detail, change with scopes, delete, replies, bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from kiban.calendar.models import Attendee, Event, EventException
from kiban.calendar.tests.factories import make_event, tokyo
from kiban.core.models import OutgoingEmail

pytestmark = pytest.mark.django_db


def _create(client, **data):
    body = {
        "title": "課内会議",
        "start": "2026-12-01T10:00:00+09:00",
        "end": "2026-12-01T11:00:00+09:00",
        **data,
    }
    return client.post("/api/v1/events", body, content_type="application/json")


def _list(client, start="2026-12-01", end="2026-12-31", **params):
    response = client.get("/api/v1/events", {"start": start, "end": end, **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_created_event_is_returned_in_the_contract_shape(api_as, clerk, section_head):
    response = _create(api_as(clerk), attendees=[section_head.username], location="第1会議室")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["title"] == "課内会議"
    assert data["start"] == "2026-12-01T10:00:00+09:00"
    assert data["end"] == "2026-12-01T11:00:00+09:00"
    assert data["all_day"] is False
    assert data["rrule"] is None
    assert data["exdates"] == []
    assert data["visibility"] == "public"
    assert data["organizer"] == clerk.username
    assert data["attendees"] == [{"username": section_head.username, "status": "needs-action"}]
    assert data["resources"] == []
    event = Event.objects.get(pk=data["id"])
    assert event.start == dt.datetime(2026, 12, 1, 1, tzinfo=dt.UTC)


def test_time_without_offset_is_tokyo_time(api_as, clerk):
    data = _create(api_as(clerk), start="2026-12-01T09:00", end="2026-12-01T09:30").json()
    assert Event.objects.get(pk=data["id"]).start == dt.datetime(2026, 12, 1, 0, tzinfo=dt.UTC)


def test_all_day_event_ends_at_midnight_after_its_last_day(api_as, clerk):
    # The end is exclusive, as in iCalendar: a date end is the day after the last day.
    data = _create(api_as(clerk), all_day=True, start="2026-12-01", end="2026-12-03").json()
    assert data["start"] == "2026-12-01T00:00:00+09:00"
    assert data["end"] == "2026-12-03T00:00:00+09:00"
    single = _create(api_as(clerk), all_day=True, start="2026-12-05", end="2026-12-05").json()
    assert single["end"] == "2026-12-06T00:00:00+09:00"


def test_weekly_series_is_expanded_in_the_listing(api_as, clerk):
    client = api_as(clerk)
    created = _create(client, title="朝礼", rrule="FREQ=WEEKLY;BYDAY=TU;COUNT=3").json()
    listed = [o for o in _list(client) if o["id"] == created["id"]]
    assert [o["occurrence_start"] for o in listed] == [
        "2026-12-01T10:00:00+09:00",
        "2026-12-08T10:00:00+09:00",
        "2026-12-15T10:00:00+09:00",
    ]
    assert [o["start"] for o in listed] == [o["occurrence_start"] for o in listed]
    assert all(o["rrule"] == "FREQ=WEEKLY;BYDAY=TU;COUNT=3" for o in listed)


def test_invited_event_is_listed_for_the_attendee(api_as, clerk, section_head):
    created = _create(api_as(clerk), attendees=[section_head.username]).json()
    assert [o["id"] for o in _list(api_as(section_head))] == [created["id"]]


def test_private_event_of_someone_else_shows_only_busy(api_as, clerk, other_clerk):
    created = _create(api_as(clerk), title="通院", location="市民病院", visibility="private").json()
    listed = _list(api_as(other_clerk), user=clerk.username)
    assert listed == [
        {
            "id": created["id"],
            "start": "2026-12-01T10:00:00+09:00",
            "end": "2026-12-01T11:00:00+09:00",
            "all_day": False,
            "visibility": "private",
            "title": "予定あり",
        }
    ]
    detail = api_as(other_clerk).get(f"/api/v1/events/{created['id']}")
    assert detail.status_code == 200
    assert detail.json() == listed[0]


def test_private_event_is_shown_in_full_to_its_attendee(api_as, clerk, section_head):
    created = _create(
        api_as(clerk), title="人事面談", visibility="private", attendees=[section_head.username]
    ).json()
    listed = _list(api_as(section_head), user=clerk.username)
    assert listed[0]["title"] == "人事面談"
    assert api_as(section_head).get(f"/api/v1/events/{created['id']}").json()["title"] == "人事面談"


def test_only_the_organizer_may_change_or_delete(api_as, clerk, section_head, other_clerk):
    created = _create(api_as(clerk), attendees=[section_head.username]).json()
    for person in (section_head, other_clerk):
        client = api_as(person)
        patch = client.patch(
            f"/api/v1/events/{created['id']}", {"title": "x"}, content_type="application/json"
        )
        assert patch.status_code == 404
        assert client.delete(f"/api/v1/events/{created['id']}").status_code == 404
    assert Event.objects.get(pk=created["id"]).title == "課内会議"


def test_patch_moves_a_single_event_and_keeps_its_length(api_as, clerk):
    client = api_as(clerk)
    created = _create(client).json()
    response = client.patch(
        f"/api/v1/events/{created['id']}",
        {"start": "2026-12-02T14:00:00+09:00"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["start"] == "2026-12-02T14:00:00+09:00"
    assert response.json()["end"] == "2026-12-02T15:00:00+09:00"
    assert response.json()["sequence"] == 1


def _series(client):
    return _create(client, title="係会議", rrule="FREQ=WEEKLY;BYDAY=TU;COUNT=4").json()


def test_change_this_occurrence_only(api_as, clerk):
    client = api_as(clerk)
    series = _series(client)
    response = client.patch(
        f"/api/v1/events/{series['id']}?scope=this&occurrence=2026-12-08T10:00:00%2B09:00",
        {"title": "係会議(拡大)", "start": "2026-12-09T13:00:00+09:00", "end": "2026-12-09T14:00:00+09:00"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    listed = [(o["title"], o["start"], o["occurrence_start"]) for o in _list(client)]
    assert listed == [
        ("係会議", "2026-12-01T10:00:00+09:00", "2026-12-01T10:00:00+09:00"),
        ("係会議(拡大)", "2026-12-09T13:00:00+09:00", "2026-12-08T10:00:00+09:00"),
        ("係会議", "2026-12-15T10:00:00+09:00", "2026-12-15T10:00:00+09:00"),
        ("係会議", "2026-12-22T10:00:00+09:00", "2026-12-22T10:00:00+09:00"),
    ]


def test_change_this_and_following_splits_the_series(api_as, clerk):
    client = api_as(clerk)
    series = _series(client)
    response = client.patch(
        f"/api/v1/events/{series['id']}?scope=following&occurrence=2026-12-15T10:00:00%2B09:00",
        {"title": "係会議(新)", "start": "2026-12-15T15:00:00+09:00", "end": "2026-12-15T16:00:00+09:00"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    new_id = response.json()["id"]
    assert new_id != series["id"]
    listed = [(o["id"], o["title"], o["start"]) for o in _list(client)]
    assert listed == [
        (series["id"], "係会議", "2026-12-01T10:00:00+09:00"),
        (series["id"], "係会議", "2026-12-08T10:00:00+09:00"),
        (new_id, "係会議(新)", "2026-12-15T15:00:00+09:00"),
        (new_id, "係会議(新)", "2026-12-22T15:00:00+09:00"),
    ]
    assert response.json()["rrule"] == "FREQ=WEEKLY;BYDAY=TU;COUNT=2"
    assert Event.objects.get(pk=series["id"]).rrule == "FREQ=WEEKLY;BYDAY=TU;UNTIL=20261215T005959Z"


def test_change_all_moves_every_occurrence(api_as, clerk):
    client = api_as(clerk)
    series = _series(client)
    response = client.patch(
        f"/api/v1/events/{series['id']}?scope=all&occurrence=2026-12-15T10:00:00%2B09:00",
        {"start": "2026-12-15T09:00:00+09:00", "end": "2026-12-15T09:30:00+09:00"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert [o["start"][11:16] + "-" + o["end"][11:16] for o in _list(client)] == ["09:00-09:30"] * 4


def test_delete_one_occurrence_then_following_then_all(api_as, clerk):
    client = api_as(clerk)
    series = _series(client)
    url = f"/api/v1/events/{series['id']}"
    assert client.delete(f"{url}?scope=this&occurrence=2026-12-08T10:00:00%2B09:00").status_code == 204
    assert [o["start"][:10] for o in _list(client)] == ["2026-12-01", "2026-12-15", "2026-12-22"]
    assert client.delete(f"{url}?scope=following&occurrence=2026-12-22T10:00:00%2B09:00").status_code == 204
    assert [o["start"][:10] for o in _list(client)] == ["2026-12-01", "2026-12-15"]
    assert client.delete(f"{url}?scope=all").status_code == 204
    assert _list(client) == []
    assert not Event.objects.filter(pk=series["id"]).exists()


def test_reply_is_seen_by_the_organizer(api_as, clerk, section_head):
    created = _create(api_as(clerk), attendees=[section_head.username]).json()
    response = api_as(section_head).post(
        f"/api/v1/events/{created['id']}/reply", {"status": "accepted"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    detail = api_as(clerk).get(f"/api/v1/events/{created['id']}").json()
    assert detail["attendees"] == [{"username": section_head.username, "status": "accepted"}]


def test_reply_by_someone_not_invited_is_404(api_as, clerk, other_clerk):
    created = _create(api_as(clerk)).json()
    response = api_as(other_clerk).post(
        f"/api/v1/events/{created['id']}/reply", {"status": "accepted"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_reply_with_a_bad_status_names_the_field(api_as, clerk, section_head):
    created = _create(api_as(clerk), attendees=[section_head.username]).json()
    response = api_as(section_head).post(
        f"/api/v1/events/{created['id']}/reply", {"status": "maybe"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("status:")
    assert Attendee.objects.get(event_id=created["id"]).status == "needs-action"


BAD_CREATE = [
    ({"title": ""}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"start": "tomorrow"}, "start"),
    ({"end": "2026-12-01T09:00:00+09:00"}, "end"),
    ({"rrule": "FREQ=SOMETIMES"}, "rrule"),
    ({"rrule": "FREQ=DAILY;COUNT=2;UNTIL=20261231T000000Z"}, "rrule"),
    ({"attendees": ["999999"]}, "attendees"),
    ({"visibility": "secret"}, "visibility"),
    ({"color": "pink"}, "color"),
    ({"exdates": ["not a date"]}, "exdates"),
    ({"reminders": [-5]}, "reminders"),
    ({"all_day": "maybe"}, "all_day"),
    ({"resources": [999999]}, "resource"),
]


@pytest.mark.parametrize(("change", "field"), BAD_CREATE, ids=[f for _c, f in BAD_CREATE])
def test_bad_input_is_400_naming_the_field_and_writes_nothing(api_as, clerk, section_head, change, field):
    response = _create(api_as(clerk), **{"attendees": [section_head.username], **change})
    assert response.status_code == 400, response.content
    assert response.json()["detail"].split(":")[0].split(".")[0] == field
    assert Event.objects.count() == 0
    assert Attendee.objects.count() == 0
    assert OutgoingEmail.objects.count() == 0


def test_bad_scope_or_occurrence_is_400_and_changes_nothing(api_as, clerk):
    client = api_as(clerk)
    series = _series(client)
    url = f"/api/v1/events/{series['id']}"
    bad = client.patch(f"{url}?scope=some", {"title": "x"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["detail"].startswith("scope:")
    wrong_day = client.patch(
        f"{url}?scope=this&occurrence=2026-12-09T10:00:00%2B09:00",
        {"title": "x"},
        content_type="application/json",
    )
    assert wrong_day.status_code == 400 and wrong_day.json()["detail"].startswith("occurrence:")
    missing = client.delete(f"{url}?scope=this")
    assert missing.status_code == 400 and missing.json()["detail"].startswith("occurrence:")
    assert Event.objects.get(pk=series["id"]).title == "係会議"
    assert Event.objects.get(pk=series["id"]).exdates == []
    assert EventException.objects.count() == 0


def test_window_must_be_valid(api_as, clerk):
    client = api_as(clerk)
    assert (
        client.get("/api/v1/events", {"start": "2026-12-02", "end": "2026-12-01"})
        .json()["detail"]
        .startswith("end:")
    )
    assert client.get("/api/v1/events", {"start": "x", "end": "2026-12-01"}).status_code == 400
    assert (
        client.get(
            "/api/v1/events", {"start": "2026-12-01", "end": "2026-12-02", "user": "nobody"}
        ).status_code
        == 400
    )


def test_listing_costs_a_fixed_number_of_queries(api_as, clerk, section_head, django_assert_max_num_queries):
    for day in range(1, 20):
        make_event(clerk, tokyo(2026, 12, day, 9), attendees=[section_head])
    make_event(clerk, tokyo(2026, 11, 2, 9), rrule="FREQ=DAILY")
    client = api_as(clerk)
    _list(client, start="2020-01-01", end="2020-01-02")  # sign-in bookkeeping of the first request
    with django_assert_max_num_queries(10):
        assert len(_list(client)) == 19 + 30
