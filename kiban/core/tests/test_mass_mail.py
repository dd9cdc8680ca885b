"""The bulk mail path (`send_mass_mail`, `deliver_email_batch`): many messages over one SMTP connection, each
exactly once — through a refused recipient, a server that is down, and a job run twice."""

from __future__ import annotations

import datetime as dt

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kiban.core import mail
from kiban.core.jobs import run_pending_jobs
from kiban.core.models import OutgoingEmail
from kiban.core.tests.smtp import Inbox

pytestmark = pytest.mark.django_db(transaction=True)


class CountingInbox(Inbox):
    """Counts SMTP sessions and refuses one address (a mailbox that does not exist)."""

    def __init__(self, refuse: str = "") -> None:
        super().__init__()
        self.sessions = 0
        self.refuse = refuse

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refuse:
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def _messages(n: int) -> list[tuple[list[str], str, str]]:
    return [([f"staff{i}@pref.example.lg.jp"], "【掲示板】お知らせ", f"本文 {i}") for i in range(n)]


def _due_now() -> None:
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now() - dt.timedelta(seconds=1))


def test_many_messages_go_over_one_connection_per_batch_each_once(smtp_port, monkeypatch):
    monkeypatch.setattr(mail, "BATCH_SIZE", 40)
    inbox = CountingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        assert mail.send_mass_mail(_messages(100)) == 100
        assert DBTaskResult.objects.filter(task_path="kiban.core.mail.deliver_email_batch").count() == 3
        run_pending_jobs()
        assert sorted(m["To"] for m in inbox.messages) == sorted(
            f"staff{i}@pref.example.lg.jp" for i in range(100)
        )
        assert {str(m["Subject"]) for m in inbox.messages} == {"【掲示板】お知らせ"}
        assert inbox.sessions == 3
        # Rendered once, each message still carries its own recipient and Message-ID, and the same body.
        stored = dict(OutgoingEmail.objects.values_list("message_id", "to"))
        assert {m["Message-ID"]: [m["To"]] for m in inbox.messages} == stored
        assert {m.get_body(("plain",)).get_content() for m in inbox.messages} == {
            f"本文 {i}" for i in range(100)
        }
        assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {"sent"}
        # The same jobs again (a duplicate, a retry): nothing is sent twice.
        for row in DBTaskResult.objects.filter(task_path="kiban.core.mail.deliver_email_batch"):
            assert mail.deliver_email_batch.func(*row.args_kwargs["args"]) == "already handled"
        assert len(inbox.messages) == 100
    finally:
        controller.stop()


def test_one_notice_to_many_is_rendered_once_with_each_recipient_and_id(smtp_port):
    inbox = CountingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        notice = [
            ([f"staff{i}@pref.example.lg.jp"], "【重要】【掲示板】防災訓練", "9月1日に訓練を行います。")
            for i in range(30)
        ]
        mail.send_mass_mail(notice)
        run_pending_jobs()
        assert sorted(m["To"] for m in inbox.messages) == sorted(
            f"staff{i}@pref.example.lg.jp" for i in range(30)
        )
        assert {str(m["Subject"]) for m in inbox.messages} == {"【重要】【掲示板】防災訓練"}
        assert {m.get_body(("plain",)).get_content() for m in inbox.messages} == {"9月1日に訓練を行います。"}
        assert len({m["Message-ID"] for m in inbox.messages}) == 30
        assert {m["Message-ID"] for m in inbox.messages} == set(
            OutgoingEmail.objects.values_list("message_id", flat=True)
        )
        assert all(b"placeholder.invalid" not in raw for raw in inbox.raw)
    finally:
        controller.stop()


def test_a_refused_recipient_is_retried_alone_and_the_batch_goes_on(smtp_port):
    inbox = CountingInbox(refuse="staff3@pref.example.lg.jp")
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        mail.send_mass_mail(_messages(10))
        run_pending_jobs()
        assert len(inbox.messages) == 9
        refused = OutgoingEmail.objects.get(to=["staff3@pref.example.lg.jp"])
        assert refused.status == "queued" and "SMTPRecipientsRefused" in refused.last_error
        assert (
            DBTaskResult.objects.filter(task_path="kiban.core.mail.deliver_email", status="READY").count()
            == 1
        )
        inbox.refuse = ""
        _due_now()
        run_pending_jobs()
        assert len(inbox.messages) == 10
        assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {"sent"}
    finally:
        controller.stop()


def test_server_down_keeps_the_batch_queued_until_it_returns(smtp_port):
    mail.send_mass_mail(_messages(5))
    run_pending_jobs()
    assert list(OutgoingEmail.objects.values_list("status", "attempts")) == [("queued", 1)] * 5
    assert "ConnectionRefusedError" in OutgoingEmail.objects.first().last_error
    inbox = CountingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        _due_now()
        run_pending_jobs()
        assert len(inbox.messages) == 5 and inbox.sessions == 1
        _due_now()
        run_pending_jobs()
        assert len(inbox.messages) == 5
    finally:
        controller.stop()


def test_the_last_attempt_marks_the_rest_failed(smtp_port):
    mail.send_mass_mail(_messages(2))
    OutgoingEmail.objects.update(attempts=mail.MAIL_RETRIES)
    row = DBTaskResult.objects.get(task_path="kiban.core.mail.deliver_email_batch")
    with pytest.raises(ConnectionRefusedError):
        mail.deliver_email_batch.func(*row.args_kwargs["args"])
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {"failed"}
