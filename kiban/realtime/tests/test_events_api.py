"""GET /api/v1/realtime/events?after=ID: the catch-up and polling endpoint.

Real commits (transaction=True): on PostgreSQL the catch-up stops below the oldest transaction still open,
which includes a test's own transaction. Ids are not consecutive there (transaction id × spacing)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from kiban.chat.events import ConversationRead
from kiban.realtime import publish
from kiban.realtime.delivery import store
from kiban.realtime.jobs import EVENT_RETENTION, prune_events
from kiban.realtime.models import Event, EventRecipient
from kiban.realtime.queries import CATCH_UP_LIMIT
from kiban.realtime.testing import capture_events
from kiban.realtime.tests.probe import Probe

pytestmark = pytest.mark.django_db(transaction=True)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def settled_at(last_id: int, newest: int) -> bool:
    """The cursor a reader is given covers the newest event (SQLite: exactly it; PostgreSQL: at or past it,
    up to the next transaction id)."""
    return last_id == newest if connection.vendor == "sqlite" else last_id >= newest


def publish_some(people) -> list[int]:
    ann, ben = people["ann"], people["ben"]
    with capture_events():
        publish([ann.pk, ben.pk], ConversationRead(conversation=1, seq=1))
        publish([ben.pk], ConversationRead(conversation=2, seq=5))
        publish([ann.pk], Probe(notification={"id": 9}))
    return list(Event.objects.order_by("id").values_list("id", flat=True))


def test_a_person_gets_only_their_own_events_after_the_id(people):
    first, second, third = publish_some(people)
    answer = client_for(people["ann"]).get("/api/v1/realtime/events", {"after": first - 1}).json()
    assert answer["events"] == [
        {"id": first, "type": "conversation.read", "conversation": 1, "seq": 1},
        {"id": third, "type": "test.probe", "notification": {"id": 9}},
    ]
    assert answer["truncated"] is False and settled_at(answer["last_id"], third)
    answer = client_for(people["ben"]).get("/api/v1/realtime/events", {"after": first}).json()
    assert answer["events"] == [{"id": second, "type": "conversation.read", "conversation": 2, "seq": 5}]
    assert answer["truncated"] is False and settled_at(answer["last_id"], third)
    assert (
        client_for(people["cho"]).get("/api/v1/realtime/events", {"after": first - 1}).json()["events"] == []
    )


def test_without_after_a_client_learns_where_to_start(people):
    *_rest, last = publish_some(people)
    answer = client_for(people["ann"]).get("/api/v1/realtime/events").json()
    assert answer["events"] == [] and answer["truncated"] is False and settled_at(answer["last_id"], last)
    answer = client_for(people["ann"]).get("/api/v1/realtime/events", {"after": answer["last_id"]}).json()
    assert answer["events"] == [] and answer["truncated"] is False


def test_a_client_too_far_behind_is_told_to_resync(people):
    ann = people["ann"]
    for _ in range(CATCH_UP_LIMIT + 2):
        store([ann.pk], '{"type":"conversation.read","conversation":1,"seq":1}')
    ids = list(Event.objects.order_by("id").values_list("id", flat=True))
    answer = client_for(ann).get("/api/v1/realtime/events", {"after": ids[0] - 1}).json()
    assert answer["events"] == [] and answer["truncated"] is True and settled_at(answer["last_id"], ids[-1])
    answer = client_for(ann).get("/api/v1/realtime/events", {"after": ids[1]}).json()
    assert answer["truncated"] is False
    assert [event["id"] for event in answer["events"]] == ids[2:]


def test_pruned_events_make_the_answer_truncated(people):
    first, second, third = publish_some(people)
    Event.objects.filter(id__lte=second).update(created_at=timezone.now() - EVENT_RETENTION - dt.timedelta(1))
    assert prune_events() == 2
    answer = client_for(people["ann"]).get("/api/v1/realtime/events", {"after": first}).json()
    assert answer["events"] == [] and answer["truncated"] is True and settled_at(answer["last_id"], third)
    # The client that had seen the second event lost nothing.
    answer = client_for(people["ann"]).get("/api/v1/realtime/events", {"after": second}).json()
    assert answer["truncated"] is False
    assert [event["id"] for event in answer["events"]] == [third]


def test_pruning_forgets_events_with_their_recipient_rows_and_keeps_the_cursor(people):
    *_rest, last = publish_some(people)
    Event.objects.update(created_at=timezone.now() - EVENT_RETENTION - dt.timedelta(1))
    assert prune_events() == 3
    assert Event.objects.count() == 0
    assert EventRecipient.objects.count() == 0
    ann = client_for(people["ann"])
    # A client that had seen everything lost nothing; one behind the pruned ids must refetch.
    answer = ann.get("/api/v1/realtime/events", {"after": last}).json()
    assert answer["events"] == [] and answer["truncated"] is False and settled_at(answer["last_id"], last)
    assert ann.get("/api/v1/realtime/events", {"after": last - 1}).json()["truncated"] is True


def test_catch_up_returns_exactly_ones_own_events_after_thousands_of_others(people):
    ann, ben, cho = people["ann"], people["ben"], people["cho"]
    start = client_for(ann).get("/api/v1/realtime/events").json()["last_id"]
    mine = []
    for i in range(3000):
        if i % 1000 == 500:
            mine.append(store([ann.pk, cho.pk], f'{{"type":"conversation.read","conversation":1,"seq":{i}}}'))
        else:
            store([ben.pk, cho.pk], f'{{"type":"conversation.read","conversation":2,"seq":{i}}}')
    answer = client_for(ann).get("/api/v1/realtime/events", {"after": start}).json()
    assert answer["truncated"] is False
    assert [event["id"] for event in answer["events"]] == mine
    assert [event["seq"] for event in answer["events"]] == [500, 1500, 2500]
    assert settled_at(answer["last_id"], Event.objects.order_by("id").last().id)
    # Someone with thousands of their own events since is told to refetch instead.
    assert client_for(cho).get("/api/v1/realtime/events", {"after": start}).json()["truncated"] is True


def test_an_id_from_elsewhere_is_truncated(people):
    publish_some(people)
    answer = client_for(people["ann"]).get("/api/v1/realtime/events").json()
    far = answer["last_id"] + 10**12
    answer = client_for(people["ann"]).get("/api/v1/realtime/events", {"after": far}).json()
    assert answer["events"] == [] and answer["truncated"] is True and answer["last_id"] < far


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
    assert settled_at(answer["last_id"], Event.objects.order_by("id").last().id)


def test_pruning_is_a_repeating_job():
    from kiban.core.jobs import PERIODIC
    from kiban.realtime.jobs import prune_realtime_events

    assert PERIODIC[prune_realtime_events.module_path][1] == dt.timedelta(minutes=5)


def test_an_emptied_table_still_tells_where_ids_stand(people):
    *_rest, last = publish_some(people)
    Event.objects.all().delete()  # as after a flush: ids continue from where they were
    ann = client_for(people["ann"])
    answer = ann.get("/api/v1/realtime/events").json()
    assert answer["events"] == [] and answer["truncated"] is False and settled_at(answer["last_id"], last)
    cursor = answer["last_id"]
    assert ann.get("/api/v1/realtime/events", {"after": cursor}).json()["truncated"] is False
    with capture_events():
        publish([people["ann"].pk], ConversationRead(conversation=3, seq=1))
    newest = Event.objects.get().id
    assert newest > cursor
    answer = ann.get("/api/v1/realtime/events", {"after": cursor}).json()
    assert answer["events"] == [{"id": newest, "type": "conversation.read", "conversation": 3, "seq": 1}]


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
