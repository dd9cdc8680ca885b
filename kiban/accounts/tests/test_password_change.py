"""Staff change their own password (issue 9 item 20): API and page share `do_change_password`."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session

from kiban.accounts.models import ApiToken, DeviceSession, LoginFailure, SecurityPolicy, Staff
from kiban.accounts.tests.factories import PASSWORD
from kiban.accounts.tests.helpers import CHROME_ANDROID, FIREFOX_WINDOWS, browser, post_form, sign_in
from kiban.core.models import AuditEntry

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/password"
PAGE = "/account/password"
NEW = "yuki-no-hi-ni-kasa-wo"


def token_for(client, username: str = "100002", label: str = "iPhone") -> dict:
    response = client.post(
        "/api/v1/auth/token",
        {"username": username, "password": PASSWORD, "label": label},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def change(client, token: str, **body):
    return client.post(URL, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def password_works(username: str, password: str) -> bool:
    return Staff.objects.get(username=username).check_password(password)


def test_api_changes_the_password_and_audits_without_it(clerk, client):
    token = token_for(client)["token"]
    response = change(client, token, current=PASSWORD, new=NEW)
    assert response.status_code == 200, response.content
    assert response.json() == {"sessions_ended": 0, "tokens_revoked": 0}
    assert password_works("100002", NEW)
    assert not password_works("100002", PASSWORD)
    entry = AuditEntry.objects.get(action="auth.password_changed")
    assert (entry.actor_id, entry.target_id) == (clerk.pk, str(clerk.pk))
    assert entry.detail == {"sessions_ended": 0, "tokens_revoked": 0}
    assert NEW not in str(entry.detail) and PASSWORD not in str(entry.detail)
    # The token that made the change still works (revoke_tokens was not asked for).
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_api_wrong_current_password_is_400_naming_current_and_counts_as_a_failure(clerk, client):
    token = token_for(client)["token"]
    response = change(client, token, current="not-my-password", new=NEW)
    assert response.status_code == 400
    assert response.json()["detail"] == "current: 現在のパスワードが違います。"
    assert password_works("100002", PASSWORD)
    assert LoginFailure.objects.filter(username="100002", channel="password").count() == 1
    assert not AuditEntry.objects.filter(action="auth.password_changed").exists()


def test_api_wrong_current_passwords_are_rate_limited_like_sign_in(clerk, client):
    token = token_for(client)["token"]
    for _ in range(5):
        assert change(client, token, current="guess", new=NEW).status_code == 400
    response = change(client, token, current=PASSWORD, new=NEW)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert password_works("100002", PASSWORD)


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("short-pw", "このパスワードは短すぎます。最低 10 文字以上必要です。"),
        ("password1234", "このパスワードは一般的すぎます。"),
        (PASSWORD, "新しいパスワードが現在のパスワードと同じです。"),
    ],
)
def test_api_policy_failure_is_400_naming_new_and_changes_nothing(clerk, client, new, message):
    token = token_for(client)["token"]
    response = change(client, token, current=PASSWORD, new=new)
    assert response.status_code == 400
    assert response.json()["detail"] == f"new: {message}"
    assert password_works("100002", PASSWORD)
    assert not AuditEntry.objects.filter(action="auth.password_changed").exists()


def test_api_missing_field_is_400_naming_it(clerk, client):
    token = token_for(client)["token"]
    response = change(client, token, current=PASSWORD)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("new:")


def test_api_can_revoke_every_other_token(clerk, client):
    caller = token_for(client, label="this one")
    other = token_for(client, label="old phone")
    response = change(client, caller["token"], current=PASSWORD, new=NEW, revoke_tokens=True)
    assert response.status_code == 200
    assert response.json()["tokens_revoked"] == 1
    assert list(ApiToken.objects.filter(user=clerk).values_list("pk", flat=True)) == [caller["id"]]
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {other['token']}").status_code == 401


def test_page_change_signs_out_other_browsers_and_keeps_this_one(clerk):
    pc = browser(FIREFOX_WINDOWS, ip="192.0.2.90")
    phone = browser(CHROME_ANDROID, ip="192.0.2.91")
    sign_in(pc, "100002", PASSWORD)
    sign_in(phone, "100002", PASSWORD)
    phone_row = DeviceSession.objects.get(user=clerk, user_agent=CHROME_ANDROID)

    response = post_form(pc, PAGE, {"current": PASSWORD, "new": NEW, "new_again": NEW})

    assert response.status_code == 302
    assert response["Location"] == "/account/security"
    assert (
        "パスワードを変更しました。ほかの端末1台をログアウトさせました。"
        in pc.get("/account/security").content.decode()
    )
    assert phone.get("/").status_code == 302  # signed out
    assert not Session.objects.filter(session_key=phone_row.session_key).exists()
    assert pc.get("/").status_code == 200  # still signed in
    # This browser's device row follows its new session key, so the device list still shows it.
    [row] = DeviceSession.objects.filter(user=clerk)
    assert row.user_agent == FIREFOX_WINDOWS
    assert row.session_key == pc.session.session_key
    assert AuditEntry.objects.get(action="auth.password_changed").detail["sessions_ended"] == 1
    assert password_works("100002", NEW)


def test_page_wrong_current_password_shows_the_error_at_the_field(clerk):
    pc = browser()
    sign_in(pc, "100002", PASSWORD)
    response = post_form(pc, PAGE, {"current": "nope", "new": NEW, "new_again": NEW})
    assert response.status_code == 400
    assert "現在のパスワードが違います。" in response.content.decode()
    assert password_works("100002", PASSWORD)


def test_page_policy_failure_and_mismatch_are_shown_and_change_nothing(clerk):
    pc = browser()
    sign_in(pc, "100002", PASSWORD)
    response = post_form(pc, PAGE, {"current": PASSWORD, "new": "short", "new_again": "short"})
    assert response.status_code == 400
    assert "このパスワードは短すぎます。" in response.content.decode()
    response = post_form(pc, PAGE, {"current": PASSWORD, "new": NEW, "new_again": NEW + "x"})
    assert response.status_code == 400
    assert "確認のパスワードが一致しません。" in response.content.decode()
    assert password_works("100002", PASSWORD)


def test_account_menu_links_to_the_page(clerk):
    pc = browser()
    sign_in(pc, "100002", PASSWORD)
    assert 'href="/account/password"' in pc.get("/").content.decode()
    assert pc.get(PAGE).status_code == 200


def test_locked_out_message_says_whom_to_contact(clerk):
    client = browser(ip="192.0.2.92")
    for _ in range(5):
        sign_in(client, "100002", "wrong-password")
    html = sign_in(client, "100002", PASSWORD).content.decode()
    assert "急ぐ場合やパスワードを忘れた場合は、情報政策課(IT管理者)に連絡してください。" in html

    SecurityPolicy.objects.create(lockout_contact="デジタル推進課 内線2345")
    html = sign_in(client, "100002", PASSWORD).content.decode()
    assert "デジタル推進課 内線2345に連絡してください。" in html
