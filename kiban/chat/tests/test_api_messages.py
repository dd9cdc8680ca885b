"""The chat API as a client uses it: history, catch-up, threads, reactions, pins, edits."""

from __future__ import annotations

import pytest

from kiban.chat.models import Message
from kiban.chat.tests.factories import make_group, post

pytestmark = pytest.mark.django_db
J = "application/json"


@pytest.fixture
def chat(client, clerk, section_head):
    conv = make_group(clerk, section_head, name="人事")
    client.force_login(clerk)
    return conv


def test_message_object_has_the_contract_fields(client, chat):
    response = client.post(
        f"/api/v1/conversations/{chat.pk}/messages", {"body": "おはようございます"}, content_type=J
    )
    assert response.status_code == 201
    message = response.json()
    assert {
        "id",
        "conversation",
        "seq",
        "author",
        "body",
        "html",
        "thread_root",
        "created_at",
        "edited_at",
        "deleted",
    } <= set(message)
    assert (message["conversation"], message["seq"], message["author"], message["body"], message["deleted"]) == (
        chat.pk, 1, "100002", "おはようございます", False,
    )  # fmt: skip
    assert message["created_at"].endswith("+00:00") or message["created_at"][-6] in "+-"


def test_history_and_catch_up_pages(client, chat, clerk):
    for i in range(1, 8):
        post(clerk, chat, f"#{i}")
    seqs = lambda r: [m["seq"] for m in r.json()]  # noqa: E731
    base = f"/api/v1/conversations/{chat.pk}/messages"
    assert seqs(client.get(base, {"limit": 3})) == [5, 6, 7]
    assert seqs(client.get(base, {"limit": 3, "before": 5})) == [2, 3, 4]
    assert seqs(client.get(base, {"after": 4})) == [5, 6, 7]
    assert seqs(client.get(base, {"after": 2, "limit": 2})) == [3, 4]
    assert client.get(base, {"limit": 0}).status_code == 400
    assert client.get(base, {"after": -1}).status_code == 400


def test_listing_a_page_costs_a_fixed_number_of_queries(
    client, chat, clerk, section_head, django_assert_max_num_queries
):
    for i in range(20):
        message = post(clerk, chat, f"@100001 #{i}")
        client.post(f"/api/v1/messages/{message.pk}/reactions", {"emoji": "👍"}, content_type=J)
    with django_assert_max_num_queries(10):
        response = client.get(f"/api/v1/conversations/{chat.pk}/messages")
    assert len(response.json()) == 20
    assert response.json()[0]["reactions"] == [{"emoji": "👍", "count": 1, "users": ["100002"]}]
    assert response.json()[0]["mentions"] == ["100001"]


def test_thread_endpoint_and_filter(client, chat, clerk, section_head):
    root = post(clerk, chat, "議題")
    post(clerk, chat, "別件")
    reply = post(section_head, chat, "賛成", thread_root_id=root.pk)
    assert [m["id"] for m in client.get(f"/api/v1/messages/{root.pk}/thread").json()] == [root.pk, reply.pk]
    assert [m["id"] for m in client.get(f"/api/v1/messages/{reply.pk}/thread").json()] == [root.pk, reply.pk]
    listed = client.get(f"/api/v1/conversations/{chat.pk}/messages", {"thread": root.pk}).json()
    assert [(m["id"], m["reply_count"]) for m in listed] == [(root.pk, 1), (reply.pk, 0)]
    roots = client.get(f"/api/v1/conversations/{chat.pk}/messages", {"roots_only": True}).json()
    assert [m["seq"] for m in roots] == [1, 2]
    response = client.post(
        f"/api/v1/conversations/{chat.pk}/messages", {"body": "返信", "thread_root": root.pk}, content_type=J
    )
    assert response.json()["thread_root"] == root.pk


def test_edit_and_history_via_api(client, chat, clerk, section_head):
    message = post(clerk, chat, "会議は10時")
    response = client.patch(f"/api/v1/messages/{message.pk}", {"body": "会議は11時"}, content_type=J)
    assert (response.status_code, response.json()["body"]) == (200, "会議は11時")
    assert response.json()["edited_at"] is not None
    assert [e["body"] for e in client.get(f"/api/v1/messages/{message.pk}/edits").json()] == ["会議は10時"]
    client.force_login(section_head)
    refused = client.patch(f"/api/v1/messages/{message.pk}", {"body": "x"}, content_type=J)
    assert refused.status_code == 403
    assert Message.objects.get(pk=message.pk).body == "会議は11時"


def test_delete_via_api_returns_the_tombstone(client, chat, clerk):
    message = post(clerk, chat, "誤送信")
    response = client.delete(f"/api/v1/messages/{message.pk}")
    assert response.status_code == 200
    body = response.json()
    assert (body["deleted"], body["body"], body["html"], body["seq"]) == (True, "", "", 1)
    listed = client.get(f"/api/v1/conversations/{chat.pk}/messages").json()
    assert [(m["seq"], m["deleted"]) for m in listed] == [(1, True)]


def test_reactions_via_api(client, chat, clerk, section_head):
    message = post(clerk, chat)
    url = f"/api/v1/messages/{message.pk}/reactions"
    assert client.post(url, {"emoji": "👍"}, content_type=J).json() == {
        "emoji": "👍", "reacted": True, "reactions": [{"emoji": "👍", "count": 1, "users": ["100002"]}],
    }  # fmt: skip
    assert client.post(url, {"emoji": "👍"}, content_type=J).json()["reacted"] is True
    assert client.post(url, {"emoji": "👍", "toggle": True}, content_type=J).json()["reactions"] == []
    client.post(url, {"emoji": "🙇"}, content_type=J)
    assert client.delete(f"{url}/🙇").json() == {"emoji": "🙇", "reacted": False, "reactions": []}
    bad = client.post(url, {"emoji": ""}, content_type=J)
    assert (bad.status_code, bad.json()["detail"].split(":")[0]) == (400, "emoji")


def test_pins_via_api(client, chat, clerk):
    first = post(clerk, chat, "手順書はこちら")
    post(clerk, chat, "その他")
    assert (
        client.post(f"/api/v1/messages/{first.pk}/pin", {"pinned": True}, content_type=J).json()["pinned"]
        is True
    )
    assert [m["id"] for m in client.get(f"/api/v1/conversations/{chat.pk}/pins").json()["results"]] == [
        first.pk
    ]
    assert client.delete(f"/api/v1/messages/{first.pk}/pin").json()["pinned"] is False
    assert client.get(f"/api/v1/conversations/{chat.pk}/pins").json() == {"results": [], "more": False}


def test_creating_an_existing_dm_answers_200_with_it(client, clerk, section_head):
    client.force_login(clerk)
    first = client.post("/api/v1/conversations", {"kind": "dm", "members": ["100001"]}, content_type=J)
    again = client.post("/api/v1/conversations", {"kind": "dm", "members": ["100001"]}, content_type=J)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["title"] == "髙橋 一郎"
    assert sorted(first.json()["members"]) == ["100001", "100002"]


def test_members_mute_leave_via_api(client, clerk, section_head, other_clerk):
    conv = make_group(clerk, section_head)
    client.force_login(clerk)
    added = client.post(f"/api/v1/conversations/{conv.pk}/members", {"members": ["500001"]}, content_type=J)
    assert added.json()["members"] == ["100002", "100001", "500001"]
    assert [
        m["username"] for m in client.get(f"/api/v1/conversations/{conv.pk}/members").json()["results"]
    ] == [
        "100002",
        "100001",
        "500001",
    ]
    assert (
        client.put(f"/api/v1/conversations/{conv.pk}/mute", {"muted": True}, content_type=J).json()["muted"]
        is True
    )
    assert client.delete(f"/api/v1/conversations/{conv.pk}/members/500001").status_code == 204
    client.force_login(section_head)
    assert client.post(f"/api/v1/conversations/{conv.pk}/leave").status_code == 204
    assert client.get(f"/api/v1/conversations/{conv.pk}").status_code == 404


def test_openapi_lists_the_chat_paths(client, clerk):
    client.force_login(clerk)
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/conversations",
        "/api/v1/conversations/{conversation_id}",
        "/api/v1/conversations/{conversation_id}/messages",
        "/api/v1/conversations/{conversation_id}/read",
        "/api/v1/messages/{message_id}",
        "/api/v1/messages/{message_id}/reactions",
        "/api/v1/teams",
    ):
        assert path in paths, path


def test_conversation_list_costs_a_fixed_number_of_queries(
    client, clerk, section_head, other_clerk, django_assert_max_num_queries
):
    for i in range(12):
        conv = make_group(clerk, section_head, other_clerk, name=f"会議{i}")
        post(section_head, conv, f"@100002 {i}")
    client.force_login(clerk)
    client.get("/api/v1/conversations")  # the session is loaded once per request: count a warm one
    with django_assert_max_num_queries(5):
        page = client.get("/api/v1/conversations").json()
    listed = page["results"]
    assert page["more"] is False
    assert [(c["name"], c["unread"], c["mentions"]) for c in listed][:2] == [
        ("会議11", 1, 1),
        ("会議10", 1, 1),
    ]
    assert len(listed) == 12
