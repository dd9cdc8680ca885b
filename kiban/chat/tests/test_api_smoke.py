from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_group_conversation_round_trip(client, clerk, section_head):
    client.force_login(clerk)
    r = client.post(
        "/api/v1/conversations", {"kind": "group", "members": [section_head.username], "name": "人事"},
        content_type="application/json",
    )  # fmt: skip
    assert r.status_code == 201, r.content
    conv = r.json()
    assert conv["members"] == ["100002", "100001"]
    r = client.post(
        f"/api/v1/conversations/{conv['id']}/messages",
        {"body": "**こんにちは** @100001"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    msg = r.json()
    assert msg["seq"] == 1
    assert msg["mentions"] == ["100001"]
    r = client.get(f"/api/v1/conversations/{conv['id']}/messages?after=0")
    assert [m["seq"] for m in r.json()] == [1]
    client.force_login(section_head)
    listed = client.get("/api/v1/conversations").json()["results"]
    assert [(c["id"], c["unread"], c["mentions"]) for c in listed] == [(conv["id"], 1, 1)]
    assert client.get("/api/v1/openapi.json").status_code == 200
