from __future__ import annotations

import pytest

from kiban.accounts.models import ApiToken
from kiban.accounts.tests.factories import PASSWORD
from kiban.accounts.tests.helpers import browser, csrf_cookie, post_form, sign_in
from kiban.accounts.tokens import hash_token
from kiban.core.models import AuditEntry

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"


def create_token(client, username: str, label: str = "iPhone", **extra) -> dict:
    response = client.post(
        TOKEN_URL,
        {"username": username, "password": PASSWORD, "label": label},
        content_type="application/json",
        **extra,
    )
    assert response.status_code == 201, response.content
    return response.json()


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_token_is_created_stored_hashed_and_works_as_bearer(clerk, client):
    body = create_token(client, "100002", "iPhone カレンダー", REMOTE_ADDR="192.0.2.70")
    assert set(body) == {"token", "id", "label"}
    assert body["label"] == "iPhone カレンダー"
    row = ApiToken.objects.get(pk=body["id"])
    assert row.user == clerk
    assert row.token_hash == hash_token(body["token"])
    assert body["token"] not in (row.token_hash, row.prefix)
    assert row.prefix == body["token"][:12]
    entry = AuditEntry.objects.get(action="auth.token_created")
    assert (entry.actor_id, entry.ip, entry.target_id) == (clerk.pk, "192.0.2.70", str(row.pk))

    response = client.get(
        "/api/v1/auth/tokens", **bearer(body["token"]), REMOTE_ADDR="192.0.2.71", HTTP_USER_AGENT="DAVx5/4.4"
    )
    assert response.status_code == 200
    [listed] = response.json()["results"]
    assert set(listed) == {
        "id",
        "label",
        "prefix",
        "created_at",
        "last_used_at",
        "last_used_ip",
        "user_agent",
    }
    assert (listed["id"], listed["label"], listed["prefix"]) == (row.pk, "iPhone カレンダー", row.prefix)
    row.refresh_from_db()
    assert (row.last_used_ip, row.user_agent) == ("192.0.2.71", "DAVx5/4.4")
    assert row.last_used_at is not None


def test_bad_credentials_get_401_and_no_token(clerk, client):
    response = client.post(
        TOKEN_URL, {"username": "100002", "password": "nope"}, content_type="application/json"
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "職員番号またはパスワードが違います。"
    assert ApiToken.objects.count() == 0


@pytest.mark.parametrize("missing", ["username", "password"])
def test_missing_field_gets_400_naming_it(clerk, client, missing):
    payload = {"username": "100002", "password": PASSWORD}
    del payload[missing]
    response = client.post(TOKEN_URL, payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{missing}:")
    assert ApiToken.objects.count() == 0


def test_retired_staff_get_no_token_and_their_tokens_stop_working(clerk, client):
    body = create_token(client, "100002")
    clerk.is_active = False
    clerk.save()
    assert client.get("/api/v1/auth/tokens", **bearer(body["token"])).status_code == 401
    response = client.post(
        TOKEN_URL, {"username": "100002", "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 401


def test_revoked_token_is_refused(clerk, client):
    body = create_token(client, "100002")
    response = client.delete(f"/api/v1/auth/tokens/{body['id']}", **bearer(body["token"]))
    assert response.status_code == 204
    assert not ApiToken.objects.filter(pk=body["id"]).exists()
    assert client.get("/api/v1/auth/tokens", **bearer(body["token"])).status_code == 401
    entry = AuditEntry.objects.get(action="auth.token_revoked")
    assert (entry.actor_id, entry.target_id) == (clerk.pk, str(body["id"]))


def test_another_persons_token_is_404_and_not_listed(clerk, other_clerk, client):
    mine = create_token(client, "100002", "mine")
    theirs = create_token(client, "500001", "theirs")
    listed = client.get("/api/v1/auth/tokens", **bearer(mine["token"])).json()
    assert [t["id"] for t in listed["results"]] == [mine["id"]]
    assert listed["more"] is False
    response = client.delete(f"/api/v1/auth/tokens/{theirs['id']}", **bearer(mine["token"]))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert ApiToken.objects.filter(pk=theirs["id"]).exists()
    assert not AuditEntry.objects.filter(action="auth.token_revoked").exists()


def test_unknown_or_malformed_bearer_is_401(db, client):
    assert client.get("/api/v1/auth/tokens", **bearer("kbn_notatoken")).status_code == 401
    assert client.get("/api/v1/auth/tokens", HTTP_AUTHORIZATION="Bearer").status_code == 401
    assert client.get("/api/v1/auth/tokens").status_code == 401


def test_session_authenticated_api_write_needs_the_csrf_header(clerk, client):
    token = create_token(client, "100002")
    web = browser()
    sign_in(web, "100002", PASSWORD)
    refused = web.delete(f"/api/v1/auth/tokens/{token['id']}")
    assert refused.status_code == 403
    assert ApiToken.objects.filter(pk=token["id"]).exists()
    accepted = web.delete(f"/api/v1/auth/tokens/{token['id']}", HTTP_X_CSRFTOKEN=csrf_cookie(web))
    assert accepted.status_code == 204
    assert not ApiToken.objects.filter(pk=token["id"]).exists()


def test_tokens_are_created_and_revoked_from_the_security_page(clerk):
    web = browser()
    sign_in(web, "100002", PASSWORD)
    response = post_form(web, "/account/tokens/new", {"label": "Thunderbird"}, form_path="/account/security")
    assert response.status_code == 201
    row = ApiToken.objects.get(user=clerk)
    html = response.content.decode()
    assert "Thunderbird" in html
    raw = html.split('<code class="new-token">')[1].split("<")[0]
    assert hash_token(raw) == row.token_hash
    # Shown once: the list page never shows it again.
    assert raw not in web.get("/account/security").content.decode()
    response = post_form(web, f"/account/tokens/{row.pk}/revoke", {}, form_path="/account/security")
    assert response.status_code == 302
    assert not ApiToken.objects.filter(pk=row.pk).exists()


def test_another_persons_token_cannot_be_revoked_from_the_security_page(clerk, other_clerk, client):
    theirs = create_token(client, "500001")
    web = browser()
    sign_in(web, "100002", PASSWORD)
    response = post_form(web, f"/account/tokens/{theirs['id']}/revoke", {}, form_path="/account/security")
    assert response.status_code == 404
    assert ApiToken.objects.filter(pk=theirs["id"]).exists()
