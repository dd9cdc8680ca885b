"""One schema per event object: the API answers with `kiban.calendar.schemas`, documents it, and nothing else
shapes an event."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kiban.calendar import serializers
from kiban.calendar.models import Event
from kiban.calendar.schemas import EventOut, OccurrenceOut, PrivateEventOut, PrivateOccurrenceOut
from kiban.core.schemas import dump

pytestmark = pytest.mark.django_db

BODY = {
    "title": "課内会議",
    "start": "2026-12-01T10:00:00+09:00",
    "end": "2026-12-01T11:00:00+09:00",
    "rrule": "FREQ=WEEKLY;COUNT=3",
}


def test_api_event_is_the_schema_dump(api_as, clerk, section_head):
    created = api_as(clerk).post(
        "/api/v1/events", {**BODY, "attendees": [section_head.username]}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    event = Event.objects.get(pk=created.json()["id"])
    expected = dump(serializers.event_out(event, clerk, can_see=True))
    assert created.json() == expected
    assert api_as(section_head).get(f"/api/v1/events/{event.pk}").json() == expected
    assert set(expected) == set(EventOut.model_fields)


def test_listed_occurrences_are_the_occurrence_schema(api_as, clerk, other_clerk):
    api_as(clerk).post("/api/v1/events", BODY, content_type="application/json")
    api_as(clerk).post(
        "/api/v1/events", {**BODY, "title": "通院", "visibility": "private"}, content_type="application/json"
    )
    window = {"start": "2026-12-01", "end": "2026-12-31", "user": clerk.username}
    mine = api_as(clerk).get("/api/v1/events", window).json()
    assert len(mine) == 6
    assert all(set(o) == set(OccurrenceOut.model_fields) for o in mine)
    theirs = api_as(other_clerk).get("/api/v1/events", window).json()
    private = [o for o in theirs if o["visibility"] == "private"]
    assert len(private) == 3
    # Someone else's private occurrence: the time and 予定あり only, nothing from the event itself.
    assert all(set(o) == set(PrivateOccurrenceOut.model_fields) for o in private)
    assert {o["title"] for o in private} == {"予定あり"}


def test_someone_elses_private_event_is_the_private_schema(api_as, clerk, other_clerk):
    created = api_as(clerk).post(
        "/api/v1/events", {**BODY, "rrule": None, "visibility": "private"}, content_type="application/json"
    )
    seen = api_as(other_clerk).get(f"/api/v1/events/{created.json()['id']}").json()
    assert set(seen) == set(PrivateEventOut.model_fields)


def test_event_schema_refuses_a_field_it_does_not_declare():
    with pytest.raises(ValidationError, match="extra"):
        PrivateEventOut(
            id=1,
            start="2026-12-01T10:00+09:00",
            end="2026-12-01T11:00+09:00",
            all_day=False,
            visibility="private",
            title="予定あり",
            location="市民病院",
        )


def test_openapi_documents_the_event_fields(client):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert set(schemas["EventOut"]["properties"]) == set(EventOut.model_fields)
    assert "occurrence_start" in schemas["OccurrenceOut"]["properties"]
