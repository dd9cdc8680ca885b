"""A post and a membership change at the same moment: the member list a post goes to is the one in force
when it takes the conversation's lock, so a removed member never receives a later message (live or by
catch-up). Real threads and real commits; run on both engines (KIBAN_DATABASE_URL for PostgreSQL)."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import connections, transaction

from kiban.accounts.tests.factories import StaffFactory
from kiban.chat import actions
from kiban.chat.actions import messages
from kiban.chat.models import Message
from kiban.chat.tests.factories import as_member, make_channel
from kiban.realtime.models import EventRecipient
from kiban.realtime.queries import events_for
from kiban.realtime.testing import capture_events


def _thread(fn, errors):
    def run():
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001  (reported by the test)
            errors.append(exc)
        finally:
            connections.close_all()

    t = threading.Thread(target=run)
    t.start()
    return t


def _received(person, conv_id: int) -> bool:
    """Whether `person` was sent the channel's message live or can get it by catch-up."""
    message = Message.objects.get(conversation_id=conv_id)
    found, _last, _truncated = events_for(person.pk, 0)
    events = [json.loads(body) for _id, body in found]
    return any(e["type"] == "message.created" and e["message"]["id"] == message.pk for e in events)


@pytest.mark.django_db(transaction=True)
def test_a_member_removed_while_a_post_is_on_its_way_does_not_receive_it(monkeypatch):
    owner, stays, leaves = StaffFactory(), StaffFactory(), StaffFactory()
    conv = make_channel(owner, stays, leaves, name="人事", visibility="private")
    poster_is_in = threading.Event()
    removed = threading.Event()

    class TransactionAfterTheRemoval:
        """The post has read everything it reads before its transaction; the owner removes someone now."""

        @staticmethod
        def atomic(*args, **kwargs):
            poster_is_in.set()
            assert removed.wait(20)
            return transaction.atomic(*args, **kwargs)

    monkeypatch.setattr(messages, "transaction", TransactionAfterTheRemoval)
    errors: list[BaseException] = []
    with capture_events() as events:
        poster = _thread(lambda: messages.do_post_message(stays, as_member(stays, conv), "内示の件"), errors)
        assert poster_is_in.wait(20)
        remover = _thread(
            lambda: (actions.do_remove_member(owner, as_member(owner, conv), leaves.username), removed.set()),
            errors,
        )
        remover.join(30)
        poster.join(30)
    assert errors == []
    ((sent_to, _event),) = events.of_type("message.created")
    assert leaves.pk not in sent_to
    assert set(sent_to) == {owner.pk, stays.pk}
    assert not _received(leaves, conv.pk)
    assert _received(owner, conv.pk)


@pytest.mark.django_db(transaction=True)
def test_a_removal_waits_for_the_post_that_holds_the_lock(monkeypatch):
    owner, stays, leaves = StaffFactory(), StaffFactory(), StaffFactory()
    conv = make_channel(owner, stays, leaves, name="人事", visibility="private")
    locked = threading.Event()
    original = messages._next_seq
    order: list[str] = []

    def next_seq_then_linger(conv_id, now):
        seq = original(conv_id, now)
        locked.set()
        time.sleep(0.5)  # the remover tries now, and must wait for this post's commit
        order.append("post")
        return seq

    monkeypatch.setattr(messages, "_next_seq", next_seq_then_linger)
    errors: list[BaseException] = []

    def remove():
        actions.do_remove_member(owner, as_member(owner, conv), leaves.username)
        order.append("removed")

    with capture_events() as events:
        poster = _thread(lambda: messages.do_post_message(stays, as_member(stays, conv), "内示の件"), errors)
        assert locked.wait(20)
        remover = _thread(remove, errors)
        remover.join(30)
        poster.join(30)
    assert errors == []
    assert order == ["post", "removed"]
    ((sent_to, _event),) = events.of_type("message.created")
    assert leaves.pk in sent_to  # a member when the post took the lock
    assert EventRecipient.objects.filter(user_id=leaves.pk).exists()
