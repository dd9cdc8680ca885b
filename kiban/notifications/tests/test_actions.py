"""notify / mark_read / mark_read_up_to: what is stored, what is announced, whose rows change."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from kiban.notifications import actions
from kiban.notifications.models import Notification
from kiban.notifications.tests.factories import NotificationFactory
from kiban.realtime.testing import capture_events

pytestmark = pytest.mark.django_db


def test_notify_stores_one_per_recipient_and_announces_each_to_its_recipient_only(
    section_head, clerk, other_clerk
):
    with capture_events() as events:
        created = actions.notify(
            [clerk.pk, other_clerk.pk],
            kind="chat.mention",
            title="髙橋 一郎さんがあなたをメンションしました",
            body="@佐藤 人事異動の件、確認お願いします",
            url="/chat/c/12#seq-3",
            actor=section_head,
            group_key="conversation:12",
            seq=3,
        )

    assert [n.recipient_id for n in created] == [clerk.pk, other_clerk.pk]
    assert Notification.objects.count() == 2
    assert events.types() == ["notification.created"]  # one event for both
    ((sent_to, event),) = events
    assert sent_to == sorted([clerk.pk, other_clerk.pk])
    mine = Notification.objects.get(recipient=clerk)
    assert event.model_dump(mode="json")["notification"] == {
        "id": None,  # shared by everyone it went to; the client links to `url`
        "kind": "chat.mention",
        "title": "髙橋 一郎さんがあなたをメンションしました",
        "body": "@佐藤 人事異動の件、確認お願いします",
        "url": "/chat/c/12#seq-3",
        "actor": "100001",
        "group_key": "conversation:12",
        "seq": 3,
        "created_at": timezone.localtime(mine.created_at).isoformat(),
        "read_at": None,
    }


def test_the_actor_and_repeated_recipients_are_notified_never_or_once(section_head, clerk):
    with capture_events() as events:
        actions.notify([clerk.pk, section_head.pk, clerk.pk], kind="chat.dm", title="t", actor=section_head)

    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [clerk.pk]
    assert [user_ids for user_ids, _event in events] == [[clerk.pk]]


def test_nothing_is_stored_or_announced_when_the_callers_transaction_rolls_back(clerk):
    with capture_events() as events, pytest.raises(RuntimeError), transaction.atomic():
        actions.notify([clerk.pk], kind="chat.dm", title="t")
        raise RuntimeError("the message could not be stored")

    assert Notification.objects.count() == 0
    assert events == []


@pytest.mark.parametrize(
    "url",
    ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/\\evil.example", "chat/c/1"],
)
def test_a_link_off_this_site_is_dropped(clerk, url):
    (n,) = actions.notify([clerk.pk], kind="chat.dm", title="t", url=url)
    assert n.url == ""


def test_long_titles_and_bodies_are_cut_not_refused(clerk):
    (n,) = actions.notify([clerk.pk], kind="chat.dm", title="あ" * 500, body="い" * 5000)
    n.refresh_from_db()
    assert len(n.title) == actions.TITLE_MAX
    assert n.title.endswith("…")
    assert len(n.body) == actions.BODY_MAX


def test_reading_a_conversation_marks_its_notifications_read_up_to_that_seq(clerk, other_clerk):
    upto2 = [NotificationFactory(recipient=clerk, group_key="conversation:1", seq=s) for s in (1, 2)]
    later = NotificationFactory(recipient=clerk, group_key="conversation:1", seq=3)
    elsewhere = NotificationFactory(recipient=clerk, group_key="conversation:2", seq=1)
    someone_else = NotificationFactory(recipient=other_clerk, group_key="conversation:1", seq=1)

    assert actions.mark_read_up_to(clerk.pk, "conversation:1", 2) == 2

    unread = set(Notification.objects.filter(read_at__isnull=True).values_list("pk", flat=True))
    assert unread == {later.pk, elsewhere.pk, someone_else.pk}
    assert all(Notification.objects.get(pk=n.pk).read_at is not None for n in upto2)


def test_reading_a_whole_group_marks_all_its_notifications(clerk):
    for s in (1, 5, None):
        NotificationFactory(recipient=clerk, group_key="conversation:1", seq=s)

    assert actions.mark_read_up_to(clerk.pk, "conversation:1", None) == 3
    assert actions.mark_read_up_to(clerk.pk, "", None) == 0
    assert Notification.objects.filter(read_at__isnull=True).count() == 0


def test_marking_anothers_notification_read_is_not_found_and_changes_nothing(clerk, other_clerk):
    theirs = NotificationFactory(recipient=other_clerk)

    with pytest.raises(Http404):
        actions.mark_read(clerk, theirs.pk)

    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_twice_keeps_the_first_time(clerk):
    n = NotificationFactory(recipient=clerk)
    first = actions.mark_read(clerk, n.pk).read_at
    assert first is not None
    assert actions.mark_read(clerk, n.pk).read_at == first


def test_mark_all_read_touches_only_the_persons_own(clerk, other_clerk):
    NotificationFactory.create_batch(3, recipient=clerk)
    theirs = NotificationFactory(recipient=other_clerk)

    assert actions.mark_all_read(clerk) == 3
    assert actions.unread_count(clerk) == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_reading_announces_the_new_unread_count_to_the_readers_devices_only(clerk, other_clerk):
    one, _two = NotificationFactory.create_batch(2, recipient=clerk, group_key="chat.conversation:1", seq=1)
    NotificationFactory(recipient=other_clerk)

    with capture_events() as events:
        actions.mark_read(clerk, one.pk)
        actions.mark_read(clerk, one.pk)  # already read: nothing to say
    assert [(ids, e.type, e.ids, e.unread) for ids, e in events] == [
        ([clerk.pk], "notification.read", [one.pk], 1)
    ]

    with capture_events() as events:
        actions.mark_read_up_to(clerk.pk, "chat.conversation:1", 1)
        actions.mark_read_up_to(clerk.pk, "chat.conversation:1", 1)
        actions.mark_all_read(clerk)
    assert [(ids, e.ids, e.unread) for ids, e in events] == [([clerk.pk], None, 0)]


@pytest.mark.django_db(transaction=True)
def test_many_recipients_get_one_bulk_insert_and_one_event():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kiban.accounts.tests.factories import StaffFactory
    from kiban.notifications.actions import notify
    from kiban.realtime.testing import capture_events

    people = [StaffFactory() for _ in range(30)]
    with capture_events() as events, CaptureQueriesContext(connection) as ctx:
        notify([p.pk for p in people], kind="chat.mention", title="お知らせ", body="本文", url="/chat/")
    assert Notification.objects.filter(kind="chat.mention").count() == 30
    ((sent_to, event),) = events.of_type("notification.created")
    assert sorted(sent_to) == sorted(p.pk for p in people)
    assert event.notification.id is None and event.notification.title == "お知らせ"
    inserts = [
        q for q in ctx.captured_queries if q["sql"].startswith('INSERT INTO "notifications_notification"')
    ]
    assert len(inserts) == 1
    assert len(ctx.captured_queries) < 12


@pytest.mark.django_db(transaction=True)
def test_more_than_inline_max_recipients_are_notified_by_a_job_from_the_same_transaction():
    from django.db import transaction

    from kiban.accounts.tests.factories import make_many_staff
    from kiban.core.jobs import run_pending_jobs
    from kiban.notifications.actions import INLINE_MAX, notify

    people = make_many_staff(INLINE_MAX + 50)
    with transaction.atomic():
        notify([p.pk for p in people], kind="safety.ask", title="安否確認", group_key="safety:1", seq=1)
    assert Notification.objects.count() == 0  # not on the request path
    run_pending_jobs()
    assert Notification.objects.filter(kind="safety.ask").count() == INLINE_MAX + 50
    # Run again (a worker that died after its commit): nobody is notified twice.
    from kiban.notifications.jobs import create_notifications

    create_notifications.call(
        [p.pk for p in people], actor_id=None, kind="safety.ask", title="安否確認", body="", url="",
        group_key="safety:1", seq=1,
    )  # fmt: skip
    assert Notification.objects.filter(kind="safety.ask").count() == INLINE_MAX + 50
