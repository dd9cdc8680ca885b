"""The email digest through a real SMTP server: who gets it, what it says, and never twice."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from kiban.accounts.models import DeviceSession
from kiban.core.jobs import run_pending_jobs
from kiban.core.models import OutgoingEmail
from kiban.notifications import digest
from kiban.notifications.jobs import send_email_digests
from kiban.notifications.models import Notification, NotificationPolicy, NotificationPreference
from kiban.notifications.tests.factories import NotificationFactory

BASE = "https://kiban.pref.example.lg.jp"


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.BASE_URL = BASE


def _seen(person, minutes_ago: float) -> None:
    DeviceSession.objects.create(
        user=person,
        session_key=f"s{person.pk}-{minutes_ago}",
        last_seen_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
    )


def _unread_dms(recipient, section_head, other_clerk):
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    return [
        NotificationFactory(
            recipient=recipient,
            kind="chat.dm",
            actor=section_head,
            title="髙橋 一郎さんからのメッセージ",
            body="明日の人事異動の打ち合わせ、\n10時からでお願いします。",
            url="/chat/c/7",
            group_key="conversation:7",
            seq=4,
            created_at=an_hour_ago,
        ),
        NotificationFactory(
            recipient=recipient,
            kind="chat.mention",
            actor=other_clerk,
            title="渡邊 健さんが #道路課 であなたをメンションしました",
            body="@佐藤 " + "舗装工事の資料を共有します。" * 20,
            url="/chat/c/9",
            group_key="conversation:9",
            seq=12,
            created_at=an_hour_ago,
        ),
    ]


def _run_digest(capture) -> int:
    """The repeating job as the worker runs it, then the mail delivery it queued."""
    send_email_digests.enqueue()
    with capture(execute=True):
        ran = run_pending_jobs()
    return ran + run_pending_jobs()


@pytest.mark.django_db
def test_offline_person_gets_one_summary_with_senders_excerpts_and_links(
    smtp_server, clerk, section_head, other_clerk, django_capture_on_commit_callbacks
):
    _seen(clerk, minutes_ago=90)
    dm, mention = _unread_dms(clerk, section_head, other_clerk)

    assert _run_digest(django_capture_on_commit_callbacks) == 2  # the digest job, then one delivery

    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "100002@pref.example.lg.jp"
    assert message["Subject"] == "【基盤】未読のメッセージが 2 件あります"
    text = message.get_body(("plain",)).get_content()
    assert text.startswith("佐藤 花子 様\n\n基盤に未読のメッセージが 2 件あります。\n")
    assert "■ 髙橋 一郎 — 髙橋 一郎さんからのメッセージ（令和" in text
    assert "  明日の人事異動の打ち合わせ、 10時からでお願いします。\n" in text
    assert f"  {BASE}/chat/c/7\n" in text
    assert "■ 渡邊 健 — 渡邊 健さんが #道路課 であなたをメンションしました" in text
    assert f"  {BASE}/chat/c/9\n" in text
    excerpt = next(line for line in text.splitlines() if line.startswith("  @佐藤"))
    assert len(excerpt.strip()) == digest.EXCERPT
    assert excerpt.endswith("…")
    assert f"{BASE}/notifications/" in text
    html = message.get_body(("html",)).get_content()
    assert f'<a href="{BASE}/chat/c/7">髙橋 一郎さんからのメッセージ</a>' in html
    assert "<strong>渡邊 健</strong>" in html
    assert set(Notification.objects.values_list("emailed_at", flat=True)) != {None}
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0
    # Mailing does not make them read: the centre still shows them unread.
    assert Notification.objects.filter(read_at__isnull=True).count() == 2


@pytest.mark.django_db
def test_a_second_run_sends_nothing_more(
    smtp_server, clerk, section_head, other_clerk, django_capture_on_commit_callbacks
):
    _seen(clerk, minutes_ago=90)
    _unread_dms(clerk, section_head, other_clerk)

    _run_digest(django_capture_on_commit_callbacks)
    assert digest.send_email_digests() == {"people": 0, "notifications": 0}
    run_pending_jobs()

    assert len(smtp_server.messages) == 1
    assert OutgoingEmail.objects.count() == 1


@pytest.mark.django_db
def test_someone_online_gets_no_mail(
    smtp_server, clerk, section_head, other_clerk, django_capture_on_commit_callbacks
):
    _seen(clerk, minutes_ago=5)
    _unread_dms(clerk, section_head, other_clerk)

    _run_digest(django_capture_on_commit_callbacks)

    assert smtp_server.messages == []
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 0


@pytest.mark.django_db
def test_someone_with_nothing_unread_gets_no_mail(
    smtp_server, clerk, section_head, other_clerk, django_capture_on_commit_callbacks
):
    _seen(clerk, minutes_ago=90)
    _unread_dms(clerk, section_head, other_clerk)
    Notification.objects.update(read_at=timezone.now())
    # Kinds outside the digest's list (a reminder, a reply) never count.
    NotificationFactory(
        recipient=clerk, kind="calendar.reminder", created_at=timezone.now() - dt.timedelta(hours=2)
    )

    _run_digest(django_capture_on_commit_callbacks)

    assert smtp_server.messages == []
    assert OutgoingEmail.objects.count() == 0


@pytest.mark.django_db
def test_only_the_offline_person_is_mailed_and_only_about_their_own(
    smtp_server, clerk, section_head, other_clerk, django_capture_on_commit_callbacks
):
    _seen(clerk, minutes_ago=90)
    _seen(other_clerk, minutes_ago=1)
    _unread_dms(clerk, section_head, other_clerk)
    NotificationFactory(
        recipient=other_clerk, kind="chat.dm", title="渡邊さんだけの話", created_at=timezone.now()
    )

    _run_digest(django_capture_on_commit_callbacks)

    assert [m["To"] for m in smtp_server.messages] == ["100002@pref.example.lg.jp"]
    assert "渡邊さんだけの話" not in smtp_server.messages[0].get_body(("plain",)).get_content()
    assert Notification.objects.get(recipient=other_clerk).emailed_at is None


@pytest.mark.django_db
def test_the_offline_threshold_and_kinds_are_the_administrators_policy(
    smtp_server, clerk, section_head, other_clerk, django_capture_on_commit_callbacks
):
    NotificationPolicy.objects.create(digest_after_minutes=120, digest_kinds="chat.dm")
    _seen(clerk, minutes_ago=90)
    _unread_dms(clerk, section_head, other_clerk)

    _run_digest(django_capture_on_commit_callbacks)
    assert smtp_server.messages == []

    NotificationPolicy.objects.update(digest_after_minutes=60)
    _run_digest(django_capture_on_commit_callbacks)
    assert [m["Subject"] for m in smtp_server.messages] == ["【基盤】未読のメッセージが 1 件あります"]
    assert "メンション" not in smtp_server.messages[0].get_body(("plain",)).get_content()


@pytest.mark.django_db
def test_no_mail_when_the_person_or_the_administrator_turned_it_off(
    smtp_server, clerk, section_head, other_clerk, django_capture_on_commit_callbacks
):
    _seen(clerk, minutes_ago=90)
    _unread_dms(clerk, section_head, other_clerk)
    NotificationPreference.objects.create(user=clerk, email_digest=False)
    _run_digest(django_capture_on_commit_callbacks)

    NotificationPreference.objects.update(email_digest=True)
    NotificationPolicy.objects.create(digest_enabled=False)
    _run_digest(django_capture_on_commit_callbacks)

    assert smtp_server.messages == []
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 0


@pytest.mark.django_db
def test_someone_never_seen_is_offline(
    smtp_server, clerk, section_head, other_clerk, django_capture_on_commit_callbacks
):
    _unread_dms(clerk, section_head, other_clerk)
    _run_digest(django_capture_on_commit_callbacks)
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_mail_each_notification_once(clerk, section_head, other_clerk):
    _seen(clerk, minutes_ago=90)
    _unread_dms(clerk, section_head, other_clerk)
    barrier = threading.Barrier(2)
    results: list[dict] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(digest.send_email_digests())
        except BaseException as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert errors == []
    assert sorted(r["notifications"] for r in results) == [0, 2]
    assert OutgoingEmail.objects.count() == 1


@pytest.mark.django_db
def test_someone_connected_over_the_websocket_gets_no_mail(
    smtp_server, clerk, section_head, other_clerk, django_capture_on_commit_callbacks
):
    from kiban.realtime import presence

    _seen(clerk, minutes_ago=600)  # the last page load was long ago, but a socket is open
    presence.arrived(clerk.pk)
    _unread_dms(clerk, section_head, other_clerk)

    _run_digest(django_capture_on_commit_callbacks)

    assert smtp_server.messages == []
