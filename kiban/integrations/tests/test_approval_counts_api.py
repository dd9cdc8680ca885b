"""The approval-count integration (決裁件数): registering systems, the token, the replacing push."""

from __future__ import annotations

import json

import pytest

from kiban.accounts.models import LoginFailure
from kiban.accounts.tokens import hash_token
from kiban.core.models import AuditEntry
from kiban.integrations.models import ApprovalCount, ExternalSystem

PUT = "/api/v1/integrations/approval-counts"


@pytest.fixture
def admin_client(client, it_admin):
    client.force_login(it_admin)
    return client


def register(client, **body):
    body = {"name": "bunsho", "label": "文書管理システム", "url": "https://bunsho.example.lg.jp/", **body}
    return client.post("/api/v1/integrations/systems", body, content_type="application/json")


@pytest.fixture
def system(admin_client):
    response = register(admin_client)
    assert response.status_code == 201
    return response.json()


def push(client, token, body, *, raw: bytes | None = None):
    return client.put(
        PUT,
        raw if raw is not None else json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def counts(name="bunsho"):
    return dict(
        ApprovalCount.objects.filter(system__name=name)
        .values_list("staff__username", "pending")
        .order_by("staff")
    )


def test_register_answers_id_name_and_a_token_shown_once_and_stored_hashed(admin_client, system):
    assert set(system) == {"id", "name", "token"}
    assert system["name"] == "bunsho"
    stored = ExternalSystem.objects.get(pk=system["id"])
    assert stored.token_hash == hash_token(system["token"])
    assert system["token"] not in json.dumps(list(ExternalSystem.objects.values()), default=str)
    assert stored.scopes == ["approval_counts"]
    listed = admin_client.get("/api/v1/integrations/systems").json()["results"]
    assert [s["name"] for s in listed] == ["bunsho"]
    assert "token" not in listed[0]
    assert (
        system["token"]
        not in admin_client.get(f"/api/v1/integrations/systems/{system['id']}").content.decode()
    )
    assert (
        AuditEntry.objects.filter(action="integrations.system_register", target_id=str(system["id"])).count()
        == 1
    )


def test_a_name_taken_is_409_and_bad_fields_are_400_naming_the_field(admin_client, system):
    assert register(admin_client).status_code == 409
    response = register(admin_client, name="Bad Name")
    assert response.status_code == 400 and response.json()["detail"].startswith("name:")
    response = register(admin_client, name="other", url="javascript:alert(1)")
    assert response.status_code == 400 and response.json()["detail"].startswith("url:")
    response = register(admin_client, name="other", scopes=["everything"])
    assert response.status_code == 400 and "scopes" in response.json()["detail"]
    assert ExternalSystem.objects.count() == 1


def test_a_person_who_is_not_an_it_administrator_cannot_register_or_see_systems(client, clerk, system):
    client.force_login(clerk)
    assert register(client, name="mine").status_code == 403
    assert client.get("/api/v1/integrations/systems").status_code == 403
    assert client.get(f"/api/v1/integrations/systems/{system['id']}").status_code == 404
    assert client.post(f"/api/v1/integrations/systems/{system['id']}/token").status_code == 404
    assert client.delete(f"/api/v1/integrations/systems/{system['id']}").status_code == 404
    assert ExternalSystem.objects.count() == 1
    assert client.get("/manage/integrations/").status_code == 404


def test_push_replaces_the_systems_counts_and_reports_unknown_usernames(
    client, system, clerk, section_head, other_clerk
):
    token = system["token"]
    response = push(client, token, {"system": "bunsho", "counts": [
        {"username": clerk.username, "pending": 3},
        {"username": section_head.username, "pending": 7},
        {"username": "999999", "pending": 2},
    ]})  # fmt: skip
    assert response.status_code == 200
    assert response.json() == {"updated": 2, "unknown": ["999999"]}
    assert counts() == {clerk.username: 3, section_head.username: 7}
    # The next push replaces: section_head is absent, so 0; other_clerk gets a count; 0 is stored as nothing.
    response = push(client, token, {"system": "bunsho", "counts": [
        {"username": clerk.username, "pending": 1},
        {"username": other_clerk.username, "pending": 4},
        {"username": section_head.username, "pending": 0},
    ]})  # fmt: skip
    assert response.json() == {"updated": 3, "unknown": []}
    assert counts() == {clerk.username: 1, other_clerk.username: 4}
    assert AuditEntry.objects.filter(action="integrations.approval_counts").count() == 2
    assert push(client, token, {"system": "bunsho", "counts": []}).json() == {"updated": 0, "unknown": []}
    assert counts() == {}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"system": "bunsho", "counts": [{"username": "100002", "pending": -1}]}, "counts[0].pending"),
        ({"system": "bunsho", "counts": [{"username": "100002", "pending": 10**9}]}, "counts[0].pending"),
        ({"system": "bunsho", "counts": [{"username": "100002", "pending": "3"}]}, "counts[0].pending"),
        ({"system": "bunsho", "counts": [{"username": "100002", "pending": 1.5}]}, "counts[0].pending"),
        ({"system": "bunsho", "counts": [{"username": "100002", "pending": True}]}, "counts[0].pending"),
        ({"system": "bunsho", "counts": [{"username": "", "pending": 1}]}, "counts[0].username"),
        (
            {
                "system": "bunsho",
                "counts": [{"username": "100002", "pending": 1}, {"username": "100002", "pending": 2}],
            },
            "counts[1].username",
        ),
        ({"system": "bunsho", "counts": [{"username": "100002"}]}, "counts[0].pending"),
        ({"system": "bunsho", "counts": [{"username": "100002", "pending": 1, "x": 1}]}, "counts[0].x"),
        ({"system": "bunsho"}, "counts"),
        ({"counts": []}, "system"),
        ({"system": "bunsho", "counts": {"100002": 1}}, "counts"),
        (
            {"system": "bunsho", "counts": [{"username": f"u{i}", "pending": 1} for i in range(100_001)]},
            "counts",
        ),
    ],
)
def test_bad_payloads_are_400_naming_the_field_and_change_nothing(
    client, system, clerk, section_head, body, field
):
    push(
        client,
        system["token"],
        {"system": "bunsho", "counts": [{"username": section_head.username, "pending": 5}]},
    )
    before = counts()
    response = push(client, system["token"], body)
    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith(f"{field}:"), response.json()
    assert counts() == before == {section_head.username: 5}


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[]", b'"x"'])
def test_bad_json_is_400_and_changes_nothing(client, system, section_head, raw):
    push(
        client,
        system["token"],
        {"system": "bunsho", "counts": [{"username": section_head.username, "pending": 5}]},
    )
    response = push(client, system["token"], None, raw=raw)
    assert response.status_code == 400
    assert response.json()["detail"]
    assert counts() == {section_head.username: 5}


def test_another_systems_token_or_a_token_without_the_scope_is_refused_and_changes_nothing(
    admin_client, client, system, section_head
):
    other = register(admin_client, name="zaimu", label="財務会計システム").json()
    scim = register(admin_client, name="scimonly", label="人事", scopes=["scim"]).json()
    push(
        client,
        system["token"],
        {"system": "bunsho", "counts": [{"username": section_head.username, "pending": 5}]},
    )
    body = {"system": "bunsho", "counts": [{"username": section_head.username, "pending": 9}]}
    response = push(client, other["token"], body)
    assert response.status_code == 403 and response.json()["detail"].startswith("system:")
    response = push(client, scim["token"], {**body, "system": "scimonly"})
    assert response.status_code == 403 and "approval_counts" in response.json()["detail"]
    assert counts() == {section_head.username: 5}
    assert counts("zaimu") == {} and counts("scimonly") == {}


def test_a_bad_token_is_401_counted_by_the_sign_in_rate_limit_then_429(client, system, section_head):
    body = {"system": "bunsho", "counts": [{"username": section_head.username, "pending": 9}]}
    for token in ["kbi_wrong", "kbn_a-persons-token", ""]:
        assert push(client, token, body).status_code == 401
    assert client.put(PUT, json.dumps(body), content_type="application/json").status_code == 401
    assert LoginFailure.objects.filter(channel="integration").count() == 4
    for _ in range(50):
        push(client, "kbi_wrong", body)
    blocked = push(client, system["token"], body)
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    assert counts() == {}


def test_rotating_the_token_retires_the_old_one_and_disabling_refuses_it(admin_client, client, system, clerk):
    body = {"system": "bunsho", "counts": [{"username": clerk.username, "pending": 2}]}
    rotated = admin_client.post(f"/api/v1/integrations/systems/{system['id']}/token").json()
    assert rotated["token"] != system["token"]
    assert push(client, system["token"], body).status_code == 401
    assert push(client, rotated["token"], body).status_code == 200
    response = admin_client.patch(
        f"/api/v1/integrations/systems/{system['id']}", {"enabled": False}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["enabled"] is False
    assert push(client, rotated["token"], {**body, "counts": []}).status_code == 401
    assert counts() == {clerk.username: 2}
    assert admin_client.delete(f"/api/v1/integrations/systems/{system['id']}").status_code == 204
    assert ExternalSystem.objects.count() == 0 and ApprovalCount.objects.count() == 0


def test_the_push_is_documented_in_the_openapi_schema(client, clerk):
    client.force_login(clerk)
    schema = client.get("/api/v1/openapi.json").json()
    body = schema["paths"]["/api/v1/integrations/approval-counts"]["put"]["requestBody"]["content"]
    counts = body["application/json"]["schema"]["properties"]["counts"]
    assert counts["maxItems"] == 100_000
    assert set(counts["items"]["properties"]) == {"username", "pending"}
    assert "$defs" not in json.dumps(body)
    assert "/api/v1/portal" in schema["paths"]
