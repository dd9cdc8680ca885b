"""An open WebSocket closes as soon as its credential ends — a revoked token, a sign-out, a retired person —
not at the hub's once-a-minute check: real uvicorn, real sockets, the revocation done as a person does it."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from django.db import connection
from django.test import Client
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from kiban.accounts import actions as account_actions
from kiban.accounts.actions import do_create_token
from kiban.accounts.models import ApiToken
from kiban.accounts.tests.factories import PASSWORD
from kiban.realtime.hub import CLOSE_UNAUTHENTICATED, TICK_SECONDS
from kiban.realtime.tests.servers import thread_server
from kiban.realtime.tests.test_live_servers import run

pytestmark = pytest.mark.django_db(transaction=True)

# Far below the periodic check, so passing proves the close did not wait for it.
PROMPTLY = 5.0
assert TICK_SECONDS >= 30


async def _open(port: int, headers: dict):
    socket = await connect(f"ws://127.0.0.1:{port}/ws", additional_headers=headers)
    hello = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert hello["type"] == "hello"
    return socket


async def _closed_within(socket, seconds: float) -> tuple[int | None, float]:
    """The close code the server sent and how long it took, or (None, seconds) if it stayed open."""
    started = time.monotonic()
    try:
        while True:
            await asyncio.wait_for(socket.recv(), seconds)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None, time.monotonic() - started
    except TimeoutError:
        return None, seconds


def _in_thread(fn):
    """Run `fn` (ORM work) in a thread of its own and close its connection after (PostgreSQL)."""

    def wrapped():
        try:
            return fn()
        finally:
            connection.close()

    return asyncio.get_running_loop().run_in_executor(None, wrapped)


def test_revoking_a_token_closes_its_socket_at_once_and_leaves_the_others_open(people):
    ann = people["ann"]
    _token_row, revoked = do_create_token(ann, "phone")
    _other_row, kept = do_create_token(ann, "laptop")
    token_id = ApiToken.objects.get(label="phone").pk

    async def body(port: int):
        phone = await _open(port, {"Authorization": f"Bearer {revoked}"})
        laptop = await _open(port, {"Authorization": f"Bearer {kept}"})
        await _in_thread(lambda: account_actions.do_revoke_token(ann, token_id))
        code, took = await _closed_within(phone, PROMPTLY)
        still_open, _ = await _closed_within(laptop, 1.0)
        await laptop.close()
        return code, took, still_open

    with thread_server() as port:
        code, took, still_open = run(body(port))
    assert code == CLOSE_UNAUTHENTICATED, f"not closed within {PROMPTLY} s"
    assert took < PROMPTLY
    assert still_open is None  # the other device's token still holds


def test_signing_out_closes_the_browsers_socket_at_once(people):
    ben = people["ben"]
    browser = Client()
    assert browser.post("/login", {"username": ben.username, "password": PASSWORD}).status_code == 302
    session_key = browser.cookies["sessionid"].value

    async def body(port: int):
        socket = await _open(port, {"Cookie": f"sessionid={session_key}", "Origin": "http://localhost"})
        await _in_thread(lambda: browser.post("/logout"))
        return await _closed_within(socket, PROMPTLY)

    with thread_server() as port:
        code, took = run(body(port))
    assert code == CLOSE_UNAUTHENTICATED, f"not closed within {PROMPTLY} s"
    assert took < PROMPTLY


def test_retiring_a_person_closes_their_sockets_at_once(people):
    cho = people["cho"]
    _row, token = do_create_token(cho, "phone")

    def retire():
        cho.is_active = False
        cho.save(update_fields=["is_active"])

    async def body(port: int):
        socket = await _open(port, {"Authorization": f"Bearer {token}"})
        await _in_thread(retire)
        return await _closed_within(socket, PROMPTLY)

    with thread_server() as port:
        code, took = run(body(port))
    assert code == CLOSE_UNAUTHENTICATED, f"not closed within {PROMPTLY} s"
    assert took < PROMPTLY
