"""A check's emails queue while the mail server is down and are delivered when it returns; answers never
wait for mail."""

from __future__ import annotations

import datetime as dt

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kiban.core.jobs import run_pending_jobs
from kiban.core.models import OutgoingEmail
from kiban.core.tests.smtp import Inbox
from kiban.safety import actions
from kiban.safety.models import Target

pytestmark = pytest.mark.django_db


def _time_passes() -> None:
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now() - dt.timedelta(seconds=1))


def test_check_mail_waits_for_a_down_server_and_answers_do_not(
    smtp_port, it_admin, clerk, section_head, django_capture_on_commit_callbacks
):
    clerk.email, section_head.email = "sato@pref.example.jp", "takahashi@pref.example.jp"
    clerk.save(update_fields=["email"])
    section_head.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        check = actions.do_start_check(
            it_admin, title="大雨特別警報", message="参集の可否を回答してください。"
        )
    with django_capture_on_commit_callbacks(execute=True):
        run_pending_jobs()  # the announcement: notifications and the emails queued
    with django_capture_on_commit_callbacks(execute=True):
        run_pending_jobs()  # delivery attempts: the server is down
    queued = OutgoingEmail.objects.filter(subject__contains="大雨特別警報")
    expected = sorted(
        Target.objects.filter(safety_check=check)
        .exclude(staff__email="")
        .values_list("staff__email", flat=True)
    )
    assert "sato@pref.example.jp" in expected and "takahashi@pref.example.jp" in expected
    assert queued.count() == len(expected)
    assert set(queued.values_list("status", flat=True)) == {OutgoingEmail.Status.QUEUED}
    assert all(e.startswith("ConnectionRefusedError") for e in queued.values_list("last_error", flat=True))

    # Meanwhile people answer: nothing waits for the mail server.
    actions.do_answer(clerk, check, status="safe", can_work=True)
    assert Target.objects.get(safety_check=check, staff=clerk).status == "safe"

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        _time_passes()
        with django_capture_on_commit_callbacks(execute=True):
            run_pending_jobs()
    finally:
        controller.stop()
    assert sorted(m["To"] for m in inbox.messages) == expected
    assert f"/safety/{check.pk}/" in inbox.messages[0].get_body(("plain",)).get_content()
    assert set(queued.values_list("status", flat=True)) == {OutgoingEmail.Status.SENT}
