"""`/ws`: the one WebSocket per client. A plain ASGI application (no Channels consumer, no channel layer):

1. authenticate (Bearer token, or session cookie with an allowed Origin); refused → accept, then close 4401
   (an explicit code lets a client tell "sign in again" from "the network blocks WebSockets");
2. register with this process's hub, send `{"type": "hello", "last_id": N}` (the newest event id: a client
   that reconnects catches up from its own last id with `/api/v1/realtime/events?after=`);
3. this coroutine writes what the hub queues for the socket; a small reader task answers the client's
   `{"type": "ping"}` with `{"type": "pong"}`, hands any other typed message to the module that declared it
   (`kiban/realtime/inbound.py`: client → server messages, authorised per message) and notices the disconnect. uvicorn's protocol-level pings
   (every 20 s, see `kiban serve`) drop dead peers.

Memory matters (thousands of idle sockets per process): one coroutine, one small task and one Connection of
a few slots per socket; no per-socket session or user object is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from asgiref.sync import sync_to_async

from kiban.realtime import inbound, presence
from kiban.realtime.auth import authenticate
from kiban.realtime.hub import CLOSE_UNAUTHENTICATED, Connection, current_hub, get_hub
from kiban.realtime.queries import max_event_id

logger = logging.getLogger("kiban.realtime")


def _connect_bookkeeping(user_id: int, first_here: bool) -> int:
    if first_here:
        presence.arrived(user_id)
    return max_event_id()


def _disconnect_bookkeeping(user_id: int) -> None:
    presence.left(user_id)


class RealtimeSocket:
    """The ASGI application behind `/ws` (wrapped in Channels' CookieMiddleware by kiban.realtime.routing)."""

    async def __call__(self, scope, receive, send) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        who = await sync_to_async(authenticate)(scope)
        if who is None:
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED})
            return
        user_id, credential = who
        hub = await get_hub()
        conn = Connection(user_id, send, credential)
        conn.task = asyncio.current_task()
        await send({"type": "websocket.accept"})
        first_here = hub.add(conn)
        try:
            last_id = await sync_to_async(_connect_bookkeeping)(user_id, first_here)
            # Frames the hub queued meanwhile follow the hello (deduplicated by id on the client).
            conn.queue.appendleft('{"type":"hello","last_id":' + str(last_id) + "}")
            reader = asyncio.get_running_loop().create_task(self._read(receive, conn))
            try:
                await self._write(conn)
            finally:
                reader.cancel()
        except asyncio.CancelledError:
            pass  # abandoned by the hub (a reader that stopped reading): returning closes the transport
        finally:
            if hub.remove(conn):
                with contextlib.suppress(Exception):
                    await asyncio.shield(sync_to_async(_disconnect_bookkeeping)(user_id))

    async def _write(self, conn: Connection) -> None:
        send = conn.send
        queue = conn.queue
        while True:
            await conn.wait()
            conn.sending = True
            while queue:
                await send({"type": "websocket.send", "text": queue.popleft()})
            conn.sending = False
            code = conn.close_code
            if code is not None:
                if code > 0:
                    with contextlib.suppress(Exception):
                        await send({"type": "websocket.close", "code": code})
                return

    async def _read(self, receive, conn: Connection) -> None:
        limiter = inbound.Limiter()
        try:
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if not text:
                    continue
                try:
                    data = json.loads(text)
                except ValueError:
                    continue
                if not isinstance(data, dict):
                    continue
                if data.get("type") == "ping":
                    # `settled`: every event of this socket up to that id has been queued before this pong
                    # (the hub's sweep), so the client may catch up from there after a reconnect.
                    current = current_hub()
                    settled = current.swept_to if current is not None else 0
                    conn.push('{"type":"pong","settled":' + str(settled) + "}")
                else:
                    # A module's message (kiban/realtime/inbound.py), handled before the next is read.
                    await inbound.dispatch(conn, data, limiter, len(text))
        finally:
            # The peer is gone (or the server stops): end the writer without sending a close.
            if conn.close_code is None:
                conn.close_code = 0
            conn._wake()


realtime_socket = RealtimeSocket()
