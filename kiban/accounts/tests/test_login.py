from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session

from kiban.accounts.models import DeviceSession, LoginFailure
from kiban.accounts.tests.factories import PASSWORD
from kiban.accounts.tests.helpers import browser, csrf_token_of, post_form, sign_in
from kiban.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_login_page_is_served_at_slash_login_with_username_and_password_fields():
    response = browser().get("/login")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="username"' in html
    assert 'name="password"' in html


def test_correct_password_signs_in_and_records_the_device_and_audit(clerk):
    client = browser(ip="192.0.2.44")
    response = sign_in(client, "100002", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    device = DeviceSession.objects.get(user=clerk)
    assert device.session_key == client.session.session_key
    assert str(device.ip) == "192.0.2.44"
    entry = AuditEntry.objects.get(action="auth.login")
    assert (entry.actor_id, entry.actor_username, entry.ip) == (clerk.pk, "100002", "192.0.2.44")


def test_login_redirects_to_a_safe_next_only(clerk):
    client = browser()
    token = csrf_token_of(client, "/login?next=/account/security")
    response = client.post(
        "/login",
        {
            "username": "100002",
            "password": PASSWORD,
            "next": "/account/security",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response["Location"] == "/account/security"
    other = browser()
    token = csrf_token_of(other, "/login")
    response = other.post(
        "/login",
        {
            "username": "100002",
            "password": PASSWORD,
            "next": "https://evil.example/",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response["Location"] == "/"


def test_wrong_password_is_refused_with_a_message_and_counted(clerk):
    client = browser(ip="192.0.2.45")
    response = sign_in(client, "100002", "wrong-password")
    assert response.status_code == 200
    assert "職員番号またはパスワードが違います。" in response.content.decode()
    assert "_auth_user_id" not in client.session
    failure = LoginFailure.objects.get()
    assert (failure.username, failure.ip, failure.channel) == ("100002", "192.0.2.45", "web")
    entry = AuditEntry.objects.get(action="auth.login_failed")
    assert (entry.actor_id, entry.actor_username, entry.ip) == (None, "100002", "192.0.2.45")
    assert entry.detail == {"username": "100002", "channel": "web", "reason": "password"}


def test_unknown_username_gets_the_same_answer_as_a_wrong_password(db):
    response = sign_in(browser(), "999999", "whatever-password")
    assert response.status_code == 200
    assert "職員番号またはパスワードが違います。" in response.content.decode()
    assert AuditEntry.objects.get(action="auth.login_failed").actor_username == "999999"


def test_retired_staff_cannot_sign_in(clerk):
    clerk.is_active = False
    clerk.save()
    client = browser()
    response = sign_in(client, "100002", PASSWORD)
    assert response.status_code == 200
    assert "職員番号またはパスワードが違います。" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not DeviceSession.objects.exists()


def test_retiring_staff_ends_their_open_sessions(clerk):
    client = browser()
    sign_in(client, "100002", PASSWORD)
    assert client.get("/").status_code == 200
    clerk.is_active = False
    clerk.save()
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login")


def test_logout_is_post_only_and_removes_the_session_and_device(clerk):
    client = browser(ip="192.0.2.46")
    sign_in(client, "100002", PASSWORD)
    session_key = client.session.session_key
    assert client.get("/logout").status_code == 405
    response = post_form(client, "/logout", {}, form_path="/account/security")
    assert response.status_code == 302
    assert response["Location"] == "/login"
    assert not Session.objects.filter(session_key=session_key).exists()
    assert not DeviceSession.objects.filter(session_key=session_key).exists()
    assert client.get("/").status_code == 302
    entry = AuditEntry.objects.get(action="auth.logout")
    assert (entry.actor_id, entry.ip) == (clerk.pk, "192.0.2.46")


def test_login_form_without_csrf_token_is_refused(clerk):
    client = browser()
    response = client.post("/login", {"username": "100002", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    assert not AuditEntry.objects.filter(action="auth.login").exists()


def test_session_cookie_is_http_only(clerk):
    client = browser()
    response = sign_in(client, "100002", PASSWORD)
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


@pytest.mark.parametrize(
    ("path", "signed_in", "status"),
    [
        ("/login", False, 200),
        ("/login", True, 302),
        ("/account/security", True, 200),
        ("/account/two-factor", True, 200),
        ("/manage/audit", True, 200),
        ("/admin/", True, 200),
        ("/api/v1/auth/tokens", True, 200),
        ("/api/v1/auth/tokens", False, 401),
    ],
)
def test_every_response_has_a_strict_content_security_policy(it_admin, client, path, signed_in, status):
    if signed_in:
        client.force_login(it_admin)
    response = client.get(path)
    assert response.status_code == status
    csp = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert csp["script-src"] == "'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_login_page_switches_language_before_sign_in(client, db):
    page = client.get("/login").content.decode()
    assert '<button class="btn" name="language" value="en" type="submit" lang="en">English</button>' in page
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login"})
    assert response.status_code == 302 and response["Location"] == "/login"
    english = client.get("/login").content.decode()
    assert '<html lang="en"' in english
    assert 'value="ja" type="submit" lang="ja">日本語</button>' in english
