from __future__ import annotations

import base64
from urllib.parse import unquote

import pyotp
import pytest

from kiban.accounts.models import RecoveryCode
from kiban.accounts.tests.factories import PASSWORD
from kiban.accounts.tests.helpers import (
    RECOVERY_CODE,
    browser,
    code_after_next_step,
    post_form,
    sign_in,
)
from kiban.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def enrol(client) -> tuple[str, list[str]]:
    """Enrol through the page, as a person does; returns the secret and the recovery codes shown.
    The code typed to confirm is kept in `client.enrol_code`."""
    page = client.get("/account/two-factor")
    secret = client.session["kiban_2fa_enrol_secret"]
    html = page.content.decode()
    assert 'src="data:image/svg+xml' in html
    assert secret in html
    client.enrol_code = pyotp.TOTP(secret).now()
    response = post_form(client, "/account/two-factor", {"op": "enable", "code": client.enrol_code})
    assert response.status_code == 200
    codes = RECOVERY_CODE.findall(response.content.decode())
    return secret, codes


def test_enrolment_shows_a_qr_code_of_the_otpauth_uri_as_an_image(clerk):
    client = browser()
    sign_in(client, "100002", PASSWORD)
    html = client.get("/account/two-factor").content.decode()
    secret = client.session["kiban_2fa_enrol_secret"]
    start = html.index('src="data:image/svg+xml') + len('src="')
    data_uri = html[start : html.index('"', start)]
    assert data_uri.startswith("data:image/svg+xml")
    assert "<script" not in unquote(data_uri)
    assert (
        "<svg" in unquote(data_uri) or "<svg" in base64.b64decode(data_uri.split(",", 1)[1] + "==").decode()
    )
    clerk.refresh_from_db()
    assert clerk.totp_enabled is False  # nothing enabled by just looking
    assert secret not in (clerk.totp_secret,)


def test_wrong_confirmation_code_does_not_enable_two_factor(clerk):
    client = browser()
    sign_in(client, "100002", PASSWORD)
    client.get("/account/two-factor")
    response = post_form(client, "/account/two-factor", {"op": "enable", "code": "000000"})
    assert response.status_code == 200
    assert "確認コードが違います" in response.content.decode()
    clerk.refresh_from_db()
    assert (clerk.totp_enabled, clerk.totp_secret) == (False, "")
    assert RecoveryCode.objects.count() == 0


def test_enrol_then_sign_in_with_a_totp_code(clerk):
    client = browser(ip="192.0.2.50")
    sign_in(client, "100002", PASSWORD)
    secret, codes = enrol(client)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    stored = list(RecoveryCode.objects.filter(user=clerk).values_list("code_hash", flat=True))
    assert len(stored) == 10
    assert not set(codes) & set(stored)  # hashed, never the code itself
    assert AuditEntry.objects.filter(action="auth.2fa_enabled", actor=clerk, ip="192.0.2.50").count() == 1

    phone = browser(ip="192.0.2.51")
    response = sign_in(phone, "100002", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/login/two-factor"
    assert "_auth_user_id" not in phone.session
    assert phone.get("/").status_code == 302  # not signed in after the password alone

    response = post_form(phone, "/login/two-factor", {"code": code_after_next_step(secret)})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert phone.get("/").status_code == 200


def test_a_totp_code_works_only_once(clerk):
    client = browser()
    sign_in(client, "100002", PASSWORD)
    enrol(client)
    # The code typed at enrolment has been used: it must not sign anyone in afterwards, even while
    # it is still inside its validity window.
    phone = browser()
    sign_in(phone, "100002", PASSWORD)
    response = post_form(phone, "/login/two-factor", {"code": client.enrol_code})
    assert response.status_code == 200
    html = response.content.decode()
    # Said as it is: the code was right but already used, not "wrong code".
    assert "この確認コードはすでに使われました。" in html
    assert "確認コードが違います。" not in html
    assert "_auth_user_id" not in phone.session
    # A code that was never right is still "wrong".
    wrong = post_form(
        phone, "/login/two-factor", {"code": "000000" if client.enrol_code != "000000" else "111111"}
    )
    assert "確認コードが違います。" in wrong.content.decode()


def test_a_recovery_code_signs_in_once_only(clerk):
    client = browser()
    sign_in(client, "100002", PASSWORD)
    _, codes = enrol(client)

    phone = browser(ip="192.0.2.52")
    sign_in(phone, "100002", PASSWORD)
    response = post_form(phone, "/login/two-factor", {"code": codes[3].upper()})
    assert response.status_code == 302
    assert RecoveryCode.objects.filter(user=clerk, used_at__isnull=False).count() == 1
    entry = AuditEntry.objects.get(action="auth.recovery_code_used")
    assert (entry.actor_id, entry.ip, entry.detail["remaining"]) == (clerk.pk, "192.0.2.52", 9)

    again = browser()
    sign_in(again, "100002", PASSWORD)
    response = post_form(again, "/login/two-factor", {"code": codes[3]})
    assert response.status_code == 200
    assert "_auth_user_id" not in again.session
    assert RecoveryCode.objects.filter(user=clerk, used_at__isnull=False).count() == 1


def test_token_endpoint_requires_otp_when_two_factor_is_on(clerk, client):
    web = browser()
    sign_in(web, "100002", PASSWORD)
    secret, codes = enrol(web)
    url = "/api/v1/auth/token"
    no_otp = client.post(url, {"username": "100002", "password": PASSWORD}, content_type="application/json")
    assert no_otp.status_code == 401
    assert no_otp.json()["detail"].startswith("otp:")
    wrong = client.post(
        url, {"username": "100002", "password": PASSWORD, "otp": "123456"}, content_type="application/json"
    )
    assert wrong.status_code == 401
    good = client.post(
        url,
        {"username": "100002", "password": PASSWORD, "otp": code_after_next_step(secret)},
        content_type="application/json",
    )
    assert good.status_code == 201
    with_recovery = client.post(
        url, {"username": "100002", "password": PASSWORD, "otp": codes[0]}, content_type="application/json"
    )
    assert with_recovery.status_code == 201


def test_disabling_two_factor_requires_the_password(clerk):
    client = browser(ip="192.0.2.53")
    sign_in(client, "100002", PASSWORD)
    enrol(client)
    response = post_form(client, "/account/two-factor", {"op": "disable", "password": "not-my-password"})
    assert response.status_code == 200
    assert "パスワードが違います。" in response.content.decode()
    clerk.refresh_from_db()
    assert clerk.totp_enabled is True
    assert RecoveryCode.objects.filter(user=clerk).count() == 10

    response = post_form(client, "/account/two-factor", {"op": "disable", "password": PASSWORD})
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert (clerk.totp_enabled, clerk.totp_secret) == (False, "")
    assert RecoveryCode.objects.filter(user=clerk).count() == 0
    entry = AuditEntry.objects.get(action="auth.2fa_disabled")
    assert (entry.actor_id, entry.ip) == (clerk.pk, "192.0.2.53")
    # Signing in no longer asks for a code.
    assert sign_in(browser(), "100002", PASSWORD)["Location"] == "/"


def test_it_admin_resets_two_factor_of_someone_who_lost_phone_and_codes(
    clerk, it_admin, section_head, client
):
    phone = browser()
    sign_in(phone, "100002", PASSWORD)
    enrol(phone)
    clerk.refresh_from_db()
    assert clerk.totp_enabled is True

    client.force_login(it_admin)
    response = client.post(
        "/admin/accounts/staff/",
        {"action": "reset_two_factor", "_selected_action": [clerk.pk, section_head.pk]},
    )
    assert response.status_code == 302

    clerk.refresh_from_db()
    assert (clerk.totp_enabled, clerk.totp_secret) == (False, "")
    assert not RecoveryCode.objects.filter(user=clerk).exists()
    assert phone.get("/").status_code == 302  # signed out everywhere
    # Audited once, for the person who had it on; the section head had nothing to reset.
    entries = AuditEntry.objects.filter(action="admin.2fa_reset")
    assert [(e.actor_username, e.target_id) for e in entries] == [("100009", str(clerk.pk))]
    # The password alone signs in again, so the person can enrol a new phone.
    assert sign_in(browser(), "100002", PASSWORD).status_code == 302


def test_only_it_administrators_can_reset_two_factor(clerk, client):
    phone = browser()
    sign_in(phone, "100002", PASSWORD)
    enrol(phone)
    client.force_login(clerk)
    response = client.post(
        "/admin/accounts/staff/", {"action": "reset_two_factor", "_selected_action": [clerk.pk]}
    )
    assert response.status_code == 302 and "/admin/login" in response["Location"]
    clerk.refresh_from_db()
    assert clerk.totp_enabled is True


def test_the_security_page_shows_whether_two_factor_is_on(clerk):
    client = browser()
    sign_in(client, "100002", PASSWORD)
    before = client.get("/account/security").content.decode()
    state = before.split('data-testid="two-factor-state">')[1].split("</section>")[0]
    assert '<span class="badge badge-warn">無効</span>' in state
    assert 'href="/account/two-factor">二要素認証を設定する</a>' in state
    enrol(client)
    after = client.get("/account/security").content.decode()
    state = after.split('data-testid="two-factor-state">')[1].split("</section>")[0]
    assert '<span class="badge badge-ok">有効</span>' in state
    assert 'href="/account/two-factor">二要素認証の管理</a>' in state
