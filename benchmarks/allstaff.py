"""All-staff broadcast: 5,000 people in one channel, beside a 10-member channel, in the same run.

    uv run python benchmarks/allstaff.py [--staff 5000] [--sockets 1000] [--posts 10]
    uv run python benchmarks/allstaff.py --scaled            # PostgreSQL + Redis (KIBAN_DATABASE_URL, KIBAN_REDIS_URL)

Starts a real `kiban serve` subprocess (embedded: a temporary SQLite data directory with the in-process worker;
`--scaled`: a throwaway PostgreSQL database on KIBAN_DATABASE_URL's server and KIBAN_REDIS_URL) with `--staff`
people b00000…, a channel `all` holding all of them and a channel `small` of 10 (b00000 posts in both), and
connects `--sockets` real WebSocket clients (the `websockets` library, Bearer tokens) of members b00001….

Measured, for each channel:
1. the poster's latency (POST /api/v1/conversations/{id}/messages answered) for a plain post and an
   `@channel` post (`--posts` of each, median and p95);
2. for each post, the time until the last connected socket of a member has the `message.created` frame;
3. a member's catch-up after 2,000 foreign events (events to other people, published from this process as
   a `kiban worker` would): `GET /api/v1/realtime/events?after=` must return exactly the member's own events
   (the new messages of their channels), timed.

Targets (issue 8): @channel to 5,000 ≤ 3× a plain post to 10 (poster's median); the last of 1,000 sockets
within 2 s; catch-up exact. This is a benchmark, not a test; it prints the machine's load average.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import chat_fanout  # noqa: E402
from chat_fanout import configure, drop_pg, free_port, member_token, wait_for_port  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

CONNECT_CONCURRENCY = 32
FOREIGN_EVENTS = 2000
SMALL = 10


def create_data(staff: int) -> dict[str, int]:
    from django.core.management import call_command

    from kiban.accounts.models import ApiToken, Staff
    from kiban.accounts.tokens import hash_token
    from kiban.chat.actions import do_create_conversation, do_create_team
    from kiban.chat.models import Member

    call_command("migrate", interactive=False, verbosity=0)
    Staff.objects.bulk_create(
        (
            Staff(username=f"b{i:05d}", family_name="試験", given_name=f"{i}", password="!")
            for i in range(staff)
        ),
        batch_size=1000,
    )
    people = list(Staff.objects.filter(username__startswith="b").order_by("username"))
    ApiToken.objects.bulk_create(
        (
            ApiToken(user=person, label="bench", token_hash=hash_token(member_token(i)), prefix="kbn_bench")
            for i, person in enumerate(people)
        ),
        batch_size=1000,
    )
    poster = people[0]
    team = do_create_team(poster, name="架空県庁")
    small, _ = do_create_conversation(
        poster, kind="channel", name="small", team_id=team.pk, members=[p.username for p in people[1:SMALL]]
    )
    everyone, _ = do_create_conversation(poster, kind="channel", name="all", team_id=team.pk, members=[])
    Member.objects.bulk_create((Member(conversation=everyone, staff=p) for p in people[1:]), batch_size=2000)
    from django.db import connections

    connections.close_all()
    return {"small": small.pk, "all": everyone.pk, "ids": [p.pk for p in people]}


class Run:
    def __init__(self, port: int, channels: dict, sockets: int) -> None:
        self.port = port
        self.channels = channels
        self.count = sockets
        self.received: dict[str, dict[int, float]] = {}  # marker → member → receive time
        self.last_frame = 0.0  # when any socket last received any frame
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, member: int = 0, body: dict | None = None) -> tuple[int, dict]:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                headers = {"Authorization": f"Bearer {member_token(member)}"}
                data = None
                if body is not None:
                    headers["Content-Type"] = "application/json"
                    data = json.dumps(body)
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                return response.status, json.loads(response.read() or b"{}")
            except (OSError, http.client.HTTPException):
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError

    async def open(self) -> None:
        semaphore = asyncio.Semaphore(CONNECT_CONCURRENCY)
        self.sockets = []

        async def one(member: int):
            async with semaphore:
                sock = await connect(
                    f"ws://127.0.0.1:{self.port}/ws",
                    additional_headers={"Authorization": f"Bearer {member_token(member)}"},
                    compression=None,
                    max_queue=None,
                    open_timeout=300,
                    ping_interval=None,
                )
                hello = json.loads(await sock.recv())
                assert hello["type"] == "hello", hello
            return member, sock

        self.sockets = await asyncio.gather(*(one(m) for m in range(1, self.count + 1)))
        self.readers = [asyncio.get_running_loop().create_task(self.read(m, s)) for m, s in self.sockets]

    async def read(self, member: int, sock) -> None:
        try:
            async for text in sock:
                now = time.time()
                self.last_frame = now
                if '"message.created"' not in text:
                    continue
                marker = text.split("[bench:", 1)[1].split("]", 1)[0] if "[bench:" in text else None
                if marker is not None:
                    self.received.setdefault(marker, {})[member] = now
        except Exception:  # noqa: BLE001  (a closed socket ends its reader)
            return

    async def post(self, channel: str, text: str, expected: int) -> tuple[float, float | None]:
        """POST a message; returns (poster's latency, time until the last of `expected` sockets had it)."""
        marker = f"{channel}-{time.monotonic_ns()}"
        body = f"{text} [bench:{marker}]"
        started = time.time()

        def timed_post() -> tuple[int, float]:
            # Timed in the thread: the answer's arrival, not when this busy loop gets round to it.
            status, _answer = self.request(
                "POST", f"/api/v1/conversations/{self.channels[channel]}/messages", 0, {"body": body}
            )
            return status, time.time() - started

        status, answered = await asyncio.to_thread(timed_post)
        assert status == 201, status
        deadline = time.time() + 30
        while len(self.received.get(marker, {})) < expected and time.time() < deadline:
            await asyncio.sleep(0.01)
        got = self.received.get(marker, {})
        if len(got) < expected:
            return answered, None
        return answered, max(got.values()) - started

    async def quiet(self, gap: float = 0.3, timeout: float = 10.0) -> None:
        """Until no socket has received a frame for `gap` seconds."""
        deadline = time.time() + timeout
        while time.time() - self.last_frame < gap and time.time() < deadline:
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        for _member, sock in self.sockets:
            await sock.close()
        for reader in self.readers:
            reader.cancel()


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered) * 1000:7.1f} ms, p95 {p95 * 1000:7.1f} ms"


async def measure(run: Run, args) -> dict:
    started = time.monotonic()
    await run.open()
    print(f"{run.count} sockets open in {time.monotonic() - started:.1f} s", flush=True)
    expected = {"small": min(SMALL - 1, run.count), "all": run.count}
    results: dict[str, dict[str, list]] = {}
    for channel in ("small", "all"):
        for kind, text in (("plain", "お知らせです"), ("@channel", "@channel 防災訓練を始めます")):
            latencies, deliveries, lost, background = [], [], 0, []
            for _ in range(args.posts):
                started_at = time.time()
                answered, last = await run.post(channel, text, expected[channel])
                latencies.append(answered)
                if last is None:
                    lost += 1
                else:
                    deliveries.append(last)
                # The next post once this one's background work (the outbox) is done: each post measured
                # alone, as an all-staff @channel is rare; the time it took is reported too.
                background.append(await asyncio.to_thread(settle, started_at))
                # … and once the sockets are quiet (the notification.created frames of an @channel reach
                # 1,000 sockets after its jobs): otherwise the next post is timed against their delivery.
                await run.quiet()
            results[f"{channel} {kind}"] = {
                "post": latencies,
                "last": deliveries,
                "lost": lost,
                "bg": background,
            }
            print(
                f"{channel:5} ({args.staff if channel == 'all' else SMALL} members) {kind:8}: poster "
                f"{summary(latencies)}; last of {expected[channel]} sockets "
                + (summary(deliveries) if deliveries else "—")
                + (f"; {lost} posts not delivered to every socket within 30 s" if lost else "")
                + f"; outbox done after median {statistics.median(background):.2f} s",
                flush=True,
            )
    return results


def settle(since: float, timeout: float = 30.0, *, close: bool = True) -> float:
    """Wait until no event is pending and no job is due (the outbox is empty); seconds since `since`."""
    from django.db import connections
    from django.db.models import Q
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from kiban.realtime.models import Event

    deadline = time.time() + timeout
    while time.time() < deadline:
        busy = (
            Event.objects.filter(pending=True).exists()
            or DBTaskResult.objects.filter(status__in=["READY", "RUNNING"])
            .filter(Q(run_after__isnull=True) | Q(run_after__lte=timezone.now()))
            .exists()
        )
        if not busy:
            break
        time.sleep(0.05)
    if close:  # a worker thread of asyncio.to_thread: do not leave its connection behind
        connections.close_all()
    return time.time() - since


def in_process(channels: dict, posts: int) -> dict:
    """The request path alone: do_post_message called in this process (no sockets here, no HTTP), each post
    after the previous one's background work."""
    from kiban.accounts.models import Staff
    from kiban.chat.actions import access_conversation, do_post_message

    poster = Staff.objects.get(username="b00000")
    out = {}
    for channel in ("small", "all"):
        for kind, text in (("plain", "お知らせです"), ("@channel", "@channel 参集してください")):
            times = []
            for _ in range(posts):
                conv = access_conversation(poster, channels[channel])
                started = time.perf_counter()
                do_post_message(poster, conv, text)
                times.append(time.perf_counter() - started)
                settle(time.time(), close=False)  # keep this thread's connection: time posts, not connects
            out[f"{channel} {kind}"] = times
            print(f"request path only, {channel:5} {kind:8}: {summary(times)}", flush=True)
    return out


def catch_up(run: Run, ids: list[int]) -> dict:
    """A member of each channel (not connected) catches up after FOREIGN_EVENTS events to others."""
    from django.db import transaction

    from kiban.chat.events import ConversationRead
    from kiban.realtime import publish

    outsider = len(ids) - 1  # b04999: in `all` only
    insider = SMALL - 1  # b00009: in both
    cursors = {m: run.request("GET", "/api/v1/realtime/events", m)[1]["last_id"] for m in (outsider, insider)}
    others = ids[SMALL : SMALL + 50]
    started = time.monotonic()
    for i in range(FOREIGN_EVENTS):
        with transaction.atomic():
            publish([others[i % len(others)]], ConversationRead(conversation=0, seq=i))
    published = time.monotonic() - started
    mine = {"small": [], "all": []}
    for i in range(3):
        for channel in ("small", "all"):
            status, answer = run.request(
                "POST", f"/api/v1/conversations/{run.channels[channel]}/messages", 0, {"body": f"追記 {i}"}
            )
            assert status == 201, status
            mine[channel].append(answer["seq"])
    expected = {
        outsider: [("all", s) for s in mine["all"]],
        insider: sorted(
            [("small", s) for s in mine["small"]] + [("all", s) for s in mine["all"]], key=lambda x: x[1]
        ),
    }
    out = {"published_s": published}
    by_id = {run.channels["small"]: "small", run.channels["all"]: "all"}
    for member, cursor in cursors.items():
        deadline = time.monotonic() + 20
        while True:
            asked = time.monotonic()
            _status, answer = run.request("GET", f"/api/v1/realtime/events?after={cursor}", member)
            took = time.monotonic() - asked
            got = [
                (by_id.get(e["message"]["conversation"]), e["message"]["seq"])
                for e in answer["events"]
                if e["type"] == "message.created"
            ]
            # Foreign events (the 2,000 conversation.read to others) must never appear. The member's own
            # notifications may: on PostgreSQL the cursor stays below a transaction still open when it was
            # taken, so an own event committed just before can come after it (the client dedupes by id).
            others_seen = [e for e in answer["events"] if e["type"] == "conversation.read"]
            if len(got) >= len(expected[member]) or time.monotonic() > deadline:
                break
            time.sleep(0.2)  # a large fan-out is finished by the worker right after the post
        exact = sorted(got, key=lambda x: (x[0], x[1])) == sorted(
            expected[member], key=lambda x: (x[0], x[1])
        )
        name = "member of all only" if member != insider else "member of both"
        out[name] = {"took_s": took, "events": len(answer["events"]), "exact": exact and not others_seen,
                     "truncated": answer["truncated"]}  # fmt: skip
        if not (exact and not others_seen):
            print(f"  unexpected: got {got}, expected {expected[member]}, others {others_seen}", flush=True)
        print(
            f"catch-up after {FOREIGN_EVENTS} foreign events, {name}: {len(answer['events'])} events, "
            f"exact={exact and not others_seen}, truncated={answer['truncated']}, {took * 1000:.1f} ms",
            flush=True,
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--staff", type=int, default=5000)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=10, help="posts of each kind to each channel")
    parser.add_argument("--scaled", action="store_true", help="PostgreSQL + Redis")
    args = parser.parse_args()
    args.via_publish = False
    print(
        f"allstaff: {args.staff} staff, {args.sockets} sockets; {os.cpu_count()} CPUs, "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="kiban-allstaff-") as tmpdir:
        tmp = Path(tmpdir)
        env = configure(args, tmp)
        try:
            started = time.monotonic()
            channels = create_data(args.staff)
            print(f"set-up: {time.monotonic() - started:.1f} s", flush=True)
            port = free_port()
            import subprocess

            process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "kiban.cli", "serve", "--port", str(port)],
                env=env, cwd=chat_fanout.ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
            try:
                wait_for_port(port, process)
                run = Run(port, channels, args.sockets)

                async def live():
                    results = await measure(run, args)
                    await run.close()
                    return results

                results = asyncio.run(live())
                catch = catch_up(run, channels["ids"])
                alone = in_process(channels, args.posts)
            finally:
                process.terminate()
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
            plain_small = statistics.median(results["small plain"]["post"])
            channel_all = statistics.median(results["all @channel"]["post"])
            lasts = results["all plain"]["last"] + results["all @channel"]["last"]
            ratio_alone = statistics.median(alone["all @channel"]) / statistics.median(alone["small plain"])
            print(
                f"targets: @channel to {args.staff} / plain to {SMALL} = {channel_all / plain_small:.2f}× over HTTP, "
                f"{ratio_alone:.2f}× on the request path alone (≤ 3); "
                f"last of {args.sockets} sockets: max {max(lasts) if lasts else float('nan'):.2f} s (≤ 2); "
                f"catch-up exact: {all(v['exact'] for k, v in catch.items() if k != 'published_s')}; "
                f"load average now {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        finally:
            if args.scaled:
                drop_pg(args)


if __name__ == "__main__":
    main()
