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


def _department_channel():
    """A department's team with its 一般 channel: a head, a clerk who stays and one who is moved out."""
    from kiban.org.tests.factories import DepartmentFactory, MembershipFactory

    dept = DepartmentFactory(code="900100", name="危機管理課")
    elsewhere = DepartmentFactory(code="900200", name="防災課")
    head, stays, leaves = StaffFactory(), StaffFactory(), StaffFactory()
    MembershipFactory(staff=head, department=dept, is_head=True)
    MembershipFactory(staff=stays, department=dept)
    moved = MembershipFactory(staff=leaves, department=dept)
    team = actions.do_sync_department_team(dept).team
    channel = team.channels.get()
    return (
        dept,
        channel,
        stays,
        leaves,
        lambda: type(moved).objects.filter(pk=moved.pk).update(department=elsewhere),
    )


@pytest.mark.django_db(transaction=True)
def test_a_person_a_department_sync_removes_while_a_post_is_on_its_way_does_not_receive_it(monkeypatch):
    dept, channel, stays, leaves, move = _department_channel()
    move()
    poster_is_in = threading.Event()
    synced = threading.Event()

    class TransactionAfterTheSync:
        @staticmethod
        def atomic(*args, **kwargs):
            poster_is_in.set()
            assert synced.wait(20)
            return transaction.atomic(*args, **kwargs)

    monkeypatch.setattr(messages, "transaction", TransactionAfterTheSync)
    errors: list[BaseException] = []
    with capture_events() as events:
        poster = _thread(
            lambda: messages.do_post_message(stays, as_member(stays, channel), "訓練の件"), errors
        )
        assert poster_is_in.wait(20)
        syncer = _thread(lambda: (actions.do_sync_department_team(dept), synced.set()), errors)
        syncer.join(30)
        poster.join(30)
    assert errors == []
    ((sent_to, _event),) = events.of_type("message.created")
    assert leaves.pk not in sent_to and stays.pk in sent_to
    assert not _received(leaves, channel.pk)
    assert _received(stays, channel.pk)


@pytest.mark.django_db(transaction=True)
def test_a_department_sync_waits_for_the_post_that_holds_the_channels_lock(monkeypatch):
    dept, channel, stays, leaves, move = _department_channel()
    move()
    locked = threading.Event()
    original = messages._next_seq
    order: list[str] = []

    def next_seq_then_linger(conv_id, now):
        seq = original(conv_id, now)
        locked.set()
        time.sleep(0.5)  # the sync tries now, and must wait for this post's commit
        order.append("post")
        return seq

    monkeypatch.setattr(messages, "_next_seq", next_seq_then_linger)
    errors: list[BaseException] = []

    def sync():
        actions.do_sync_department_team(dept)
        order.append("synced")

    with capture_events() as events:
        poster = _thread(
            lambda: messages.do_post_message(stays, as_member(stays, channel), "訓練の件"), errors
        )
        assert locked.wait(20)
        syncer = _thread(sync, errors)
        syncer.join(30)
        poster.join(30)
    assert errors == []
    assert order == ["post", "synced"]
    ((sent_to, _event),) = events.of_type("message.created")
    assert leaves.pk in sent_to  # a member when the post took the lock
    ((_to, removal),) = events.of_type("conversation.members")
    assert removal.removed == [leaves.username]


@pytest.mark.django_db(transaction=True)
def test_a_team_join_waits_for_the_post_that_holds_the_channels_lock(monkeypatch):
    owner, joiner = StaffFactory(), StaffFactory()
    team = actions.do_create_team(owner, name="防災訓練")
    channel = team.channels.get()
    locked = threading.Event()
    original = messages._next_seq
    order: list[str] = []

    def next_seq_then_linger(conv_id, now):
        seq = original(conv_id, now)
        locked.set()
        time.sleep(0.5)
        order.append("post")
        return seq

    monkeypatch.setattr(messages, "_next_seq", next_seq_then_linger)
    errors: list[BaseException] = []
    with capture_events() as events:
        poster = _thread(
            lambda: messages.do_post_message(owner, as_member(owner, channel), "集合場所"), errors
        )
        assert locked.wait(20)
        joining = _thread(lambda: (actions.do_join_team(joiner, team), order.append("joined")), errors)
        joining.join(30)
        poster.join(30)
    assert errors == []
    assert order == ["post", "joined"]
    ((sent_to, _event),) = events.of_type("message.created")
    assert joiner.pk not in sent_to  # joined after the post: history, not a delivery
