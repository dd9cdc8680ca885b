"""Phone memos: taken for a colleague, delivered at once (notification, dm with a call link, live event over
a real WebSocket), read and done states seen by the taker, privacy and bad input."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from kiban.chat.models import Conversation, Message
from kiban.core.models import AuditEntry
from kiban.notifications.models import Notification
from kiban.presence.models import PhoneMemo
from kiban.realtime.testing import capture_events
from kiban.realtime.tests.test_socket import bearer, open_socket, run, token_for

pytestmark = pytest.mark.django_db

MEMO = {
    "caller_name": "山本 和夫", "caller_org": "○○市 建設課", "caller_phone": "0120-123-456",
    "message": "道路占用の件で折り返しください。", "action": "call_back",
}  # fmt: skip


def take(client: Client, to, **changes):
    return client.post(
        "/api/v1/phone-memos", {"to": to.username, **MEMO, **changes}, content_type="application/json"
    )


def test_a_memo_reaches_the_colleague_as_notification_and_dm_with_a_call_link(clerk, section_head, api_as):
    with capture_events() as events:
        response = take(api_as(section_head), clerk)
    assert response.status_code == 201
    body = response.json()
    memo = PhoneMemo.objects.get()
    assert body == {
        "id": memo.pk, "to": clerk.username, "to_name": "佐藤 花子", "taken_by": section_head.username,
        "taken_by_name": "髙橋 一郎", "caller_name": "山本 和夫", "caller_org": "○○市 建設課",
        "caller_phone": "0120-123-456", "message": "道路占用の件で折り返しください。", "action": "call_back",
        "called_at": body["called_at"], "created_at": body["created_at"], "read_at": None, "done_at": None,
    }  # fmt: skip
    note = Notification.objects.get(recipient=clerk, kind="presence.phone_memo")
    assert (note.url, note.title) == (
        "/presence/memos/",
        "電話メモ: ○○市 建設課 山本 和夫様から（折り返し電話をお願いします）",
    )
    chat = Message.objects.get(pk=memo.chat_message_id)
    assert chat.author == section_head and chat.conversation.kind == Conversation.Kind.DM
    assert set(chat.conversation.members.values_list("staff_id", flat=True)) == {clerk.pk, section_head.pk}
    assert chat.body == "電話メモ: ○○市 建設課 山本 和夫様から（折り返し電話をお願いします）"
    assert chat.card["links"] == [
        {"label": "0120-123-456 に電話", "url": "tel:0120123456"},
        {"label": "電話メモ一覧", "url": f"/presence/memos/#memo-{memo.pk}"},
    ]
    assert chat.card["actions"] == [
        {"label": "済にする", "post": f"/api/v1/phone-memos/{memo.pk}/done", "primary": True}
    ]
    assert chat.card["lines"][1:] == ["折り返し電話をお願いします", "道路占用の件で折り返しください。"]
    created = events.of_type("phone_memo.created")
    assert [(r, e.memo.id) for r, e in created] == [([clerk.pk], memo.pk)]
    assert AuditEntry.objects.filter(action="presence.memo_taken", target_id=str(memo.pk)).count() == 1


def test_caller_text_cannot_smuggle_links_or_mentions_into_the_dm(clerk, section_head, api_as):
    response = take(api_as(section_head), clerk, caller_name="[罠](https://evil.example) @all",
                    message="<script>alert(1)</script> **太字**")  # fmt: skip
    assert response.status_code == 201
    chat = Message.objects.get(pk=PhoneMemo.objects.get().chat_message_id)
    assert 'evil.example"' not in chat.html and "<script" not in chat.html and "<strong>太字" not in chat.html
    assert "mention" not in chat.html
    # The card is data, drawn as text by the client and the template.
    assert chat.card["lines"][-1] == "<script>alert(1)</script> **太字**"


def test_the_card_button_marks_the_memo_done_and_the_card_says_so(clerk, section_head, api_as):
    memo_id = take(api_as(section_head), clerk).json()["id"]
    chat_id = PhoneMemo.objects.get().chat_message_id
    conversation = Message.objects.get(pk=chat_id).conversation_id
    body = api_as(clerk).get(f"/api/v1/conversations/{conversation}/messages").json()
    rows = body["results"] if isinstance(body, dict) else body  # a list today; paged after the chat rework
    [message] = [m for m in rows if m["id"] == chat_id]
    [action] = message["card"]["actions"]
    with capture_events() as events:
        assert api_as(clerk).post(action["post"]).status_code == 200
    [(recipients, updated)] = events.of_type("message.updated")
    assert recipients == sorted([clerk.pk, section_head.pk])
    assert updated.message.card.actions == [] and updated.message.card.done.startswith("対応済み")
    assert PhoneMemo.objects.get(pk=memo_id).done_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_memo_reaches_the_colleague_live_over_the_websocket(clerk, section_head):
    token = token_for(clerk)
    taker = Client()
    taker.force_login(section_head)

    async def body():
        comm, _hello = await open_socket(bearer(token))
        response = await sync_to_async(take)(taker, clerk)
        assert response.status_code == 201
        memo_id = response.json()["id"]
        frames = []
        for _ in range(6):  # the chat message, the notification, the memo (order is not part of the contract)
            frame = await comm.receive_json_from(timeout=5)
            frames.append(frame)
            if frame["type"] == "phone_memo.created":
                break
        memo_frames = [f for f in frames if f["type"] == "phone_memo.created"]
        assert [f["memo"]["id"] for f in memo_frames] == [memo_id]
        assert memo_frames[0]["memo"]["caller_phone"] == "0120-123-456"
        assert "message.created" in {f["type"] for f in frames}
        await comm.disconnect()

    run(body)


def test_open_memos_are_listed_until_done_and_the_taker_sees_read_and_done(clerk, section_head, api_as):
    taker, me = api_as(section_head), api_as(clerk)
    memo_id = take(taker, clerk).json()["id"]
    take(taker, clerk, caller_name="中村 由美", action="fyi")
    assert [m["read_at"] for m in taker.get("/api/v1/phone-memos?taken=1").json()["results"]] == [None, None]

    with capture_events() as events:
        listed = me.get("/api/v1/phone-memos?state=open").json()
    assert [m["caller_name"] for m in listed["results"]] == ["中村 由美", "山本 和夫"]
    assert all(m["read_at"] for m in listed["results"])
    assert sorted(r for r, _e in events.of_type("phone_memo.updated"))[0] == sorted(
        [clerk.pk, section_head.pk]
    )
    assert all(m["read_at"] for m in taker.get("/api/v1/phone-memos?taken=1").json()["results"])

    with capture_events() as events:
        done = me.post(f"/api/v1/phone-memos/{memo_id}/done")
    assert done.status_code == 200 and done.json()["done_at"]
    assert [(r, e.memo.done_at is not None) for r, e in events.of_type("phone_memo.updated")] == [
        (sorted([clerk.pk, section_head.pk]), True)
    ]
    first_done = done.json()["done_at"]
    again = me.post(f"/api/v1/phone-memos/{memo_id}/done")
    assert again.json()["done_at"] == first_done  # idempotent
    assert [m["caller_name"] for m in me.get("/api/v1/phone-memos").json()["results"]] == ["中村 由美"]
    assert len(me.get("/api/v1/phone-memos?state=all").json()["results"]) == 2
    taken = {m["id"]: m for m in taker.get("/api/v1/phone-memos?taken=1").json()["results"]}
    assert taken[memo_id]["done_at"] == first_done


def test_someone_elses_memo_is_not_found(clerk, section_head, other_clerk, api_as):
    memo_id = take(api_as(section_head), clerk).json()["id"]
    outsider = api_as(other_clerk)
    assert outsider.get(f"/api/v1/phone-memos/{memo_id}").status_code == 404
    assert outsider.post(f"/api/v1/phone-memos/{memo_id}/done").status_code == 404
    assert outsider.get("/api/v1/phone-memos?state=all").json() == {"results": [], "more": False}
    # The taker may read it but not close it for the colleague.
    assert api_as(section_head).get(f"/api/v1/phone-memos/{memo_id}").status_code == 200
    assert api_as(section_head).post(f"/api/v1/phone-memos/{memo_id}/done").status_code == 404
    assert PhoneMemo.objects.get().done_at is None
    assert outsider.post(f"/presence/memos/{memo_id}/done").status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"caller_name": ""}, "caller_name"),
        ({"caller_name": "   "}, "caller_name"),
        ({"caller_name": "x" * 101}, "caller_name"),
        ({"caller_phone": "call me maybe"}, "caller_phone"),
        ({"action": "ignore"}, "action"),
        ({"message": "x" * 1001}, "message"),
        ({"to": "nobody"}, "to"),
        ({"called_at": "2001-01-01T10:00:00+09:00"}, "called_at"),
    ],
)
def test_bad_memos_are_refused_naming_the_field_and_nothing_is_written(
    clerk, section_head, api_as, changes, field
):
    with capture_events() as events:
        response = api_as(section_head).post(
            "/api/v1/phone-memos", {"to": clerk.username, **MEMO, **changes}, content_type="application/json"
        )
    assert response.status_code == 400
    assert response.json()["detail"].startswith(field), response.json()
    assert (
        not PhoneMemo.objects.exists() and not Message.objects.exists() and not Notification.objects.exists()
    )
    assert events == []


def test_a_memo_for_oneself_is_refused(clerk, api_as):
    response = take(api_as(clerk), clerk)
    assert response.status_code == 400 and response.json()["detail"].startswith("to")
