"""GET /api/v1/realtime/events?after=ID: the catch-up and polling endpoint."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from kiban.realtime import publish
from kiban.realtime.events import ConversationRead
from kiban.realtime.jobs import EVENT_RETENTION, prune_events
from kiban.realtime.models import Event
from kiban.realtime.queries import CATCH_UP_LIMIT
from kiban.realtime.testing import capture_events
from kiban.realtime.tests.probe import Probe


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def publish_some(people) -> None:
    ann, ben = people["ann"], people["ben"]
    with capture_events():
        publish([ann.pk, ben.pk], ConversationRead(conversation=1, seq=1))  # id 1
        publish([ben.pk], ConversationRead(conversation=2, seq=5))  # id 2
        publish([ann.pk], Probe(notification={"id": 9}))  # id 3


def test_a_person_gets_only_their_own_events_after_the_id(people):
    publish_some(people)
    first = Event.objects.order_by("id").first().id
    answer = client_for(people["ann"]).get("/api/v1/realtime/events", {"after": first - 1}).json()
    assert answer == {
        "events": [
            {"id": first, "type": "conversation.read", "conversation": 1, "seq": 1},
            {"id": first + 2, "type": "test.probe", "notification": {"id": 9}},
        ],
        "last_id": first + 2,
        "truncated": False,
    }
    answer = client_for(people["ben"]).get("/api/v1/realtime/events", {"after": first}).json()
    assert answer == {
        "events": [{"id": first + 1, "type": "conversation.read", "conversation": 2, "seq": 5}],
        "last_id": first + 2,
        "truncated": False,
    }
    assert (
        client_for(people["cho"]).get("/api/v1/realtime/events", {"after": first - 1}).json()["events"] == []
    )


def test_without_after_a_client_learns_where_to_start(people):
    publish_some(people)
    last = Event.objects.order_by("id").last().id
    answer = client_for(people["ann"]).get("/api/v1/realtime/events").json()
    assert answer == {"events": [], "last_id": last, "truncated": False}
    answer = client_for(people["ann"]).get("/api/v1/realtime/events", {"after": last}).json()
    assert answer == {"events": [], "last_id": last, "truncated": False}


def test_a_client_too_far_behind_is_told_to_resync(people):
    ann = people["ann"]
    Event.objects.bulk_create(
        Event(recipients=[ann.pk], payload='{"type":"conversation.read","conversation":1,"seq":1}')
        for _ in range(CATCH_UP_LIMIT + 2)
    )
    first = Event.objects.order_by("id").first().id
    last = Event.objects.order_by("id").last().id
    answer = client_for(ann).get("/api/v1/realtime/events", {"after": first}).json()
    assert answer == {"events": [], "last_id": last, "truncated": True}
    answer = client_for(ann).get("/api/v1/realtime/events", {"after": first + 1}).json()
    assert answer["truncated"] is False
    assert len(answer["events"]) == CATCH_UP_LIMIT


def test_pruned_events_make_the_answer_truncated(people):
    publish_some(people)
    first = Event.objects.order_by("id").first().id
    Event.objects.filter(id__lt=first + 2).update(
        created_at=timezone.now() - EVENT_RETENTION - dt.timedelta(1)
    )
    assert prune_events() == 2
    answer = client_for(people["ann"]).get("/api/v1/realtime/events", {"after": first}).json()
    assert answer == {"events": [], "last_id": first + 2, "truncated": True}
    # The client that had seen event 2 lost nothing.
    answer = client_for(people["ann"]).get("/api/v1/realtime/events", {"after": first + 1}).json()
    assert answer["truncated"] is False
    assert [event["id"] for event in answer["events"]] == [first + 2]


def test_pruning_keeps_the_newest_event(people):
    publish_some(people)
    Event.objects.update(created_at=timezone.now() - EVENT_RETENTION - dt.timedelta(1))
    assert prune_events() == 2
    assert Event.objects.count() == 1


def test_an_id_from_elsewhere_is_truncated(people):
    publish_some(people)
    last = Event.objects.order_by("id").last().id
    answer = client_for(people["ann"]).get("/api/v1/realtime/events", {"after": last + 100}).json()
    assert answer == {"events": [], "last_id": last, "truncated": True}


def test_bad_after_is_a_400_naming_the_field(people):
    response = client_for(people["ann"]).get("/api/v1/realtime/events", {"after": "-1"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("after:")
    response = client_for(people["ann"]).get("/api/v1/realtime/events", {"after": "abc"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("after:")


def test_anonymous_gets_401(people):
    assert Client().get("/api/v1/realtime/events", {"after": 1}).status_code == 401


def test_bearer_token_reads_events(people):
    from kiban.accounts.actions import do_create_token

    publish_some(people)
    _row, token = do_create_token(people["ben"], "bot")
    answer = Client().get("/api/v1/realtime/events", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert answer["last_id"] == Event.objects.order_by("id").last().id


def test_pruning_is_a_repeating_job():
    from kiban.core.jobs import PERIODIC
    from kiban.realtime.jobs import prune_realtime_events

    assert PERIODIC[prune_realtime_events.module_path][1] == dt.timedelta(minutes=5)


def test_an_emptied_table_still_tells_where_ids_stand(people):
    publish_some(people)
    last = Event.objects.order_by("id").last().id
    Event.objects.all().delete()  # as after a flush: ids continue from the sequence
    ann = client_for(people["ann"])
    assert ann.get("/api/v1/realtime/events").json() == {"events": [], "last_id": last, "truncated": False}
    assert ann.get("/api/v1/realtime/events", {"after": last}).json() == {
        "events": [],
        "last_id": last,
        "truncated": False,
    }
    assert ann.get("/api/v1/realtime/events", {"after": last + 5}).json()["truncated"] is True
    with capture_events():
        publish([people["ann"].pk], ConversationRead(conversation=3, seq=1))
    answer = ann.get("/api/v1/realtime/events", {"after": last}).json()
    assert answer == {
        "events": [{"id": last + 1, "type": "conversation.read", "conversation": 3, "seq": 1}],
        "last_id": last + 1,
        "truncated": False,
    }


def test_polling_counts_as_presence_for_the_digest_without_a_write_per_poll(people):
    from kiban.realtime import presence
    from kiban.realtime.models import Seen

    presence._polled_at.clear()
    ann = client_for(people["ann"])
    assert presence.last_seen([people["ann"].pk]) == {people["ann"].pk: None}
    ann.get("/api/v1/realtime/events")
    seen = Seen.objects.get(user=people["ann"])
    assert seen.connections == 0
    assert not presence.is_connected(people["ann"].pk)  # present, but no socket
    Seen.objects.filter(pk=seen.pk).update(last_seen_at=seen.last_seen_at - dt.timedelta(hours=1))
    ann.get("/api/v1/realtime/events")  # within the minute: no write
    assert Seen.objects.get(user=people["ann"]).last_seen_at == seen.last_seen_at - dt.timedelta(hours=1)
