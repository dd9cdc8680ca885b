"""realtime.js in a real browser against the real ASGI application (uvicorn in a thread): one socket per
page, events dispatched once, a reconnect replays what was missed (and asks for a resync only when the
server says the gap cannot be replayed), and HTTP polling takes over where WebSockets are blocked."""

from __future__ import annotations

import time

import pytest
from django.db import connection, transaction

from kiban.accounts.tests.factories import PASSWORD, StaffFactory
from kiban.chat.events import ConversationRead
from kiban.realtime import hub, publish
from kiban.realtime.models import Event, Horizon
from kiban.realtime.tests.servers import thread_server
from tests.browser.conftest import CspWatcher
from tests.browser.helpers import sign_in

LISTEN = """async () => {
  const realtime = await import("/static/kiban/realtime.js");
  const live = realtime.connect();
  window.realtimeLog = [];
  for (const type of ["conversation.read", "resync"]) {
    live.addEventListener(type, (event) => window.realtimeLog.push(type === "resync" ? "resync" : event.detail.seq));
  }
  window.realtimeLive = live;
  return realtime.connect() === live;
}"""


@pytest.fixture
def server(transactional_db):
    with thread_server() as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def person(transactional_db):
    return StaffFactory(username="800001")


def open_page(browser, base_url: str):
    context = browser.new_context(locale="ja-JP", base_url=base_url)
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.csp = CspWatcher()
    page.on("console", page.csp)
    return page


def published(user_id: int, seq: int) -> None:
    with transaction.atomic():
        publish([user_id], ConversationRead(conversation=1, seq=seq))


def drop_sockets() -> None:
    """The server drops every socket (a restart)."""
    current = hub.current_hub()
    for conn in [c for conns in current.by_user.values() for c in conns]:
        current.loop.call_soon_threadsafe(conn.close, 1012)


def wait_for(page, expression: str, value, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate(expression) == value:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{expression} never became {value!r} (last {page.evaluate(expression)!r})")


def test_events_arrive_once_and_a_reconnect_replays_what_was_missed(browser, server, person):
    page = open_page(browser, server)
    try:
        sign_in(page, person.username, PASSWORD)
        assert page.evaluate(LISTEN) is True  # connect() gives the same object twice
        wait_for(page, "window.realtimeLive.status", "live")
        published(person.pk, 1)
        wait_for(page, "window.realtimeLog", [1])
        # The server drops the socket (a restart); an event is published while the client is away.
        drop_sockets()
        published(person.pk, 2)
        wait_for(page, "window.realtimeLive.status", "live", timeout=40)
        # Replayed from the catch-up: no resync (no refetch of everything the page shows).
        wait_for(page, "window.realtimeLog", [1, 2])
        published(person.pk, 3)
        wait_for(page, "window.realtimeLog", [1, 2, 3])
        # Away again, and what was missed can no longer be replayed (pruned): now the page resyncs.
        # (The client's cursor is from before event 3: its hello, as no pong has come yet.)
        Horizon.objects.update_or_create(
            name="pruned", defaults={"value": Event.objects.order_by("id").last().id}
        )
        drop_sockets()
        published(person.pk, 4)
        wait_for(page, "window.realtimeLog", [1, 2, 3, "resync"], timeout=40)
        wait_for(page, "window.realtimeLive.status", "live", timeout=40)
        published(person.pk, 5)  # live again: the page is settled before it closes
        wait_for(page, "window.realtimeLog", [1, 2, 3, "resync", 5])
        assert page.csp.violations == []
    finally:
        page.context.close()
        connection.close()


def test_polling_takes_over_when_websockets_are_blocked(browser, server, person):
    page = open_page(browser, server)
    # A proxy that refuses upgrades: every /ws connection is closed before it reaches the server.
    page.route_web_socket("**/ws", lambda ws: ws.close())
    try:
        sign_in(page, person.username, PASSWORD)
        page.evaluate(LISTEN)
        wait_for(page, "window.realtimeLive.status", "polling")
        # The first poll learns where the event ids stand; what follows is delivered by polling.
        wait_for(page, "window.realtimeLive.lastId !== null", True)
        published(person.pk, 7)
        published(person.pk, 8)
        wait_for(page, "window.realtimeLog", [7, 8])
        page.wait_for_timeout(3000)  # a few more polls: nothing is dispatched twice
        assert page.evaluate("window.realtimeLog") == [7, 8]
    finally:
        page.context.close()
        connection.close()
