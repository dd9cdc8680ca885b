from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kiban.accounts.models import LoginFailure, SecurityPolicy
from kiban.accounts.ratelimit import LoginBlocked, check_login_allowed
from kiban.accounts.tests.factories import PASSWORD
from kiban.accounts.tests.helpers import browser, sign_in
from kiban.core.models import AuditEntry

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"


def failures(username: str, ip: str, count: int, minutes_ago: float) -> None:
    at = timezone.now() - dt.timedelta(minutes=minutes_ago)
    LoginFailure.objects.bulk_create(
        [LoginFailure(username=username, ip=ip, at=at, channel="web") for _ in range(count)]
    )


def test_sixth_attempt_on_an_account_is_refused_with_429_and_retry_after(clerk):
    client = browser(ip="192.0.2.60")
    for _ in range(5):
        assert sign_in(client, "100002", "wrong-password").status_code == 200
    assert LoginFailure.objects.filter(username="100002").count() == 5
    # Even the right password is not checked while the account is locked.
    response = sign_in(client, "100002", PASSWORD)
    assert response.status_code == 429
    assert 1790 <= int(response["Retry-After"]) <= 1800
    html = response.content.decode()
    assert (
        "ログインの失敗が続いたため、一時的にログインできません。約30分後にもう一度お試しください。" in html
    )
    assert "_auth_user_id" not in client.session
    assert LoginFailure.objects.filter(username="100002").count() == 5  # a refused attempt is not a failure
    entry = AuditEntry.objects.get(action="auth.rate_limited")
    assert (entry.actor_username, entry.ip, entry.detail["scope"]) == ("100002", "192.0.2.60", "account")


def test_retry_after_counts_from_the_oldest_failure_in_the_window(clerk):
    failures("100002", "192.0.2.61", 5, minutes_ago=20)
    response = sign_in(browser(), "100002", PASSWORD)
    assert response.status_code == 429
    assert 595 <= int(response["Retry-After"]) <= 600


def test_failures_outside_the_window_do_not_count(clerk):
    failures("100002", "192.0.2.62", 5, minutes_ago=31)
    response = sign_in(browser(), "100002", PASSWORD)
    assert response.status_code == 302


def test_successful_sign_ins_do_not_count(clerk):
    client = browser(ip="192.0.2.63")
    for _ in range(4):
        sign_in(client, "100002", "wrong-password")
    for _ in range(3):
        assert sign_in(browser(ip="192.0.2.63"), "100002", PASSWORD).status_code == 302
    assert LoginFailure.objects.count() == 4
    assert sign_in(client, "100002", "wrong-password").status_code == 200  # the fifth failure
    assert sign_in(client, "100002", PASSWORD).status_code == 429


def test_an_address_with_fifty_failures_is_refused_for_every_account(clerk, other_clerk):
    LoginFailure.objects.bulk_create(
        [LoginFailure(username=f"guess{i}", ip="203.0.113.7", channel="web") for i in range(50)]
    )
    response = sign_in(browser(ip="203.0.113.7"), "500001", PASSWORD)
    assert response.status_code == 429
    assert 590 <= int(response["Retry-After"]) <= 600
    # The same person from another address is fine: only that address is limited.
    assert sign_in(browser(ip="198.51.100.1"), "500001", PASSWORD).status_code == 302


def test_limits_come_from_the_security_policy(clerk):
    SecurityPolicy.objects.create(account_max_failures=2, account_window_minutes=5)
    failures("100002", "192.0.2.64", 2, minutes_ago=1)
    response = sign_in(browser(), "100002", PASSWORD)
    assert response.status_code == 429
    assert 235 <= int(response["Retry-After"]) <= 240


def test_token_endpoint_is_limited_per_account_with_json_detail(clerk, client):
    for _ in range(5):
        response = client.post(
            TOKEN_URL, {"username": "100002", "password": "wrong"}, content_type="application/json"
        )
        assert response.status_code == 401
    response = client.post(
        TOKEN_URL, {"username": "100002", "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 429
    assert 1790 <= int(response["Retry-After"]) <= 1800
    assert "秒後までログインできません" in response.json()["detail"]
    assert LoginFailure.objects.filter(channel="api").count() == 5


def test_token_endpoint_is_limited_per_address(clerk, client):
    SecurityPolicy.objects.create(address_max_failures=3)
    failures("someone", "203.0.113.9", 3, minutes_ago=2)
    response = client.post(
        TOKEN_URL, {"username": "100002", "password": PASSWORD}, content_type="application/json",
        REMOTE_ADDR="203.0.113.9",
    )  # fmt: skip
    assert response.status_code == 429
    assert 475 <= int(response["Retry-After"]) <= 480


def test_web_and_api_failures_share_one_count(clerk, client):
    failures("100002", "192.0.2.65", 3, minutes_ago=1)
    for _ in range(2):
        client.post(TOKEN_URL, {"username": "100002", "password": "wrong"}, content_type="application/json")
    assert sign_in(browser(), "100002", PASSWORD).status_code == 429


def test_check_login_allowed_is_one_function_any_sign_in_path_can_call(db):
    failures("dav-user", "192.0.2.66", 5, minutes_ago=0)
    with pytest.raises(LoginBlocked) as blocked:
        check_login_allowed("dav-user", "192.0.2.99")
    assert blocked.value.scope == "account"
    check_login_allowed("another-user", "192.0.2.99")  # no exception


def test_old_failures_are_pruned_when_a_new_one_is_written(clerk):
    failures("100002", "192.0.2.67", 3, minutes_ago=60 * 25)
    sign_in(browser(), "100002", "wrong-password")
    assert LoginFailure.objects.count() == 1


def test_prune_job_removes_old_failures_and_expired_audit_entries(db):
    from kiban.accounts.jobs import prune_security_records
    from kiban.core.jobs import run_pending_jobs

    failures("100002", "192.0.2.68", 2, minutes_ago=60 * 25)
    failures("100002", "192.0.2.68", 1, minutes_ago=5)
    AuditEntry.objects.create(action="auth.login", at=timezone.now() - dt.timedelta(days=366))
    AuditEntry.objects.create(action="auth.login", at=timezone.now() - dt.timedelta(days=364))
    prune_security_records.enqueue()
    assert run_pending_jobs() == 1
    assert LoginFailure.objects.count() == 1
    assert AuditEntry.objects.count() == 1
