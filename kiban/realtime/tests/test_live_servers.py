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
from kiban.realtime.tests.probe import Probe
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


def run(coro):
    """asyncio.run in a thread of its own: the browser tests' Playwright keeps a loop in the main thread."""
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def in_thread(fn, *args):
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


def publish_now(user_ids, event) -> None:
    try:
        with transaction.atomic():
            publish(user_ids, event)
    finally:
        connection.close()  # an executor thread's connection: PostgreSQL must be able to drop the test database


@pytest.fixture
def tokens(people):
    return {name: do_create_token(person, "test")[1] for name, person in people.items()}


@pytest.fixture(scope="module")
def two_servers(django_db_setup, tmp_path_factory):
    """Two separate `kiban serve` processes on the test database and Redis (kept for the module)."""
    with serve_processes(2, tmp_path_factory.mktemp("serve")) as ports:
        yield ports


@pytest.fixture(scope="module")
def server_with_workers(django_db_setup, tmp_path_factory):
    """`kiban serve --workers 2`: one supervisor, two server processes sharing the port."""
    with serve_processes(1, tmp_path_factory.mktemp("serve-workers"), workers=2) as ports:
        yield ports[0]


@needs_pg_and_redis
@pytest.mark.django_db(transaction=True)
def test_an_event_published_in_one_process_reaches_sockets_on_every_process(people, tokens, two_servers):
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
        await in_thread(publish_now, [ben.pk, cho.pk], Probe(notification={"id": 42}))
        assert (await next_event(ben_b))["notification"] == {"id": 42}
        # cho's first event is this one: nothing of ann and ben's conversation reached cho.
        assert (await next_event(cho_a))["notification"] == {"id": 42}
        for socket in (ann_a, ann_b, ben_b, cho_a):
            await socket.close()

    assert connection.vendor == "postgresql"
    run(body(*two_servers))
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
    missed = await in_thread(
        http, port_read, "GET", f"/api/v1/realtime/events?after={seen['id']}", tokens["ben"]
    )
    assert missed["truncated"] is False
    assert [(e["type"], e["message"]["seq"]) for e in missed["events"]] == [
        ("message.created", 2),
        ("message.created", 3),
    ]
    assert missed["last_id"] >= hello["last_id"]
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
def test_a_client_that_reconnects_to_another_process_catches_up(people, tokens, two_servers):
    a, b = two_servers
    run(catch_up_after_disconnect(a, b, tokens, people["ben"].username))


def sockets_per_worker(port: int) -> list[int]:
    """How many established connections to `port` each worker process of `kiban serve --workers` holds."""
    import psutil

    supervisor = next(
        proc
        for proc in psutil.Process().children(recursive=True)
        if any(c.laddr and c.laddr.port == port and c.status == "LISTEN" for c in proc.net_connections())
    )
    counts = []
    for child in supervisor.children():
        conns = [c for c in child.net_connections() if c.laddr and c.laddr.port == port]
        if any(c.status == "LISTEN" for c in conns):  # a server process (not multiprocessing's helpers)
            counts.append(sum(1 for c in conns if c.status == "ESTABLISHED"))
    return counts


@needs_pg_and_redis
@pytest.mark.django_db(transaction=True)
def test_serve_with_workers_delivers_to_sockets_on_every_worker(people, tokens, server_with_workers):
    port = server_with_workers
    ben = people["ben"]

    async def body():
        sockets = []
        # The kernel hands connections to whichever worker accepts first: open until both hold some.
        while len(sockets) < 40:
            sockets.append((await open_socket(port, tokens["ben"]))[0])
            counts = await in_thread(sockets_per_worker, port)
            if len(sockets) >= 4 and len(counts) == 2 and min(counts) > 0:
                break
        conv = await in_thread(
            http,
            port,
            "POST",
            "/api/v1/conversations",
            tokens["ann"],
            {"kind": "group", "members": [ben.username]},
        )
        await in_thread(
            http,
            port,
            "POST",
            f"/api/v1/conversations/{conv['id']}/messages",
            tokens["ann"],
            {"body": "全員へ"},
        )
        for socket in sockets:
            assert (await next_event(socket))["type"] == "conversation.created"
            event = await next_event(socket)
            assert (event["type"], event["message"]["body"]) == ("message.created", "全員へ")
        for socket in sockets:
            await socket.close()
        return counts

    counts = run(body())
    assert len(counts) == 2
    assert min(counts) > 0, f"the sockets all went to one worker ({counts}): nothing crossed processes"


@pytest.mark.django_db(transaction=True)
def test_a_client_that_reconnects_catches_up_embedded(people, tokens):
    with thread_server() as port:
        run(catch_up_after_disconnect(port, port, tokens, people["ben"].username))


@pytest.mark.django_db(transaction=True)
def test_a_long_poll_returns_as_soon_as_the_caller_has_an_event(people, tokens):
    import concurrent.futures
    import time

    ann, ben = people["ann"], people["ben"]
    with thread_server() as port, concurrent.futures.ThreadPoolExecutor(2) as pool:
        start = http(port, "GET", "/api/v1/realtime/events", tokens["ann"])["last_id"]
        waiting = pool.submit(
            http, port, "GET", f"/api/v1/realtime/events?after={start}&wait=25", tokens["ann"]
        )
        time.sleep(1)  # let the request start waiting (an event before that is found by its first look)
        assert not waiting.done()
        publish_now([ben.pk], Probe(notification={"id": 1}))  # not ann's: she keeps waiting
        publish_now([ann.pk], Probe(notification={"id": 2}))
        answer = waiting.result(timeout=15)  # well before the 25 s wait ends
        assert [e["notification"] for e in answer["events"]] == [{"id": 2}]
        assert answer["truncated"] is False
        # Something already there: answered at once.
        again = pool.submit(
            http, port, "GET", f"/api/v1/realtime/events?after={start}&wait=25", tokens["ann"]
        )
        assert again.result(timeout=15)["events"] == answer["events"]
