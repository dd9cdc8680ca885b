from __future__ import annotations

import pytest

from kiban.accounts.models import ApiToken, DeviceSession, LoginFailure, SecurityPolicy
from kiban.accounts.tests.factories import PASSWORD
from kiban.accounts.tests.helpers import browser, sign_in
from kiban.accounts.tokens import hash_token

pytestmark = pytest.mark.django_db


def test_it_admin_finds_staff_by_kana_in_the_admin(it_admin, clerk, other_clerk, client):
    client.force_login(it_admin)
    response = client.get("/admin/accounts/staff/", {"q": "サトウ"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "100002" in html
    assert "500001" not in html


def test_it_admin_changes_a_password_through_the_admin_form(it_admin, clerk, client):
    client.force_login(it_admin)
    response = client.post(
        f"/admin/accounts/staff/{clerk.pk}/password/",
        {"password1": "brand-new-password-9", "password2": "brand-new-password-9"},
    )
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.check_password("brand-new-password-9")
    assert clerk.password.startswith("argon2")


def test_non_superuser_admin_cannot_grant_superuser(it_admin, clerk, client):
    client.force_login(it_admin)
    html = client.get(f"/admin/accounts/staff/{clerk.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in html
    assert 'name="is_active"' in html


def test_api_token_admin_cannot_add_or_edit(it_admin, clerk, client):
    token = ApiToken.objects.create(user=clerk, label="x", token_hash=hash_token("kbn_x"), prefix="kbn_x")
    client.force_login(it_admin)
    assert client.get("/admin/accounts/apitoken/").status_code == 200
    assert client.get("/admin/accounts/apitoken/add/").status_code == 403
    response = client.post(f"/admin/accounts/apitoken/{token.pk}/change/", {"label": "changed"})
    assert response.status_code == 403
    token.refresh_from_db()
    assert token.label == "x"


def test_deleting_a_device_session_in_the_admin_signs_that_browser_out(it_admin, clerk, client):
    phone = browser()
    sign_in(phone, "100002", PASSWORD)
    device = DeviceSession.objects.get(user=clerk)
    client.force_login(it_admin)
    response = client.post(f"/admin/accounts/devicesession/{device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert phone.get("/").status_code == 302


def test_security_policy_is_editable_and_login_failures_read_only(it_admin, client):
    policy = SecurityPolicy.objects.create()
    failure = LoginFailure.objects.create(username="100002", ip="192.0.2.1")
    client.force_login(it_admin)
    response = client.post(
        f"/admin/accounts/securitypolicy/{policy.pk}/change/",
        {"account_max_failures": "8", "account_window_minutes": "30", "address_max_failures": "50", "address_window_minutes": "10"},
    )  # fmt: skip
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.account_max_failures == 8
    assert client.get("/admin/accounts/securitypolicy/add/").status_code == 403  # one policy row only
    assert client.get("/admin/accounts/loginfailure/").status_code == 200
    assert client.get("/admin/accounts/loginfailure/add/").status_code == 403
    response = client.post(f"/admin/accounts/loginfailure/{failure.pk}/change/", {"username": "x"})
    assert response.status_code == 403


def test_ordinary_staff_cannot_use_the_admin(clerk, client):
    client.force_login(clerk)
    response = client.get("/admin/accounts/staff/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_it_admin_who_is_not_superuser_cannot_take_over_a_superuser_account(it_admin, client):
    from kiban.accounts.tests.factories import StaffFactory

    root = StaffFactory(username="000001", is_staff=True, is_superuser=True)
    client.force_login(it_admin)
    response = client.post(
        f"/admin/accounts/staff/{root.pk}/password/",
        {"password1": "taken-over-password-1", "password2": "taken-over-password-1"},
    )
    assert response.status_code == 403
    root.refresh_from_db()
    assert root.check_password(PASSWORD)
    assert client.post(f"/admin/accounts/staff/{root.pk}/delete/", {"post": "yes"}).status_code == 403
    assert type(root).objects.filter(pk=root.pk).exists()
