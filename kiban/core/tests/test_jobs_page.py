"""/manage/jobs: failed and waiting background work, for IT administrators only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kiban.core.jobs import run_pending_jobs
from kiban.core.mail import send_mail
from kiban.core.models import AuditEntry, OutgoingEmail
from kiban.core.tests.test_jobs import always_fails, once


@pytest.fixture
def troubled_queue(db, settings, django_capture_on_commit_callbacks):
    always_fails.enqueue("page")
    run_pending_jobs()  # attempt 1 fails, attempt 2 waits for its backoff
    once.using(run_after=timezone.now() + dt.timedelta(hours=1)).enqueue("later")
    # Port 1: nothing listens, so the mail fails and waits for its retry.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1
    with django_capture_on_commit_callbacks(execute=True):
        send_mail(["a@pref.example.jp"], "人事異動のお知らせ", "本文")
    run_pending_jobs()


def test_it_admin_sees_failed_and_waiting_jobs_and_unsent_mail(troubled_queue, client, it_admin):
    client.force_login(it_admin)
    response = client.get("/manage/jobs")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("kiban.core.tests.test_jobs.always_fails") == 2  # the failed attempt and its retry
    assert html.count("kiban.core.mail.deliver_email") == 2
    assert "builtins.RuntimeError" in html
    assert "RuntimeError: broken for good" in html
    assert "kiban.core.tests.test_jobs.once" in html
    assert "人事異動のお知らせ" in html
    assert "ConnectionRefusedError" in html
    counts = response.context
    assert (len(counts["failed"]), len(counts["waiting"]), len(counts["emails"])) == (2, 3, 1)


def test_page_is_404_for_staff_who_are_not_administrators(troubled_queue, client, clerk):
    client.force_login(clerk)
    assert client.get("/manage/jobs").status_code == 404


def test_page_asks_an_anonymous_visitor_to_sign_in(db, client):
    response = client.get("/manage/jobs")
    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=/manage/jobs")


def test_task_results_are_in_the_django_admin_read_only(troubled_queue, client, django_user_model):
    superuser = django_user_model.objects.create_superuser(username="root", password="x" * 12)
    client.force_login(superuser)
    failed = DBTaskResult.objects.filter(status="FAILED").first()
    changelist = client.get("/admin/django_tasks_database/dbtaskresult/?status__exact=FAILED")
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count == 2
    detail = client.get(f"/admin/django_tasks_database/dbtaskresult/{failed.pk}/change/")
    assert detail.status_code == 200
    assert b"Traceback" in detail.content
    assert OutgoingEmail.objects.count() == 1


def test_django_admin_needs_the_view_permission_which_is_staff_alone_lacks(troubled_queue, client, it_admin):
    # is_staff opens the admin, but the task list needs django_tasks_database.view_dbtaskresult; an IT
    # administrator without it uses /manage/jobs.
    client.force_login(it_admin)
    assert client.get("/admin/django_tasks_database/dbtaskresult/").status_code == 403


@pytest.fixture
def given_up_mail(db):
    return OutgoingEmail.objects.create(
        to=["a@pref.example.jp"], subject="防災訓練のお知らせ", body="本文", status=OutgoingEmail.Status.FAILED,
        attempts=13, last_error="ConnectionRefusedError: [Errno 111] Connection refused",
    )  # fmt: skip


def test_it_admin_resends_a_mail_that_gave_up(
    given_up_mail, client, it_admin, django_capture_on_commit_callbacks
):
    client.force_login(it_admin)
    assert "再送信" in client.get("/manage/jobs").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/manage/jobs/mail/{given_up_mail.pk}/resend")
    assert response.status_code == 302
    assert response["Location"] == "/manage/jobs"
    given_up_mail.refresh_from_db()
    assert (given_up_mail.status, given_up_mail.attempts) == (OutgoingEmail.Status.QUEUED, 0)
    job = DBTaskResult.objects.get()
    assert (job.task_path, job.args_kwargs["args"]) == ("kiban.core.mail.deliver_email", [given_up_mail.pk])
    entry = AuditEntry.objects.get(action="mail.resend")
    assert (entry.actor_username, entry.target_id) == (it_admin.username, str(given_up_mail.pk))


def test_a_sent_mail_cannot_be_resent(given_up_mail, client, it_admin):
    OutgoingEmail.objects.filter(pk=given_up_mail.pk).update(status=OutgoingEmail.Status.SENT)
    client.force_login(it_admin)
    assert client.post(f"/manage/jobs/mail/{given_up_mail.pk}/resend").status_code == 404
    given_up_mail.refresh_from_db()
    assert given_up_mail.status == OutgoingEmail.Status.SENT
    assert DBTaskResult.objects.count() == 0
    assert not AuditEntry.objects.filter(action="mail.resend").exists()


def test_clerk_cannot_resend_mail(given_up_mail, client, clerk):
    client.force_login(clerk)
    assert client.post(f"/manage/jobs/mail/{given_up_mail.pk}/resend").status_code == 404
    given_up_mail.refresh_from_db()
    assert given_up_mail.status == OutgoingEmail.Status.FAILED
    assert DBTaskResult.objects.count() == 0
