"""publish(): after commit only, recorded by capture_events, stored once per event."""

from __future__ import annotations

import pytest
from django.db import transaction

from kiban.chat.events import ConversationRead
from kiban.realtime import publish
from kiban.realtime.models import Event
from kiban.realtime.testing import capture_events
from kiban.realtime.tests.probe import Probe


def test_publish_is_recorded_after_the_test_transaction_would_commit(people):
    ann, ben = people["ann"], people["ben"]
    with capture_events() as events:
        publish([ben.pk, ann.pk, ann.pk], ConversationRead(conversation=7, seq=3))
    assert events == [([ann.pk, ben.pk], ConversationRead(conversation=7, seq=3))]
    assert events.types() == ["conversation.read"]


def test_publish_in_a_rolled_back_transaction_sends_nothing(people):
    ann = people["ann"]
    with capture_events() as events:
        with pytest.raises(RuntimeError), transaction.atomic():
            publish([ann.pk], ConversationRead(conversation=7, seq=3))
            raise RuntimeError("the action failed")
        publish([ann.pk], ConversationRead(conversation=7, seq=4))
    assert [event.seq for _ids, event in events] == [4]
    assert list(Event.objects.values_list("payload", flat=True)) == [
        '{"type":"conversation.read","conversation":7,"seq":4}'
    ]


@pytest.mark.django_db(transaction=True)
def test_publish_with_real_commits_stores_one_row_per_event(people):
    ann, ben, cho = people["ann"], people["ben"], people["cho"]
    with capture_events() as events:
        with transaction.atomic():
            publish([ann.pk, ben.pk, cho.pk], Probe(notification={"id": 1}))
            assert events == []  # not before the commit
        with pytest.raises(ValueError), transaction.atomic():
            publish([ann.pk], Probe(notification={"id": 2}))
            raise ValueError
    assert events.types() == ["test.probe"]
    rows = list(Event.objects.values_list("recipients", "payload"))
    assert rows == [
        (
            [ann.pk, ben.pk, cho.pk],
            '{"type":"test.probe","notification":{"id":1}}',
        )
    ]


def test_capture_and_django_capture_on_commit_callbacks_deliver_once(
    people, django_capture_on_commit_callbacks
):
    ann = people["ann"]
    with capture_events() as events, django_capture_on_commit_callbacks(execute=True):
        publish([ann.pk], ConversationRead(conversation=1, seq=1))
    assert len(events) == 1
    assert Event.objects.count() == 1


def test_publish_refuses_something_that_is_not_an_event(people):
    with pytest.raises(TypeError):
        publish([people["ann"].pk], {"type": "message.created"})


def test_events_refuse_unknown_fields():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        ConversationRead(conversation=1, seq=1, sequence=2)


def test_publish_to_nobody_sends_nothing(people):
    with capture_events() as events:
        publish([], ConversationRead(conversation=1, seq=1))
    assert events == []
    assert Event.objects.count() == 0
