"""Posting to an all-staff channel: the poster's request costs the same number of queries for 5,000 members
as for 10 (real commits, so the after-commit work is counted), the large fan-out runs right after from an
outbox written in the same transaction, and a crash in between loses nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kiban.accounts.tests.factories import StaffFactory, make_many_staff
from kiban.chat.models import Member, Mention
from kiban.chat.tests.factories import make_channel, post
from kiban.core.jobs import run_pending_jobs
from kiban.notifications.models import Notification
from kiban.realtime.models import Event, EventRecipient
from kiban.realtime.queries import events_for
from kiban.realtime.testing import capture_events


def _channel_of(owner, count: int, *, start: int):
    conv = make_channel(owner, name=f"全庁{count}")
    people = make_many_staff(count - 1, start=start)
    Member.objects.bulk_create([Member(conversation=conv, staff=p) for p in people])
    return conv, people


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_a_post_to_5000_members_costs_the_poster_as_many_queries_as_one_to_10():
    owner = StaffFactory()
    small, _ = _channel_of(owner, 10, start=600000)
    large, people = _channel_of(owner, 5000, start=610000)
    post(owner, small, "準備")  # warm caches (content types, sessions) on both paths
    post(owner, large, "準備")
    run_pending_jobs()

    plain_small = _queries(lambda: post(owner, small, "お知らせです"))
    plain_large = _queries(lambda: post(owner, large, "お知らせです"))
    channel_small = _queries(lambda: post(owner, small, "@channel 訓練を始めます"))
    with capture_events() as events:
        channel_large = _queries(lambda: post(owner, large, "@channel 訓練を始めます"))

    assert plain_large <= plain_small + 2, (plain_small, plain_large)
    assert channel_large <= channel_small + 3, (channel_small, channel_large)
    assert channel_large < 40
    # The event names its audience; nobody is handed anything before the fan-out has resolved it.
    assert events.of_type("message.created") == []
    (stored,) = Event.objects.filter(pending=True, payload__contains="訓練を始めます")
    assert stored.recipients == [] and len(stored.audience) < 40
    # The rest is the outbox's: nothing per person on the request path.
    wide = Mention.objects.filter(message__body="@channel 訓練を始めます", conversation=large)
    assert wide.count() == 0
    assert (
        Notification.objects.filter(kind="chat.mention", group_key=f"chat.conversation:{large.pk}").count()
        == 0
    )
    member = people[-1]
    before, cursor, _ = events_for(member.pk, 0)
    with capture_events() as events:
        run_pending_jobs()
    # Live: one event to everyone, handed over once its recipient rows are written.
    sent = {event.message.body: user_ids for user_ids, event in events.of_type("message.created")}
    assert len(sent["@channel 訓練を始めます"]) == 5000
    assert len(sent["お知らせです"]) == 5000
    assert wide.count() == 4999  # every member but the poster has an unread mention
    assert Notification.objects.filter(recipient=member, kind="chat.mention").count() == 1
    assert (
        Notification.objects.filter(kind="chat.mention", group_key=f"chat.conversation:{large.pk}").count()
        == 4999
    )
    assert not Event.objects.filter(pending=True).exists()
    got, _last, truncated = events_for(member.pk, cursor)
    assert not truncated
    types = [body.split('"type":"', 1)[1].split('"', 1)[0] for _id, body in got]
    assert "notification.created" in types


@pytest.mark.django_db(transaction=True)
def test_a_crash_between_commit_and_fan_out_loses_nothing():
    from django_tasks_db.models import DBTaskResult

    from kiban.realtime.jobs import resume_fan_out

    owner = StaffFactory()
    conv, people = _channel_of(owner, 400, start=700000)
    member = people[0]
    _none, cursor, _ = events_for(member.pk, None)
    post(owner, conv, "@channel 避難訓練は10時からです")
    # The process dies after the commit: its after-commit work and its worker are gone; the job rows too,
    # as if the queue had been lost — only what the transaction wrote remains.
    pending = Event.objects.get(pending=True)
    DBTaskResult.objects.filter(task_path__endswith="fan_out_events").delete()
    # Meanwhile a reader never moves its cursor past the unfinished event.
    got, last_id, truncated = events_for(member.pk, cursor)
    assert not truncated and got == [] and last_id < pending.pk
    # Restart: the periodic safety net (and any later fan-out job) resumes it.
    resume_fan_out.call()
    assert EventRecipient.objects.filter(event_id=pending.pk).count() == 400
    got, _last, truncated = events_for(member.pk, last_id)
    assert not truncated
    assert pending.pk in [event_id for event_id, _body in got]
    run_pending_jobs()  # the notifications' job row was written in the same transaction
    assert Notification.objects.filter(recipient=member, kind="chat.mention").count() == 1
