"""The notification centre page and the bell in the navigation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kiban.notifications.models import Notification, NotificationPreference
from kiban.notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_clerk(client, clerk):
    client.force_login(clerk)
    return client


def test_centre_lists_own_notifications_with_wareki_and_unread_marked(
    as_clerk, clerk, other_clerk, section_head
):
    at = timezone.make_aware(dt.datetime(2026, 4, 1, 9, 30))
    read = NotificationFactory(recipient=clerk, title="既読の通知", created_at=at, read_at=at)
    unread = NotificationFactory(recipient=clerk, title="未読の通知", actor=section_head, created_at=at)
    NotificationFactory(recipient=other_clerk, title="他人の通知")

    html = as_clerk.get("/notifications/").content.decode()

    assert "未読の通知" in html
    assert "既読の通知" in html
    assert "他人の通知" not in html
    assert "令和8年4月1日 09:30" in html
    assert f'<li class="notif is-unread" data-notification-id="{unread.pk}">' in html
    assert f'<li class="notif" data-notification-id="{read.pk}">' in html
    assert "髙橋 一郎 ·" in html


def test_opening_a_notification_marks_it_read_and_goes_to_its_link(as_clerk, clerk):
    n = NotificationFactory(recipient=clerk, url="/chat/c/3")

    response = as_clerk.get(f"/notifications/{n.pk}/open/")

    assert response.status_code == 302
    assert response["Location"] == "/chat/c/3"
    n.refresh_from_db()
    assert n.read_at is not None


def test_opening_anothers_notification_is_404(as_clerk, other_clerk):
    theirs = NotificationFactory(recipient=other_clerk, url="/chat/c/3")
    assert as_clerk.get(f"/notifications/{theirs.pk}/open/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_from_the_page_with_htmx(as_clerk, clerk, other_clerk):
    NotificationFactory.create_batch(2, recipient=clerk)
    theirs = NotificationFactory(recipient=other_clerk)

    response = as_clerk.post("/notifications/read-all/", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert 'data-unread="0"' in response.content.decode()
    assert Notification.objects.filter(recipient=clerk, read_at__isnull=True).count() == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_more_button_pages_with_htmx(as_clerk, clerk):
    rows = NotificationFactory.create_batch(31, recipient=clerk)
    page = as_clerk.get("/notifications/").content.decode()
    assert f"?before={rows[1].pk}" in page
    assert f'data-notification-id="{rows[0].pk}"' not in page

    rest = as_clerk.get(
        f"/notifications/?before={rows[1].pk}", headers={"HX-Request": "true"}
    ).content.decode()
    assert f'data-notification-id="{rows[0].pk}"' in rest
    assert "<h1>" not in rest


def test_the_bell_on_every_page_shows_the_unread_count(as_clerk, clerk):
    NotificationFactory.create_batch(3, recipient=clerk)
    html = as_clerk.get("/").content.decode()
    assert 'data-notif-badge data-unread="3">3</span>' in html
    assert "kiban/notifications/notifications.js" in html


def test_the_bell_has_no_badge_without_unread(as_clerk, clerk):
    html = as_clerk.get("/").content.decode()
    assert 'data-unread="0" hidden>0</span>' in html


def test_person_turns_the_email_digest_off_and_on(as_clerk, clerk):
    assert as_clerk.post("/notifications/preferences/", {"email_digest": "0"}).status_code == 302
    assert NotificationPreference.objects.get(user=clerk).email_digest is False
    assert "メール要約を受け取る" in as_clerk.get("/notifications/").content.decode()

    as_clerk.post("/notifications/preferences/", {"email_digest": "1"})
    assert NotificationPreference.objects.get(user=clerk).email_digest is True


def test_centre_needs_sign_in(client):
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login")


def test_preferences_address_opened_in_the_browser_goes_to_the_setting_not_a_bare_405(as_clerk):
    response = as_clerk.get("/notifications/preferences/")
    assert response.status_code == 302
    assert response["Location"] == "/notifications/#preferences"
    page = as_clerk.get("/notifications/").content.decode()
    assert 'id="preferences"' in page
