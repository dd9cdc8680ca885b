"""Publication at `publish_at`: invisible before (web and API), visible after, announced exactly once — by its
job, by the sweeper after a stop, or by two workers at once — with one mail per audience member through a
real SMTP server, which waits in the outbox while the server is down."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from django.db import connections
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kiban.bulletin import actions
from kiban.bulletin.models import Post
from kiban.bulletin.tests.conftest import make_post
from kiban.core.jobs import run_pending_jobs, schedule_periodic_jobs
from kiban.core.models import OutgoingEmail
from kiban.core.tests.smtp import Inbox
from kiban.notifications.models import Notification

# Real commits: the jobs and mails are enqueued after commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

SUBJECT = "【重要】【掲示板】人事異動の内示について"


def _everyone(section_head, clerk, other_clerk, it_admin):
    return [section_head, clerk, other_clerk, it_admin]


def test_post_scheduled_three_seconds_ahead_appears_on_time_and_its_mail_arrives(
    as_user, jinji_category, clerk, section_head, other_clerk, it_admin, smtp_server
):
    reader = as_user(other_clerk)
    # Warm up both stacks first: on a loaded machine the first request pays for imports and URL loading.
    assert reader.get("/api/v1/bulletin/posts/1").status_code == 404
    assert reader.get("/bulletin/1/").status_code == 404
    publish_at = timezone.now() + dt.timedelta(seconds=3)
    post = {"id": actions.do_create_post(
        clerk, category_id=jinji_category.pk, title="人事異動の内示について", body="内示は**3月19日**です。",
        publish_at=publish_at, important=True, notify_email=True,
    ).pk}  # fmt: skip
    api, page = f"/api/v1/bulletin/posts/{post['id']}", f"/bulletin/{post['id']}/"
    assert reader.get(api).status_code == 404
    assert reader.get(page).status_code == 404
    assert reader.get("/api/v1/bulletin/posts").json()["results"] == []
    assert run_pending_jobs() == 0  # the publication job waits for its time
    assert smtp_server.messages == [] and not Notification.objects.filter(kind="bulletin.post").exists()
    assert timezone.now() < publish_at  # the checks above really ran before the publication time

    time.sleep(max(0.0, (publish_at - timezone.now()).total_seconds()) + 0.1)
    assert reader.get(api).status_code == 200
    assert reader.get(page).status_code == 200
    assert [p["id"] for p in reader.get("/api/v1/bulletin/posts").json()["results"]] == [post["id"]]
    run_pending_jobs()

    expected = sorted(p.email for p in _everyone(section_head, clerk, other_clerk, it_admin))
    assert sorted(m["To"] for m in smtp_server.messages) == expected
    assert {str(m["Subject"]) for m in smtp_server.messages} == {SUBJECT}
    assert all(b"=?utf-8?" in raw for raw in smtp_server.raw)  # the subject went RFC 2047 encoded
    assert "内示は**3月19日**です。" in smtp_server.messages[0].get_body(("plain",)).get_content()
    notified = set(Notification.objects.filter(kind="bulletin.post").values_list("recipient_id", flat=True))
    assert notified == {section_head.pk, other_clerk.pk, it_admin.pk}  # not the author
    run_pending_jobs()
    assert len(smtp_server.messages) == 4


def test_with_smtp_down_the_mail_waits_and_is_delivered_once_when_it_returns(
    as_user, jinji_category, clerk, section_head, other_clerk, it_admin, smtp_port
):
    make_post(as_user(clerk), jinji_category, notify_email=True, important=True)
    run_pending_jobs()
    queued = list(OutgoingEmail.objects.values_list("status", "attempts"))
    assert queued == [("queued", 1)] * 4
    assert Post.objects.get().published_at is not None

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        # The retry's time has come (backoff: 30 s).
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now() - dt.timedelta(seconds=1))
        run_pending_jobs()
        assert sorted(m["To"] for m in inbox.messages) == sorted(
            p.email for p in _everyone(section_head, clerk, other_clerk, it_admin)
        )
        assert {str(m["Subject"]) for m in inbox.messages} == {SUBJECT}
        assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {"sent"}
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now() - dt.timedelta(seconds=1))
        run_pending_jobs()
        assert len(inbox.messages) == 4
    finally:
        controller.stop()


@pytest.mark.parametrize("job_row_survived", [True, False])
def test_post_whose_time_passed_while_stopped_is_published_once_at_next_start(
    as_user, jinji_category, clerk, section_head, other_clerk, it_admin, job_row_survived
):
    post = make_post(
        as_user(clerk), jinji_category, publish_at=(timezone.now() + dt.timedelta(hours=1)).isoformat()
    )
    # The server stops; the hour passes.
    Post.objects.filter(pk=post["id"]).update(publish_at=timezone.now() - dt.timedelta(minutes=5))
    waiting = DBTaskResult.objects.filter(task_path="kiban.bulletin.jobs.publish_post", status="READY")
    if job_row_survived:
        waiting.update(run_after=timezone.now() - dt.timedelta(minutes=5))
    else:
        waiting.delete()  # e.g. restored from a backup taken before the job row existed
    # Next start: the worker books its periodic jobs and runs what is due.
    schedule_periodic_jobs()
    run_pending_jobs()
    assert Post.objects.get(pk=post["id"]).published_at is not None
    assert sorted(
        Notification.objects.filter(kind="bulletin.post").values_list("recipient_id", flat=True)
    ) == sorted([section_head.pk, other_clerk.pk, it_admin.pk])
    # Everything again (a second worker, a duplicated job): nothing more.
    assert actions.do_publish(post["id"]) is None
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now() - dt.timedelta(seconds=1))
    run_pending_jobs()
    assert Notification.objects.filter(kind="bulletin.post").count() == 3


def test_rescheduled_post_is_announced_at_its_new_time_only(as_user, jinji_category, clerk, other_clerk):
    post = make_post(
        as_user(clerk), jinji_category, publish_at=(timezone.now() + dt.timedelta(minutes=1)).isoformat()
    )
    later = timezone.now() + dt.timedelta(hours=3)
    response = as_user(clerk).patch(f"/api/v1/bulletin/posts/{post['id']}", {"publish_at": later.isoformat()},
                                    content_type="application/json")  # fmt: skip
    assert response.status_code == 200
    # The first job comes due: the post is not due any more, nothing is announced.
    DBTaskResult.objects.filter(status="READY", run_after__lt=later - dt.timedelta(hours=1)).update(
        run_after=timezone.now() - dt.timedelta(seconds=1)
    )
    run_pending_jobs()
    assert Post.objects.get(pk=post["id"]).published_at is None
    assert as_user(other_clerk).get(f"/api/v1/bulletin/posts/{post['id']}").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_workers_publishing_at_once_announce_once(org_tree, section_head, clerk, other_clerk, it_admin):
    from kiban.bulletin.models import Category

    category = Category.objects.create(name="人事", department=org_tree["jinji"])
    post = actions.do_create_post(clerk, category_id=category.pk, title="同時", body="本文",
                                  publish_at=timezone.now() + dt.timedelta(hours=1))  # fmt: skip
    Post.objects.filter(pk=post.pk).update(publish_at=timezone.now() - dt.timedelta(seconds=1))
    barrier = threading.Barrier(4)
    results, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=30)
            results.append(actions.do_publish(post.pk))
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(results, key=lambda r: r is None) == [4, None, None, None]
    assert Notification.objects.filter(kind="bulletin.post").count() == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_reads_by_one_person_record_one_read(org_tree, section_head, clerk):
    from kiban.bulletin.models import Category, Read

    category = Category.objects.create(name="人事", department=org_tree["jinji"])
    post = actions.do_create_post(clerk, category_id=category.pk, title="回覧", body="本文")
    barrier = threading.Barrier(6)
    errors = []

    def reader():
        try:
            barrier.wait(timeout=30)
            actions.do_mark_read(section_head, post)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reader) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert Read.objects.filter(post=post, staff=section_head).count() == 1
