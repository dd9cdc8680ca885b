"""Who gets what from the chat API: a non-member gets 404 for everything about a private conversation,
bad input is a 400 naming the field with nothing written, and a refused action publishes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kiban.chat import actions
from kiban.chat.attachments import do_upload_attachment
from kiban.chat.models import Attachment, Conversation, Message, Reaction, Webhook
from kiban.chat.tests.factories import as_member, make_group, post
from kiban.realtime.testing import capture_events

pytestmark = pytest.mark.django_db


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def private_world(clerk, section_head):
    conv = make_group(clerk, section_head, name="人事の内緒話")
    attachment = do_upload_attachment(clerk, as_member(clerk, conv), SimpleUploadedFile("a.png", _png()))
    message = post(clerk, conv, "内緒", attachment_ids=[attachment.pk])
    actions.do_create_webhook(clerk, as_member(clerk, conv), "監視")
    return {"conv": conv, "message": message, "attachment": attachment}


def _requests(w):
    c, m, a = w["conv"].pk, w["message"].pk, w["attachment"].pk
    hook = Webhook.objects.get().pk
    j = "application/json"
    return [
        ("get", f"/api/v1/conversations/{c}", None),
        ("patch", f"/api/v1/conversations/{c}", {"name": "乗っ取り"}),
        ("get", f"/api/v1/conversations/{c}/members", None),
        ("post", f"/api/v1/conversations/{c}/members", {"members": ["500001"]}),
        ("delete", f"/api/v1/conversations/{c}/members/100001", None),
        ("post", f"/api/v1/conversations/{c}/leave", None),
        ("post", f"/api/v1/conversations/{c}/join", None),
        ("put", f"/api/v1/conversations/{c}/mute", {"muted": True}),
        ("post", f"/api/v1/conversations/{c}/archive", {"archived": True}),
        ("post", f"/api/v1/conversations/{c}/read", {"seq": 1}),
        ("get", f"/api/v1/conversations/{c}/pins", None),
        ("get", f"/api/v1/conversations/{c}/messages", None),
        ("get", f"/api/v1/conversations/{c}/messages?after=0", None),
        ("post", f"/api/v1/conversations/{c}/messages", {"body": "侵入"}),
        ("get", f"/api/v1/messages/{m}", None),
        ("patch", f"/api/v1/messages/{m}", {"body": "改ざん"}),
        ("delete", f"/api/v1/messages/{m}", None),
        ("get", f"/api/v1/messages/{m}/thread", None),
        ("get", f"/api/v1/messages/{m}/edits", None),
        ("post", f"/api/v1/messages/{m}/reactions", {"emoji": "👍"}),
        ("delete", f"/api/v1/messages/{m}/reactions/👍", None),
        ("post", f"/api/v1/messages/{m}/pin", {"pinned": True}),
        ("delete", f"/api/v1/messages/{m}/pin", None),
        ("get", f"/api/v1/attachments/{a}", None),
        ("get", f"/api/v1/attachments/{a}/thumbnail", None),
        ("get", f"/api/v1/conversations/{c}/webhooks", None),
        ("post", f"/api/v1/conversations/{c}/webhooks", {"bot_name": "偽"}),
        ("delete", f"/api/v1/conversations/{c}/webhooks/{hook}", None),
    ], j


def _snapshot():
    return (
        list(Conversation.objects.values_list("id", "name", "archived_at", "last_seq")),
        list(Message.objects.values_list("id", "body", "deleted_at", "pinned_at")),
        Reaction.objects.count(),
        list(Webhook.objects.values_list("id", "revoked_at")),
        list(Attachment.objects.values_list("id", "message_id")),
    )


def test_non_member_gets_404_for_everything_and_nothing_changes(client, private_world, other_clerk, it_admin):
    requests, j = _requests(private_world)
    before = _snapshot()
    for person in (other_clerk, it_admin):
        client.force_login(person)
        with capture_events() as events:
            for method, path, body in requests:
                kwargs = {"data": body, "content_type": j} if body is not None else {}
                response = getattr(client, method)(path, **kwargs)
                assert response.status_code == 404, (person.username, method, path, response.content)
                assert response.json() == {"detail": "Not found."}
        assert events == []
    assert _snapshot() == before


def test_member_sees_the_same_paths(client, private_world, section_head):
    client.force_login(section_head)
    c, m, a = private_world["conv"].pk, private_world["message"].pk, private_world["attachment"].pk
    for path in (
        f"/api/v1/conversations/{c}",
        f"/api/v1/conversations/{c}/messages",
        f"/api/v1/messages/{m}",
        f"/api/v1/attachments/{a}",
        f"/api/v1/attachments/{a}/thumbnail",
    ):
        assert client.get(path).status_code == 200, path


def test_anonymous_gets_401(client, private_world):
    assert client.get(f"/api/v1/conversations/{private_world['conv'].pk}/messages").status_code == 401
    assert client.get("/api/v1/conversations").status_code == 401


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": 5}, "body"),
        ({"body": "x" * 20_001}, "body"),
        ({"body": "返信", "thread_root": 999_999}, "thread_root"),
        ({"body": "", "attachments": [999_999]}, "attachments"),
        ({"body": "x", "attachments": ["a"]}, "attachments"),
        ({}, "body"),
    ],
)
def test_bad_message_input_is_400_naming_the_field(client, clerk, section_head, payload, field):
    conv = make_group(clerk, section_head)
    client.force_login(clerk)
    with capture_events() as events:
        response = client.post(
            f"/api/v1/conversations/{conv.pk}/messages", payload, content_type="application/json"
        )
    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith(f"{field}") or f"{field}" in response.json()["detail"]
    assert (Message.objects.count(), Conversation.objects.get(pk=conv.pk).last_seq, events) == (0, 0, [])


def test_malformed_json_is_400(client, clerk, section_head):
    conv = make_group(clerk, section_head)
    client.force_login(clerk)
    response = client.post(
        f"/api/v1/conversations/{conv.pk}/messages", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert Message.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "room", "members": []}, "kind"),
        ({"kind": "group", "members": ["999999"]}, "members"),
        ({"kind": "group", "members": "100001"}, "members"),
        ({"kind": "channel", "name": "x", "visibility": "secret", "team": 1}, "visibility"),
        ({"members": ["100001"]}, "kind"),
    ],
)
def test_bad_conversation_input_is_400_naming_the_field(client, clerk, section_head, payload, field):
    client.force_login(clerk)
    response = client.post("/api/v1/conversations", payload, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith(f"{field}")
    assert Conversation.objects.count() == 0


def test_member_refused_an_owner_action_gets_403_and_nothing_changes(client, clerk, section_head):
    conv = make_group(clerk, section_head)
    client.force_login(section_head)
    with capture_events() as events:
        response = client.post(
            f"/api/v1/conversations/{conv.pk}/archive", {"archived": True}, content_type="application/json"
        )
        hooks = client.post(
            f"/api/v1/conversations/{conv.pk}/webhooks", {"bot_name": "x"}, content_type="application/json"
        )
    assert (response.status_code, hooks.status_code, events) == (403, 403, [])
    assert Conversation.objects.get(pk=conv.pk).archived_at is None
    assert Webhook.objects.count() == 0
