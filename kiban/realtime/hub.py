"""The per-process fan-out hub: user id → this process's sockets of that person.

Why not Channels' group_send: it costs 100–250 µs of CPU per delivered message against 7–24 µs for an
in-process broadcast (shared/notes/realtime-fanout.md). Here an event reaches a process once (a
`call_soon_threadsafe` from the publishing thread, or one Redis message per event for the whole process), is
already serialized, and costs one dict lookup per recipient plus one queue append per socket.

Each socket has a bounded queue drained by the socket's own coroutine, so a slow reader never holds up the
others: when its queue overflows it is dropped and closed (1013, "try again later"); the client reconnects
and catches up through `/api/v1/realtime/events?after=`.

The hub starts on the event loop of the first socket of the process (uvicorn's, once per worker process). It
runs three background tasks: the Redis subscriber when KIBAN_REDIS_URL is set; a sweep every few seconds
that delivers stored events that did not arrive live (`Hub.sweep`); and a once-a-minute tick that refreshes
`realtime.Seen` for the people connected here and closes sockets whose credential was revoked. A revocation
does not wait for that tick: `accounts.revocation.announce` publishes a `credentials.changed` event for the
person, and each process re-checks that person's sockets as soon as the event reaches it (`_recheck`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone

from kiban.realtime import presence, publish
from kiban.realtime.auth import still_valid
from kiban.realtime.events import CredentialsChanged
from kiban.realtime.queries import events_after_all, max_event_id, settled_horizon
from kiban.realtime.wire import decode_redis_message, frame_text, redis_channel

logger = logging.getLogger("kiban.realtime")

# Frames waiting for one socket before it counts as overwhelmed (a client that stopped reading).
MAX_QUEUE = 1000
CLOSE_OVERWHELMED = 1013  # "try again later"
CLOSE_UNAUTHENTICATED = 4401
# How often a process refreshes Seen.last_seen_at for its connected people and re-checks credentials.
TICK_SECONDS = 60.0
SWEEP_SECONDS = 5.0
SWEEP_GRACE = dt.timedelta(seconds=2)
RECENT_KEPT = 20_000
SWEEP_BATCH = 1000
# Sockets woken per loop turn by one broadcast (see Hub._push_slice).
PUSH_SLICE = 100
REDIS_IDLE_PING = 30.0  # seconds without a message before the subscriber pings Redis
READY_TIMEOUT = 5.0


class Connection:
    """One socket as the hub sees it. `push` is called on the loop; the socket's coroutine drains `queue`."""

    __slots__ = ("close_code", "credential", "queue", "send", "sending", "task", "user_id", "waiter")

    def __init__(self, user_id: int, send, credential: tuple[str, str | int]) -> None:
        self.user_id = user_id
        self.send = send
        # ("session", session_key) or ("token", ApiToken id): re-checked by the hub's tick.
        self.credential = credential
        self.queue: collections.deque[str] = collections.deque()
        self.waiter: asyncio.Future | None = None
        self.close_code: int | None = None
        self.task: asyncio.Task | None = None
        self.sending = False  # inside send(): the peer's TCP window may be full

    def push(self, frame: str) -> None:
        if self.close_code is not None:
            return
        if len(self.queue) >= MAX_QUEUE:
            self.close(CLOSE_OVERWHELMED)
            return
        self.queue.append(frame)
        self._wake()

    def close(self, code: int) -> None:
        """Ask the socket's coroutine to close with `code` (dropping what it has not sent)."""
        if self.close_code is not None:
            return
        self.close_code = code
        self.queue.clear()
        if self.sending and self.task is not None and code == CLOSE_OVERWHELMED:
            # Blocked in send() on a reader that stopped reading: abandon the socket (uvicorn closes the
            # transport when the application returns).
            self.task.cancel()
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def wait(self) -> None:
        """Until there is something to send or the socket is to close."""
        if self.queue or self.close_code is not None:
            return
        self.waiter = asyncio.get_running_loop().create_future()
        await self.waiter


class Hub:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.by_user: dict[int, set[Connection]] = {}
        self.ready = asyncio.Event()
        self.tasks: list[asyncio.Task] = []
        # Ids routed here lately, and how far the sweep has read the event table (see `sweep`).
        self.recent: set[int] = set()
        self.recent_order: collections.deque[int] = collections.deque()
        self.swept_to = 0
        # Long-polling requests waiting for an event of a person (kiban/realtime/longpoll.py).
        self.waiters: dict[int, set[asyncio.Future]] = {}
        # Credential re-checks under way (CredentialsChanged), kept so they are not garbage-collected.
        self.rechecks: set[asyncio.Task] = set()
        # The fan-out of audience events (delivery.kick_fan_out): one run at a time, again if kicked meanwhile.
        self.fanning: asyncio.Task | None = None
        self.fan_again = False

    def start(self) -> None:
        if settings.REDIS_URL:
            self.tasks.append(self.loop.create_task(self._subscribe()))
        else:
            self.ready.set()
        self.tasks.append(self.loop.create_task(self._tick()))
        self.tasks.append(self.loop.create_task(self._sweep_forever()))

    def stop(self) -> None:
        for task in self.tasks:
            with contextlib.suppress(RuntimeError):  # its loop may be closed already (tests)
                task.cancel()

    async def aclose(self) -> None:
        """Stop the background tasks and wait for them (tests, before their loop ends)."""
        self.stop()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()

    # --- sockets -------------------------------------------------------------------------------------------

    def add(self, conn: Connection) -> bool:
        """Register a socket; True when it is this process's first socket of the person."""
        conns = self.by_user.get(conn.user_id)
        if conns is None:
            self.by_user[conn.user_id] = {conn}
            return True
        conns.add(conn)
        return False

    def remove(self, conn: Connection) -> bool:
        """Forget a socket; True when it was this process's last socket of the person."""
        conns = self.by_user.get(conn.user_id)
        if conns is None or conn not in conns:
            return False
        conns.discard(conn)
        if not conns:
            del self.by_user[conn.user_id]
            return True
        return False

    def connection_count(self) -> int:
        return sum(len(conns) for conns in self.by_user.values())

    # --- delivery (on the loop) ----------------------------------------------------------------------------

    def fan_out_soon(self) -> None:
        """Run `delivery.fan_out_pending` in a worker thread now (kicked after an audience event commits)."""
        if self.fanning is not None and not self.fanning.done():
            self.fan_again = True
            return
        self.fanning = self.loop.create_task(self._fan_out())

    async def _fan_out(self) -> None:
        from kiban.realtime.delivery import fan_out_pending

        while True:
            self.fan_again = False
            try:
                await sync_to_async(_fan_out_in_thread, thread_sensitive=False)(fan_out_pending)
            except asyncio.CancelledError:
                raise
            except Exception:  # the outbox job (and the periodic resume) finish it
                logger.warning("realtime: fan-out failed; the job will retry", exc_info=True)
            if not self.fan_again:
                return

    def deliver(self, recipients: list[int], frame: str) -> None:
        event_id = frame_id(frame)
        if event_id:
            if event_id in self.recent:
                return  # already delivered (a sweep racing a late live delivery)
            self.recent.add(event_id)
            self.recent_order.append(event_id)
            if len(self.recent_order) > RECENT_KEPT:
                self.recent.discard(self.recent_order.popleft())
        if frame.find(CREDENTIALS_CHANGED, 0, 64) != -1:
            self._recheck(recipients)  # for the hub only: no page listens for it
            return
        by_user = self.by_user
        targets = [conn for user_id in recipients for conn in by_user.get(user_id, ())]
        if len(targets) <= PUSH_SLICE:
            for conn in targets:
                conn.push(frame)
        else:
            self._push_slice(targets, frame, 0)
        if self.waiters:
            for user_id in recipients:
                for waiter in self.waiters.get(user_id, ()):
                    if not waiter.done():
                        waiter.set_result(None)

    def _push_slice(self, targets: list[Connection], frame: str, start: int) -> None:
        """Wake a slice of the sockets, then let the loop run (their sends, an HTTP response that is ready)
        before the next slice: a broadcast to 1,000 sockets does not hold the poster's answer back behind
        all 1,000 sends."""
        end = start + PUSH_SLICE
        for conn in targets[start:end]:
            conn.push(frame)
        if end < len(targets):
            self.loop.call_soon(self._push_slice, targets, frame, end)

    async def _subscribe(self) -> None:
        """One Redis subscription for the whole process; reconnects with backoff (the sweep delivers what
        was published meanwhile)."""
        import redis.asyncio as aioredis

        delay = 0.5
        while True:
            client = aioredis.Redis.from_url(settings.REDIS_URL)
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(redis_channel())
                heard = self.loop.time()
                while True:
                    message = await pubsub.get_message(timeout=REDIS_IDLE_PING)
                    if message is None:
                        # A connection that died without a reset would otherwise keep us waiting forever.
                        if self.loop.time() - heard > 3 * REDIS_IDLE_PING:
                            raise ConnectionError("Redis stopped answering")
                        await pubsub.ping()
                        continue
                    heard = self.loop.time()
                    if message["type"] == "subscribe":
                        # Subscribed: from here nothing published is missed.
                        self.ready.set()
                        delay = 0.5
                    elif message["type"] == "message":
                        recipients, frame = decode_redis_message(message["data"])
                        self.deliver(recipients, frame)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("realtime: Redis subscription lost; retrying in %.1f s", delay, exc_info=True)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                    await client.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("realtime: event sweep failed", exc_info=True)

    async def sweep(self, now=None) -> int:
        """Deliver stored events that never reached this process live; returns how many.

        Live delivery can miss: a Redis PUBLISH that failed, a subscription that was down for a moment, an
        event published by another process without Redis (`kiban worker` or a management command beside
        an embedded server). Every event is in the table, so every SWEEP_SECONDS the hub reads the rows
        after the last one it swept that are older than SWEEP_GRACE (time enough to have arrived live) and
        delivers those it has not seen. One small query per process every few seconds.
        """

        def read() -> tuple[int, list[tuple]]:
            horizon = settled_horizon()  # before the rows (see kiban.realtime.queries)
            return horizon, events_after_all(self.swept_to, SWEEP_BATCH, before=horizon, with_time=True)

        cutoff = (now or timezone.now()) - SWEEP_GRACE
        horizon, rows = await sync_to_async(read)()
        delivered = 0
        for event_id, recipients, body, created_at, frame_id in rows:
            if created_at > cutoff and frame_id == event_id:
                break  # may still arrive live; the next sweep looks again
            self.swept_to = event_id
            if frame_id not in self.recent:
                delivered += 1
                self.deliver(recipients, frame_text(frame_id, body))
        else:
            if len(rows) < SWEEP_BATCH:
                # Nothing below the horizon is left unseen: every socket here has had all its events up to
                # it (told to clients in the pong as a safe catch-up cursor).
                self.swept_to = max(self.swept_to, horizon - 1)
        return delivered

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            try:
                user_ids = list(self.by_user)
                if user_ids:
                    await sync_to_async(presence.touch)(user_ids)
                await self._close_revoked()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("realtime: presence tick failed")

    def _recheck(self, user_ids: list[int]) -> None:
        """Re-check now the sockets of these people (their credentials changed) and close the revoked ones."""
        conns = [conn for user_id in user_ids for conn in self.by_user.get(user_id, ())]
        if conns:
            task = self.loop.create_task(self._close_revoked_logged(conns))
            self.rechecks.add(task)
            task.add_done_callback(self.rechecks.discard)

    async def _close_revoked_logged(self, conns: list[Connection]) -> None:
        try:
            await self._close_revoked(conns)
        except Exception:  # the once-a-minute tick checks again
            logger.exception("realtime: credential re-check failed")

    async def _close_revoked(self, conns: list[Connection] | None = None) -> None:
        if conns is None:
            conns = [conn for conns in self.by_user.values() for conn in conns]
        if not conns:
            return
        valid = await sync_to_async(still_valid)([(conn.credential, conn.user_id) for conn in conns])
        for conn in conns:
            if conn.credential not in valid:
                conn.close(CLOSE_UNAUTHENTICATED)


CREDENTIALS_CHANGED = '"type":"credentials.changed"'


def credentials_changed(user_ids: list[int]) -> None:
    """The accounts app's revocation listener (registered in RealtimeConfig.ready): a CredentialsChanged event
    to these people, after commit, through the same path as every event (so it reaches every process)."""
    publish(user_ids, CredentialsChanged())


def frame_id(frame: str) -> int:
    """The id of a frame built by `delivery.frame_text` (`{"id":123,…`), without parsing the JSON."""
    end = frame.find(",", 6)
    try:
        return int(frame[6:end])
    except ValueError:
        return 0


_hub: Hub | None = None


async def get_hub() -> Hub:
    """The hub of this process, started on the running loop (a new loop, as in tests, gets a new hub)."""
    global _hub
    loop = asyncio.get_running_loop()
    if _hub is None or _hub.loop is not loop:
        if _hub is not None:
            _hub.stop()
        hub = Hub(loop)
        _hub = hub
        hub.swept_to = await sync_to_async(max_event_id)()
        hub.start()
    hub = _hub
    if not hub.ready.is_set():
        try:
            await asyncio.wait_for(hub.ready.wait(), READY_TIMEOUT)
        except TimeoutError:
            # Redis is unreachable: serve the socket anyway; the subscriber replays what it missed once
            # it subscribes, and clients poll /api/v1/realtime/events meanwhile if they must.
            logger.warning("realtime: no Redis subscription after %.0f s", READY_TIMEOUT)
    return hub


def current_hub() -> Hub | None:
    return _hub


async def shutdown() -> None:
    """Stop this process's hub (tests end each event loop with it)."""
    global _hub
    hub, _hub = _hub, None
    if hub is not None:
        await hub.aclose()


def _fan_out_in_thread(fan_out) -> None:
    from django.db import close_old_connections

    close_old_connections()
    fan_out()


def fan_out_threadsafe() -> None:
    """From any thread: ask this process's hub (if it serves sockets) to fan out pending events now."""
    hub = _hub
    if hub is None:
        return
    try:
        hub.loop.call_soon_threadsafe(hub.fan_out_soon)
    except RuntimeError:
        pass  # the loop is closed; the outbox job does it


def deliver_threadsafe(recipients: list[int], frame: str) -> None:
    """From any thread: hand a frame to this process's hub, if it has one (it has once a socket connected)."""
    hub = _hub
    if hub is None:
        return
    try:
        hub.loop.call_soon_threadsafe(hub.deliver, recipients, frame)
    except RuntimeError:
        pass  # the loop is closed (a finished test, a stopping server): no socket left to deliver to
