"""Email through a real SMTP server (aiosmtpd in this process): encoding, retries while it is down, once only."""

from __future__ import annotations

import datetime as dt
import ssl
import subprocess
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kiban.core.jobs import run_pending_jobs
from kiban.core.mail import MAIL_RETRIES, deliver_email, send_mail
from kiban.core.models import OutgoingEmail
from kiban.core.tests.smtp import Inbox
from kiban.settings import parse_smtp_url

SUBJECT = "【重要】会議室の予約が確定しました（第２会議室・令和８年４月１日）"
BODY = "髙橋 一郎 様\n\n第２会議室の予約が確定しました。\n日時: 令和８年４月１日 10:00〜11:00\n"
HTML = "<p>髙橋 一郎 様</p><p>第２会議室の予約が<strong>確定</strong>しました。</p>"


def _queue_mail(capture) -> OutgoingEmail:
    with capture(execute=True):
        return send_mail(["takahashi@pref.example.jp"], SUBJECT, BODY, html=HTML)


def _time_passes() -> None:
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now() - dt.timedelta(seconds=1))


def test_mail_arrives_with_japanese_subject_and_both_parts(
    db, smtp_server, django_capture_on_commit_callbacks
):
    queued = _queue_mail(django_capture_on_commit_callbacks)

    assert run_pending_jobs() == 1

    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["Subject"] == SUBJECT
    assert message["To"] == "takahashi@pref.example.jp"
    assert message["From"].addresses[0].display_name == "基盤"
    assert message["Message-ID"] == queued.message_id
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)).get_content() == BODY
    assert message.get_body(("html",)).get_content().strip() == HTML
    # Nothing but ASCII on the wire: subject in RFC 2047, bodies in base64, so no relay needs 8BITMIME.
    raw = smtp_server.raw[0]
    assert raw.isascii()
    assert b"Subject: =?utf-8?b?" in raw.replace(b"\r\n ", b" ").replace(b"Subject: \r\n", b"Subject:")
    assert [p["Content-Transfer-Encoding"] for p in message.walk() if p.get_content_maintype() == "text"] == [
        "base64",
        "base64",
    ]
    queued.refresh_from_db()
    assert queued.status == OutgoingEmail.Status.SENT
    assert queued.attempts == 1
    assert queued.sent_at is not None


def test_mail_is_held_while_the_server_is_down_and_delivered_once_when_it_returns(
    db, smtp_port, django_capture_on_commit_callbacks
):
    queued = _queue_mail(django_capture_on_commit_callbacks)

    assert run_pending_jobs() == 1
    queued.refresh_from_db()
    assert queued.status == OutgoingEmail.Status.QUEUED
    assert queued.attempts == 1
    assert queued.last_error.startswith("ConnectionRefusedError")
    assert DBTaskResult.objects.filter(status="FAILED").count() == 1
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after > timezone.now()

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        # Before the backoff has passed, nothing is sent even though the server is back.
        assert run_pending_jobs() == 0
        assert inbox.messages == []
        _time_passes()
        assert run_pending_jobs() == 1
        _time_passes()
        assert run_pending_jobs() == 0
    finally:
        controller.stop()

    assert [m["Subject"] for m in inbox.messages] == [SUBJECT]
    queued.refresh_from_db()
    assert queued.status == OutgoingEmail.Status.SENT
    assert queued.attempts == 2
    assert queued.last_error == ""
    assert list(DBTaskResult.objects.order_by("enqueued_at").values_list("status", flat=True)) == [
        "FAILED",
        "SUCCESSFUL",
    ]


def test_duplicated_delivery_job_does_not_send_twice(db, smtp_server, django_capture_on_commit_callbacks):
    queued = _queue_mail(django_capture_on_commit_callbacks)
    deliver_email.enqueue(queued.pk)

    assert run_pending_jobs() == 2

    assert len(smtp_server.messages) == 1
    assert sorted(DBTaskResult.objects.values_list("return_value", flat=True)) == ["already handled", "sent"]
    queued.refresh_from_db()
    assert queued.attempts == 1


def test_mail_is_not_queued_before_the_transaction_commits(
    db, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send_mail(["a@pref.example.jp"], SUBJECT, BODY)
    assert DBTaskResult.objects.count() == 0
    assert len(callbacks) == 1


def test_mail_without_recipients_is_not_queued(db):
    assert send_mail(["", ""], SUBJECT, BODY) is None
    assert OutgoingEmail.objects.count() == 0


def test_without_smtp_url_mail_goes_to_the_log(db, settings, caplog, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "kiban.core.mail.LogEmailBackend"
    queued = _queue_mail(django_capture_on_commit_callbacks)
    with caplog.at_level("INFO", logger="kiban.mail"):
        run_pending_jobs()
    logged = [r.getMessage() for r in caplog.records if r.name == "kiban.mail"]
    assert len(logged) == 1
    assert SUBJECT in logged[0]
    assert BODY in logged[0]
    queued.refresh_from_db()
    assert queued.status == OutgoingEmail.Status.SENT


# --- KIBAN_SMTP_URL ------------------------------------------------------------------------------------------


def test_plain_smtp_url():
    assert parse_smtp_url("smtp://mail.pref.example.jp:2525") == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.pref.example.jp",
        "EMAIL_PORT": 2525,
        "EMAIL_USE_SSL": False,
        "EMAIL_USE_TLS": False,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_TIMEOUT": 10,
    }


def test_plain_smtp_url_defaults_to_port_25():
    assert parse_smtp_url("smtp://relay")["EMAIL_PORT"] == 25


def test_smtps_url_with_login_decodes_user_and_password():
    parsed = parse_smtp_url("smtps://kiban%40pref.example.jp:p%40ss%2Fw0rd@mail.pref.example.jp")
    assert (parsed["EMAIL_USE_SSL"], parsed["EMAIL_USE_TLS"], parsed["EMAIL_PORT"]) == (True, False, 465)
    assert parsed["EMAIL_HOST_USER"] == "kiban@pref.example.jp"
    assert parsed["EMAIL_HOST_PASSWORD"] == "p@ss/w0rd"


@pytest.mark.parametrize(
    "url", ["smtp+starttls://user:pw@mail.example.jp", "smtp://user:pw@mail.example.jp?starttls=1"]
)
def test_starttls_url(url):
    parsed = parse_smtp_url(url)
    assert (parsed["EMAIL_USE_SSL"], parsed["EMAIL_USE_TLS"], parsed["EMAIL_PORT"]) == (False, True, 587)
    assert (parsed["EMAIL_HOST_USER"], parsed["EMAIL_HOST_PASSWORD"]) == ("user", "pw")


@pytest.mark.parametrize("url", ["http://mail.example.jp", "smtps://mail.example.jp?starttls=1"])
def test_unusable_smtp_url_is_refused(url):
    with pytest.raises(ValueError, match="KIBAN_SMTP_URL"):
        parse_smtp_url(url)


# --- TLS and login against a real server ------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def _authenticator(inbox: Inbox):
    def authenticate(server, session, envelope, mechanism, auth_data):
        inbox.logins.append(auth_data.login)
        return AuthResult(success=auth_data.login == b"kiban" and auth_data.password == b"p@ss/w0rd")

    return authenticate


@pytest.mark.parametrize("mode", ["starttls", "smtps"])
def test_mail_over_tls_with_login(
    mode, db, settings, smtp_port, certificate, monkeypatch, django_capture_on_commit_callbacks
):
    cert, key = certificate
    # The client verifies the server as in production; it trusts this test certificate only.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    url = f"smtp+starttls://kiban:p%40ss%2Fw0rd@127.0.0.1:{smtp_port}"
    if mode == "smtps":
        url = f"smtps://kiban:p%40ss%2Fw0rd@127.0.0.1:{smtp_port}"
    for name, value in parse_smtp_url(url).items():
        setattr(settings, name, value)
    inbox = Inbox()
    options = {"authenticator": _authenticator(inbox), "auth_require_tls": True}
    if mode == "starttls":
        controller = Controller(
            inbox, hostname="127.0.0.1", port=smtp_port, tls_context=server_context, require_starttls=True,
            **options,
        )  # fmt: skip
    else:
        # aiosmtpd does not see implicit TLS as "TLS" for auth_require_tls; the socket is TLS all the same.
        options["auth_require_tls"] = False
        controller = Controller(
            inbox, hostname="127.0.0.1", port=smtp_port, ssl_context=server_context, **options
        )
    controller.start()
    try:
        queued = _queue_mail(django_capture_on_commit_callbacks)
        run_pending_jobs()
    finally:
        controller.stop()

    assert inbox.logins == [b"kiban"]
    assert [m["Subject"] for m in inbox.messages] == [SUBJECT]
    queued.refresh_from_db()
    assert queued.status == OutgoingEmail.Status.SENT


def test_mail_is_marked_failed_after_the_last_attempt_and_not_retried(db, smtp_port):
    queued = OutgoingEmail.objects.create(
        to=["a@pref.example.jp"], subject=SUBJECT, body=BODY, attempts=MAIL_RETRIES
    )
    deliver_email.enqueue(queued.pk, _attempt=MAIL_RETRIES + 1)  # the 13th and last attempt; no server

    assert run_pending_jobs() == 1

    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (OutgoingEmail.Status.FAILED, MAIL_RETRIES + 1)
    assert queued.last_error.startswith("ConnectionRefusedError")
    assert list(DBTaskResult.objects.values_list("status", flat=True)) == ["FAILED"]
