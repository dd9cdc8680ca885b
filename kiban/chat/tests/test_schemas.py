"""One schema per chat object: the message an event announces is the message the API returns, and a reaction
has one shape — in the message, in the API's answer and in the reaction events."""

from __future__ import annotations

import pytest

from kiban.accounts.tests.factories import StaffFactory
from kiban.chat import actions
from kiban.chat.events import MessageCreated
from kiban.chat.schemas import MessageOut
from kiban.chat.tests.factories import make_group
from kiban.chat.tests.test_seq_concurrency import _run_at_once
from kiban.realtime.testing import capture_events

pytestmark = pytest.mark.django_db
J = "application/json"


def test_posted_message_event_is_the_api_object(client, clerk, section_head):
    conv = make_group(clerk, section_head)
    client.force_login(clerk)
    with capture_events() as events:
        posted = client.post(
            f"/api/v1/conversations/{conv.pk}/messages", {"body": "@100001 10時から **会議**"}, content_type=J
        )
    assert posted.status_code == 201, posted.content
    ((_ids, event),) = events.of_type("message.created")
    assert isinstance(event, MessageCreated) and isinstance(event.message, MessageOut)
    assert event.model_dump(mode="json")["message"] == posted.json()
    assert client.get(f"/api/v1/messages/{posted.json()['id']}").json() == posted.json()


def test_reaction_event_api_answer_and_message_share_one_shape(client, clerk, section_head):
    conv = make_group(clerk, section_head)
    message = actions.do_post_message(clerk, actions.access_conversation(clerk, conv.pk), "投票")
    actions.do_react(section_head, actions.access_message(section_head, message.pk), "👍")
    client.force_login(clerk)
    with capture_events() as events:
        answer = client.post(
            f"/api/v1/messages/{message.pk}/reactions", {"emoji": "👍"}, content_type=J
        ).json()
    ((_ids, event),) = events.of_type("reaction.added")
    shown = client.get(f"/api/v1/messages/{message.pk}").json()["reactions"]
    assert shown == [{"emoji": "👍", "count": 2, "users": [section_head.username, clerk.username]}]
    assert answer["reactions"] == shown
    assert event.model_dump(mode="json")["reactions"] == shown
    with capture_events() as events:
        client.delete(f"/api/v1/messages/{message.pk}/reactions/👍")
    ((_ids, removed),) = events.of_type("reaction.removed")
    assert removed.model_dump(mode="json")["reactions"] == [
        {"emoji": "👍", "count": 1, "users": [section_head.username]}
    ]


@pytest.mark.django_db(transaction=True)
def test_concurrent_reactions_last_event_has_every_reaction():
    # Clients show the list the latest reaction event carries: it must not miss a reaction made meanwhile.
    author, *people = StaffFactory.create_batch(7)
    conv = make_group(author, *people)
    message = actions.do_post_message(author, actions.access_conversation(author, conv.pk), "投票")
    with capture_events() as events:
        errors = _run_at_once(
            [
                lambda p=p: actions.do_react(p, actions.access_message(p, message.pk), "👍", add=True)
                for p in people
            ]
        )
    assert errors == []
    reacted = events.of_type("reaction.added")
    assert len(reacted) == len(people)
    last = reacted[-1][1].reactions
    assert [(r.emoji, r.count, sorted(r.users)) for r in last] == [
        ("👍", len(people), sorted(p.username for p in people))
    ]
