"""/ws through Channels' WebsocketCommunicator: who may connect, who receives what."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.test import Client

from kiban.accounts.actions import do_create_token
from kiban.accounts.tests.factories import PASSWORD
from kiban.chat.events import ConversationRead
from kiban.realtime import hub, publish
from kiban.realtime.models import Event, Seen
from kiban.realtime.queries import max_event_id
from kiban.realtime.routing import websocket_application
from kiban.realtime.testing import capture_events
from kiban.realtime.tests.probe import Probe

ORIGIN = (b"origin", b"http://localhost")


class WebsocketCommunicator(ApplicationCommunicator):
    """Channels' test communicator, minus the package that imports daphne."""

    def __init__(self, application, path: str, headers) -> None:
        scope = {
            "type": "websocket",
            "path": path,
            "query_string": b"",
            "headers": headers,
            "subprotocols": [],
        }
        super().__init__(application, scope)

    async def connect(self) -> tuple[bool, int | None]:
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(5)
        return response["type"] == "websocket.accept", response.get("code")

    async def send_json_to(self, data) -> None:
        await self.send_input({"type": "websocket.receive", "text": json.dumps(data)})

    async def receive_json_from(self, timeout: float = 5):
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def disconnect(self) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.wait(5)


def run(coro_fn):
    """Run an async test body on a fresh loop, then stop the hub it started."""

    async def body():
        try:
            await coro_fn()
        finally:
            await hub.shutdown()

    async_to_sync(body)()


def token_for(user) -> str:
    return do_create_token(user, "test")[1]


def session_cookie(user) -> str:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def bearer(token: str) -> list[tuple[bytes, bytes]]:
    return [(b"authorization", f"Bearer {token}".encode())]


def cookie(value: str, origin: tuple[bytes, bytes] = ORIGIN) -> list[tuple[bytes, bytes]]:
    return [(b"cookie", f"{settings.SESSION_COOKIE_NAME}={value}".encode()), origin]


async def open_socket(headers) -> tuple[WebsocketCommunicator, dict]:
    comm = WebsocketCommunicator(websocket_application, "/ws", headers=headers)
    connected, _ = await comm.connect()
    assert connected
    return comm, await comm.receive_json_from(timeout=5)


def publish_committed(user_ids, event) -> None:
    with capture_events():
        publish(user_ids, event)


def test_bearer_token_connects_and_says_hello(people):
    token = token_for(people["ann"])

    async def body():
        comm, hello = await open_socket(bearer(token))
        assert hello == {"type": "hello", "last_id": await sync_to_async(max_event_id)()}
        await comm.disconnect()

    run(body)


def test_session_cookie_connects(people):
    value = session_cookie(people["ann"])

    async def body():
        comm, hello = await open_socket(cookie(value))
        assert hello["type"] == "hello"
        await comm.disconnect()

    run(body)


async def assert_refused(headers) -> None:
    comm = WebsocketCommunicator(websocket_application, "/ws", headers=headers)
    await comm.connect()
    closed = await comm.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4401}


def test_anonymous_socket_is_refused_with_4401(people):
    run(lambda: assert_refused([ORIGIN]))


def test_unknown_and_revoked_tokens_are_refused(people):
    from kiban.accounts.actions import do_revoke_token

    ann = people["ann"]
    api_token, token = do_create_token(ann, "phone")
    do_revoke_token(ann, api_token.pk)
    run(lambda: assert_refused(bearer(token)))
    run(lambda: assert_refused(bearer("kbn_not-a-real-token")))


def test_retired_person_is_refused(people):
    ann = people["ann"]
    token = token_for(ann)
    value = session_cookie(ann)
    ann.is_active = False
    ann.save(update_fields=["is_active"])
    run(lambda: assert_refused(bearer(token)))
    run(lambda: assert_refused(cookie(value)))


def test_session_cookie_from_a_foreign_origin_is_refused(people):
    value = session_cookie(people["ann"])
    run(lambda: assert_refused(cookie(value, origin=(b"origin", b"https://evil.example"))))
    run(lambda: assert_refused([(b"cookie", f"{settings.SESSION_COOKIE_NAME}={value}".encode())]))


def test_event_reaches_every_device_of_recipients_and_no_one_else(people):
    ann, ben, cho = people["ann"], people["ben"], people["cho"]
    ann_phone, ann_pc, ben_token, cho_token = (
        token_for(ann),
        session_cookie(ann),
        token_for(ben),
        token_for(cho),
    )

    async def body():
        sockets = {
            "ann_phone": (await open_socket(bearer(ann_phone)))[0],
            "ann_pc": (await open_socket(cookie(ann_pc)))[0],
            "ben": (await open_socket(bearer(ben_token)))[0],
            "cho": (await open_socket(bearer(cho_token)))[0],
        }
        await sync_to_async(publish_committed)([ann.pk, ben.pk], ConversationRead(conversation=5, seq=9))
        await sync_to_async(publish_committed)([cho.pk, ann.pk], Probe(notification={"id": 3}))
        one, two = await sync_to_async(
            lambda: list(Event.objects.order_by("id").values_list("id", flat=True))
        )()
        read = {"id": one, "type": "conversation.read", "conversation": 5, "seq": 9}
        notification = {"id": two, "type": "test.probe", "notification": {"id": 3}}
        for name in ("ann_phone", "ann_pc"):
            assert await sockets[name].receive_json_from() == read
            assert await sockets[name].receive_json_from() == notification
        assert await sockets["ben"].receive_json_from() == read
        # cho's first frame is the second event: the first one never reached cho.
        assert await sockets["cho"].receive_json_from() == notification
        for comm in sockets.values():
            await comm.disconnect()

    run(body)


def test_ping_gets_pong(people):
    token = token_for(people["ann"])

    async def body():
        comm, _hello = await open_socket(bearer(token))
        await comm.send_json_to({"type": "ping"})
        pong = await comm.receive_json_from(timeout=5)
        assert pong["type"] == "pong" and isinstance(pong["settled"], int)
        await comm.disconnect()

    run(body)


def test_connecting_and_leaving_is_recorded_for_the_digest(people):
    from kiban.realtime import presence

    ann, ben = people["ann"], people["ben"]
    phone, pc = token_for(ann), token_for(ann)

    async def body():
        first, _ = await open_socket(bearer(phone))
        second, _ = await open_socket(bearer(pc))
        assert await sync_to_async(presence.is_connected)(ann.pk)
        await first.disconnect()
        assert await sync_to_async(presence.is_connected)(ann.pk)  # the other device is still there
        await second.disconnect()

    run(body)
    assert not presence.is_connected(ann.pk)
    seen = presence.last_seen([ann.pk, ben.pk])
    assert seen[ben.pk] is None
    assert seen[ann.pk] == Seen.objects.get(user=ann).last_seen_at


def test_a_socket_that_stops_reading_is_closed_and_others_still_receive(people):
    ann, ben = people["ann"], people["ben"]
    ann_token, ben_token = token_for(ann), token_for(ben)

    async def body():
        slow, _ = await open_socket(bearer(ann_token))
        other, _ = await open_socket(bearer(ben_token))
        current = hub.current_hub()
        # Without yielding to the loop, the slow socket's coroutine cannot send: its queue overflows.
        for n in range(hub.MAX_QUEUE + 1):
            current.deliver(
                [ann.pk], '{"id":0,"type":"conversation.read","conversation":1,"seq":' + str(n) + "}"
            )
        current.deliver([ann.pk, ben.pk], '{"id":1,"type":"conversation.read","conversation":2,"seq":1}')
        assert await slow.receive_output(5) == {"type": "websocket.close", "code": hub.CLOSE_OVERWHELMED}
        assert await other.receive_json_from() == {
            "id": 1,
            "type": "conversation.read",
            "conversation": 2,
            "seq": 1,
        }
        assert ann.pk not in current.by_user or not current.by_user[ann.pk]
        await other.disconnect()

    run(body)


def test_revoked_tokens_and_retired_people_lose_open_sockets_at_the_next_check(people):
    from kiban.accounts.actions import do_revoke_token

    ann, ben = people["ann"], people["ben"]
    api_token, token = do_create_token(ann, "phone")
    ben_cookie = session_cookie(ben)

    async def body():
        phone, _ = await open_socket(bearer(token))
        browser, _ = await open_socket(cookie(ben_cookie))
        await sync_to_async(do_revoke_token)(ann, api_token.pk)
        await hub.current_hub()._close_revoked()
        assert await phone.receive_output(5) == {"type": "websocket.close", "code": 4401}
        await sync_to_async(publish_committed)([ben.pk], ConversationRead(conversation=1, seq=2))
        assert (await browser.receive_json_from())["seq"] == 2
        # Retired: the session's socket goes too.
        ben.is_active = False
        await sync_to_async(ben.save)(update_fields=["is_active"])
        await hub.current_hub()._close_revoked()
        assert await browser.receive_output(5) == {"type": "websocket.close", "code": 4401}

    run(body)


@pytest.mark.django_db(transaction=True)  # real commits: PostgreSQL's sweep reads settled events
def test_the_sweep_delivers_stored_events_that_did_not_arrive_live_and_only_those(people):
    import datetime as dt

    from django.utils import timezone

    from kiban.realtime.delivery import store

    ann = people["ann"]
    token = token_for(ann)
    later = timezone.now() + dt.timedelta(seconds=10)

    async def body():
        phone, _ = await open_socket(bearer(token))
        current = hub.current_hub()
        # Delivered live: the sweep must not send it again.
        await sync_to_async(publish_committed)([ann.pk], ConversationRead(conversation=1, seq=1))
        assert (await phone.receive_json_from())["seq"] == 1
        # Stored by a process that could not reach this one (no Redis, or a failed PUBLISH).
        missed = await sync_to_async(store)([ann.pk], '{"type":"conversation.read","conversation":1,"seq":2}')
        assert await current.sweep(now=later) == 1
        assert await phone.receive_json_from() == {
            "id": missed,
            "type": "conversation.read",
            "conversation": 1,
            "seq": 2,
        }
        assert await current.sweep(now=later) == 0
        await phone.disconnect()

    run(body)


@pytest.mark.django_db(transaction=True)  # real commits: PostgreSQL's sweep reads settled events
def test_the_sweep_leaves_fresh_events_to_live_delivery(people):
    from kiban.realtime.delivery import store

    ann = people["ann"]
    token = token_for(ann)

    async def body():
        phone, _ = await open_socket(bearer(token))
        await sync_to_async(store)([ann.pk], '{"type":"conversation.read","conversation":1,"seq":2}')
        assert await hub.current_hub().sweep() == 0  # younger than the grace period
        await phone.disconnect()

    run(body)
