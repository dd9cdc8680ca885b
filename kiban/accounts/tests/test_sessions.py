from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from kiban.accounts.devices import describe_user_agent
from kiban.accounts.models import DeviceSession
from kiban.accounts.tests.factories import PASSWORD
from kiban.accounts.tests.helpers import (
    CHROME_ANDROID,
    FIREFOX_WINDOWS,
    browser,
    csrf_cookie,
    post_form,
    sign_in,
)
from kiban.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_security_page_lists_each_device_in_words_and_marks_this_one(clerk):
    pc = browser(FIREFOX_WINDOWS, ip="192.0.2.80")
    phone = browser(CHROME_ANDROID, ip="192.0.2.81")
    sign_in(pc, "100002", PASSWORD)
    sign_in(phone, "100002", PASSWORD)
    html = pc.get("/account/security").content.decode()
    assert "Firefox / Windows" in html
    assert "Chrome / Android" in html
    assert "192.0.2.81" in html
    assert html.count("この端末") == 1
    this_one = html.index("この端末")
    assert html.rfind("Firefox / Windows", 0, this_one) > html.rfind("Chrome / Android", 0, this_one)


def test_revoking_a_session_signs_that_browser_out(clerk):
    pc = browser(FIREFOX_WINDOWS, ip="192.0.2.82")
    phone = browser(CHROME_ANDROID)
    sign_in(pc, "100002", PASSWORD)
    sign_in(phone, "100002", PASSWORD)
    lost = DeviceSession.objects.get(user=clerk, user_agent=CHROME_ANDROID)
    response = post_form(pc, f"/account/sessions/{lost.pk}/revoke", {}, form_path="/account/security")
    assert response.status_code == 302
    assert response["Location"] == "/account/security"
    assert not Session.objects.filter(session_key=lost.session_key).exists()
    assert not DeviceSession.objects.filter(pk=lost.pk).exists()
    assert phone.get("/").status_code == 302  # the lost phone is signed out
    assert pc.get("/").status_code == 200  # this browser is not
    entry = AuditEntry.objects.get(action="auth.session_revoked")
    assert (entry.actor_id, entry.ip, entry.target_id) == (clerk.pk, "192.0.2.82", str(lost.pk))


def test_sessions_api_lists_and_revokes_own_sessions_only(clerk, other_clerk):
    pc = browser(FIREFOX_WINDOWS)
    phone = browser(CHROME_ANDROID)
    theirs = browser()
    sign_in(pc, "100002", PASSWORD)
    sign_in(phone, "100002", PASSWORD)
    sign_in(theirs, "500001", PASSWORD)
    listed = pc.get("/api/v1/auth/sessions").json()["results"]
    assert sorted((s["device"], s["current"]) for s in listed) == [
        ("Chrome / Android", False),
        ("Firefox / Windows", True),
    ]
    assert set(listed[0]) == {"id", "device", "user_agent", "ip", "created_at", "last_seen_at", "current"}

    other_session = DeviceSession.objects.get(user=other_clerk)
    response = pc.delete(f"/api/v1/auth/sessions/{other_session.pk}", HTTP_X_CSRFTOKEN=csrf_cookie(pc))
    assert response.status_code == 404
    assert DeviceSession.objects.filter(pk=other_session.pk).exists()
    assert theirs.get("/").status_code == 200

    phone_session = DeviceSession.objects.get(user=clerk, user_agent=CHROME_ANDROID)
    response = pc.delete(f"/api/v1/auth/sessions/{phone_session.pk}", HTTP_X_CSRFTOKEN=csrf_cookie(pc))
    assert response.status_code == 204
    assert phone.get("/").status_code == 302


def test_another_persons_session_cannot_be_revoked_from_the_security_page(clerk, other_clerk):
    theirs = browser()
    sign_in(theirs, "500001", PASSWORD)
    mine = browser()
    sign_in(mine, "100002", PASSWORD)
    other_session = DeviceSession.objects.get(user=other_clerk)
    response = post_form(
        mine, f"/account/sessions/{other_session.pk}/revoke", {}, form_path="/account/security"
    )
    assert response.status_code == 404
    assert theirs.get("/").status_code == 200
    assert "500001" not in mine.get("/account/security").content.decode()


def test_expired_sessions_are_not_listed(clerk):
    pc = browser()
    phone = browser(CHROME_ANDROID)
    sign_in(pc, "100002", PASSWORD)
    sign_in(phone, "100002", PASSWORD)
    Session.objects.filter(session_key=phone.session.session_key).update(expire_date=timezone.now())
    listed = pc.get("/api/v1/auth/sessions").json()["results"]
    assert [s["device"] for s in listed] == ["Firefox / Windows"]


@pytest.mark.parametrize(
    ("user_agent", "words"),
    [
        (CHROME_ANDROID, "Chrome / Android"),
        (FIREFOX_WINDOWS, "Firefox / Windows"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari / iPhone",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0",
            "Edge / Windows",
        ),
        ("curl/8.5.0", "curl"),
        ("", "不明な端末"),
    ],
)
def test_device_names_in_words(user_agent, words):
    assert describe_user_agent(user_agent) == words


def test_page_views_between_refreshes_cost_no_device_session_query(clerk):
    import datetime as dt

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kiban.accounts.middleware import SEEN_KEY

    phone = browser()
    sign_in(phone, "100002", PASSWORD)
    phone.get("/")
    with CaptureQueriesContext(connection) as ctx:
        phone.get("/")
    assert not [q for q in ctx.captured_queries if "accounts_devicesession" in q["sql"]]

    # Six minutes later (as the session remembers it) the device row is refreshed once.
    session = phone.session
    session[SEEN_KEY] = (timezone.now() - dt.timedelta(minutes=6)).timestamp()
    session.save()
    DeviceSession.objects.filter(user=clerk).update(last_seen_at=timezone.now() - dt.timedelta(minutes=6))
    phone.get("/")
    refreshed = DeviceSession.objects.get(user=clerk).last_seen_at
    assert timezone.now() - refreshed < dt.timedelta(minutes=1)
