"""Real servers, real WebSockets (the `websockets` client): delivery across processes, catch-up after a
disconnect. The multi-process tests need PostgreSQL and KIBAN_REDIS_URL (CI's PostgreSQL + Redis pass)."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest
from django.conf import settings
from django.db import connection, transaction
from websockets.asyncio.client import connect

from kiban.accounts.actions import do_create_token
from kiban.realtime import publish
from kiban.realtime.events import NotificationCreated
from kiban.realtime.tests.servers import serve_processes, thread_server

needs_pg_and_redis = pytest.mark.skipif(
    not (settings.REDIS_URL and settings.DATABASES["default"]["ENGINE"].endswith("postgresql")),
    reason="several server processes need PostgreSQL and KIBAN_REDIS_URL (set both to run this test)",
)


def http(port: int, method: str, path: str, token: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(  # noqa: S310
        f"http://127.0.0.1:{port}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


async def open_socket(port: int, token: str):
    socket = await connect(
        f"ws://127.0.0.1:{port}/ws", additional_headers={"Authorization": f"Bearer {token}"}
    )
    hello = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert hello["type"] == "hello"
    return socket, hello


async def next_event(socket) -> dict:
    return json.loads(await asyncio.wait_for(socket.recv(), 10))


async def in_thread(fn, *args):
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


def publish_now(user_ids, event) -> None:
    with transaction.atomic():
        publish(user_ids, event)


@pytest.fixture
def tokens(people):
    return {name: do_create_token(person, "test")[1] for name, person in people.items()}


@needs_pg_and_redis
@pytest.mark.django_db(transaction=True)
def test_an_event_published_in_one_process_reaches_sockets_on_every_process(people, tokens, tmp_path):
    ann, ben, cho = people["ann"], people["ben"], people["cho"]

    async def body(a: int, b: int):
        ann_a, _ = await open_socket(a, tokens["ann"])
        ann_b, _ = await open_socket(b, tokens["ann"])
        ben_b, _ = await open_socket(b, tokens["ben"])
        cho_a, _ = await open_socket(a, tokens["cho"])
        # A chat message posted through server A's API: stored, then announced to every member's device.
        conv = await in_thread(
            http,
            a,
            "POST",
            "/api/v1/conversations",
            tokens["ann"],
            {"kind": "group", "members": [ben.username]},
        )
        for socket in (ann_a, ann_b, ben_b):
            created = await next_event(socket)
            assert created["type"] == "conversation.created"
            assert created["conversation"]["id"] == conv["id"]
        posted = await in_thread(
            http,
            a,
            "POST",
            f"/api/v1/conversations/{conv['id']}/messages",
            tokens["ann"],
            {"body": "こんにちは"},
        )
        for socket in (ann_a, ann_b, ben_b):
            event = await next_event(socket)
            assert event["type"] == "message.created"
            assert event["message"]["id"] == posted["id"]
            assert event["message"]["seq"] == 1
        # From a process that serves no socket (as `kiban worker` does): through Redis too.
        await in_thread(publish_now, [ben.pk, cho.pk], NotificationCreated(notification={"id": 42}))
        assert (await next_event(ben_b))["notification"] == {"id": 42}
        # cho's first event is this one: nothing of ann and ben's conversation reached cho.
        assert (await next_event(cho_a))["notification"] == {"id": 42}
        for socket in (ann_a, ann_b, ben_b, cho_a):
            await socket.close()

    assert connection.vendor == "postgresql"
    with serve_processes(2, tmp_path) as (a, b):
        asyncio.run(body(a, b))
    assert ann.pk != cho.pk


async def catch_up_after_disconnect(port_post: int, port_read: int, tokens: dict, ben_username: str) -> None:
    ben, hello = await open_socket(port_read, tokens["ben"])
    conv = await in_thread(
        http,
        port_post,
        "POST",
        "/api/v1/conversations",
        tokens["ann"],
        {"kind": "group", "members": [ben_username]},
    )
    assert (await next_event(ben))["type"] == "conversation.created"
    first = await in_thread(
        http, port_post, "POST", f"/api/v1/conversations/{conv['id']}/messages", tokens["ann"], {"body": "一"}
    )
    seen = await next_event(ben)
    assert seen["message"]["id"] == first["id"]
    await ben.close()
    # While ben is away: two messages.
    for text in ("二", "三"):
        await in_thread(
            http,
            port_post,
            "POST",
            f"/api/v1/conversations/{conv['id']}/messages",
            tokens["ann"],
            {"body": text},
        )
    ben, hello = await open_socket(port_read, tokens["ben"])
    assert hello["last_id"] >= seen["id"] + 2
    missed = await in_thread(http, port_read, "GET", f"/api/v1/events?after={seen['id']}", tokens["ben"])
    assert missed["truncated"] is False
    assert [(e["type"], e["message"]["seq"]) for e in missed["events"]] == [
        ("message.created", 2),
        ("message.created", 3),
    ]
    assert missed["last_id"] == hello["last_id"]
    # And the conversation's own catch-up (CONTRACT.md) agrees.
    messages = await in_thread(
        http, port_read, "GET", f"/api/v1/conversations/{conv['id']}/messages?after=1", tokens["ben"]
    )
    assert [m["body"] for m in messages] == ["二", "三"]
    # Live again: the next message arrives on the new socket.
    await in_thread(
        http, port_post, "POST", f"/api/v1/conversations/{conv['id']}/messages", tokens["ann"], {"body": "四"}
    )
    assert (await next_event(ben))["message"]["seq"] == 4
    await ben.close()


@needs_pg_and_redis
@pytest.mark.django_db(transaction=True)
def test_a_client_that_reconnects_to_another_process_catches_up(people, tokens, tmp_path):
    with serve_processes(2, tmp_path) as (a, b):
        asyncio.run(catch_up_after_disconnect(a, b, tokens, people["ben"].username))


@pytest.mark.django_db(transaction=True)
def test_a_client_that_reconnects_catches_up_embedded(people, tokens):
    with thread_server() as port:
        asyncio.run(catch_up_after_disconnect(port, port, tokens, people["ben"].username))
