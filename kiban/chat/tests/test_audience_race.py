"""A conversation larger than INLINE_MEMBERS: its posts are addressed to an audience (the members up to the
member-row horizon read under the conversation's lock) that the fan-out resolves after the commit. The
membership a post goes to must still be the one in force when it took the lock — however late the fan-out
runs, and whoever joined, left or came back in between. Real commits; both engines."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connections

from kiban.accounts.tests.factories import StaffFactory, make_many_staff
from kiban.chat import actions
from kiban.chat.actions import messages
from kiban.chat.models import Member, Mention, Message
from kiban.chat.tests.factories import as_member, make_channel
from kiban.core.jobs import run_pending_jobs
from kiban.notifications.models import Notification
from kiban.realtime.queries import events_for
from kiban.realtime.testing import capture_events


def _large_private_channel(owner, count: int = messages.INLINE_MEMBERS + 50):
    conv = make_channel(owner, name="全庁人事", visibility="private")
    people = make_many_staff(count, start=800000)
    Member.objects.bulk_create([Member(conversation=conv, staff=p) for p in people])
    return conv, people


def _received(person, message: Message) -> bool:
    found, _last, _truncated = events_for(person.pk, 0)
    events = [json.loads(body) for _id, body in found]
    return any(e["type"] == "message.created" and e["message"]["id"] == message.pk for e in events)


def _sent_to(events, message: Message) -> list[int]:
    (user_ids,) = [ids for ids, e in events.of_type("message.created") if e.message.id == message.pk]
    return user_ids


@pytest.mark.django_db(transaction=True)
def test_who_joins_leaves_or_comes_back_before_the_fan_out_runs_is_not_told():
    owner = StaffFactory()
    conv, people = _large_private_channel(owner)
    stays, leaves_before, leaves_after, comes_back = people[0], people[1], people[2], people[3]
    newcomer = StaffFactory()
    actions.do_remove_member(owner, as_member(owner, conv), leaves_before.username)

    message = messages.do_post_message(owner, as_member(owner, conv), "@channel 内示は明日です")
    # Between the commit and the fan-out: people join, leave and come back.
    actions.do_add_members(owner, as_member(owner, conv), [newcomer.username])
    actions.do_remove_member(owner, as_member(owner, conv), leaves_after.username)
    actions.do_remove_member(owner, as_member(owner, conv), comes_back.username)
    actions.do_add_members(owner, as_member(owner, conv), [comes_back.username])
    with capture_events() as events:
        run_pending_jobs()

    sent_to = set(_sent_to(events, message))
    assert stays.pk in sent_to and owner.pk in sent_to and _received(stays, message)
    for person in (leaves_before, newcomer, comes_back):
        assert person.pk not in sent_to, person
        assert not _received(person, message), person
        assert not Mention.objects.filter(message=message, staff=person).exists()
        assert not Notification.objects.filter(recipient=person, kind="chat.mention").exists()
    # Removed after the post, before the fan-out (milliseconds in practice): they cannot read it any more.
    assert leaves_after.pk not in sent_to
    assert Mention.objects.filter(message=message).count() == len(people) - 3
    assert Notification.objects.filter(kind="chat.mention", seq=message.seq).count() == len(people) - 3


@pytest.mark.django_db(transaction=True)
def test_a_member_added_while_a_post_holds_the_lock_is_not_in_its_audience(monkeypatch):
    owner = StaffFactory()
    conv, people = _large_private_channel(owner)
    newcomer = StaffFactory()
    locked, added = threading.Event(), threading.Event()
    original = messages._next_seq
    errors: list[BaseException] = []

    def next_seq_then_wait(conv_id, now):
        seq = original(conv_id, now)
        locked.set()
        # The adder is blocked on the conversation's lock (PostgreSQL) or the write lock (SQLite) now.
        added.wait(0.5)
        return seq

    monkeypatch.setattr(messages, "_next_seq", next_seq_then_wait)

    def run(fn):
        def wrapped():
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001  (reported by the test)
                errors.append(exc)
            finally:
                connections.close_all()

        thread = threading.Thread(target=wrapped)
        thread.start()
        return thread

    poster = run(lambda: messages.do_post_message(owner, as_member(owner, conv), "本日の連絡"))
    assert locked.wait(20)
    adder = run(
        lambda: (actions.do_add_members(owner, as_member(owner, conv), [newcomer.username]), added.set())
    )
    poster.join(30)
    adder.join(30)
    assert errors == []
    assert not added.is_set() or Member.objects.filter(conversation=conv, staff=newcomer).exists()
    message = Message.objects.get(conversation=conv, body="本日の連絡")
    with capture_events() as events:
        run_pending_jobs()
    sent_to = set(_sent_to(events, message))
    assert newcomer.pk not in sent_to and not _received(newcomer, message)
    assert people[-1].pk in sent_to and _received(people[-1], message)
