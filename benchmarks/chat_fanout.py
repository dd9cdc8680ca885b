"""Chat fan-out: delivery latency, throughput, CPU and memory of Kiban's WebSockets, beside a bare server.

    uv run python benchmarks/chat_fanout.py [--sockets 2000] [--devices 2] [--rate 10] [--duration 10]
    uv run python benchmarks/chat_fanout.py --scaled [--workers 2]    # PostgreSQL + Redis

Starts a real `kiban serve` subprocess (embedded: a temporary SQLite data directory; `--scaled`: a throwaway
PostgreSQL database `<name>_bench_fanout` on KIBAN_DATABASE_URL's server and KIBAN_REDIS_URL, several
worker processes), creates `sockets / devices` members, a team with a channel of 50 and one of 500 members,
and connects real WebSocket clients (the `websockets` library; several devices per member) with Bearer
tokens. Messages are posted through the chat API (`POST /api/v1/conversations/{id}/messages`) at a fixed
rate, alternating between the two channels. The same load generator then drives the bare broadcast server
of `fanout_bare.py` (no framework, no database; posts arrive on a WebSocket) with frames of the same size.

Phases, for each server:
1. latency: `--latency-sockets` (200) sockets, `--latency-rate` (20) messages/s for `--latency-duration` s;
2. memory: the remaining sockets connect; RSS growth of the server process(es) per new idle socket;
3. load: all `--sockets`, `--rate` messages/s for `--duration` s.

Printed per phase: deliveries, lost, p50/p95/p99 latency (receive time minus the post's scheduled time, so
a server that falls behind cannot hide it), deliveries/s, server CPU per delivery (psutil: user + system
time of the server process and its children, divided by deliveries) and deliveries per server CPU-second;
then the ratios Kiban / bare. The generator runs in this process on the same machine, so its own CPU use
weighs on both servers alike. This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

CONNECT_CONCURRENCY = 32


# --- set-up --------------------------------------------------------------------------------------------------


def configure(args, tmp: Path) -> dict[str, str]:
    """Point Django at a throwaway database; return the environment for the server subprocess."""
    env = {**os.environ, "KIBAN_DATA_DIR": str(tmp), "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if args.scaled:
        db_url, redis_url = os.environ.get("KIBAN_DATABASE_URL"), os.environ.get("KIBAN_REDIS_URL")
        if not (db_url and redis_url and db_url.startswith("postgres")):
            sys.exit("--scaled needs KIBAN_DATABASE_URL (PostgreSQL) and KIBAN_REDIS_URL")
        import dj_database_url
        import psycopg

        db = dj_database_url.parse(db_url)
        name = f"{db['NAME']}_bench_fanout"
        with psycopg.connect(
            host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"] or None,
            dbname="postgres", autocommit=True,
        ) as admin:  # fmt: skip
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        bench_url = db_url.rsplit("/", 1)[0] + "/" + name
        env["KIBAN_DATABASE_URL"] = bench_url
        os.environ["KIBAN_DATABASE_URL"] = bench_url
        args.pg_name = name
    else:
        env.pop("KIBAN_DATABASE_URL", None)
        env.pop("KIBAN_REDIS_URL", None)
        os.environ.pop("KIBAN_DATABASE_URL", None)
        os.environ.pop("KIBAN_REDIS_URL", None)
    os.environ["KIBAN_DATA_DIR"] = str(tmp)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiban.settings")
    import django

    django.setup()
    return env


def drop_pg(args) -> None:
    import dj_database_url
    import psycopg
    from django.db import connections

    connections.close_all()
    db = dj_database_url.parse(os.environ["KIBAN_DATABASE_URL"])
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname="postgres", autocommit=True
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.pg_name}" WITH (FORCE)')


def member_token(i: int) -> str:
    return f"kbn_bench{i:06d}" + "x" * 24


def create_data(members: int) -> dict[str, int]:
    """Members b00000…, one API token each, a team with channels of 50 and 500 (b00000 in both, posting)."""
    from django.core.management import call_command

    from kiban.accounts.models import ApiToken, Staff
    from kiban.accounts.tokens import hash_token
    from kiban.chat.actions import do_create_conversation, do_create_team

    call_command("migrate", interactive=False, verbosity=0)
    Staff.objects.bulk_create(
        Staff(username=f"b{i:05d}", family_name="試験", given_name=f"{i}", password="!")
        for i in range(members)
    )
    staff = list(Staff.objects.filter(username__startswith="b").order_by("username"))
    ApiToken.objects.bulk_create(
        ApiToken(user=person, label="bench", token_hash=hash_token(member_token(i)), prefix="kbn_bench")
        for i, person in enumerate(staff)
    )
    creator = staff[0]
    team = do_create_team(creator, name="ベンチマーク")
    usernames = [person.username for person in staff]
    channels = {}
    for size in (50, 500):
        conv, _ = do_create_conversation(
            creator, kind="channel", name=f"ch{size}", team_id=team.pk, members=usernames[1:size]
        )
        channels[f"ch{size}"] = conv.pk
    from django.db import connections

    connections.close_all()
    return channels


def channel_members(members: int) -> dict[str, list[int]]:
    return {"ch50": list(range(min(50, members))), "ch500": list(range(min(500, members)))}


# --- servers -------------------------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def server_processes(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def server_cpu(pid: int) -> float:
    total = 0.0
    for proc in server_processes(pid):
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def server_rss(pid: int) -> int:
    total = 0
    for proc in server_processes(pid):
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


class Server:
    name = ""
    port = 0
    process: subprocess.Popen

    def headers(self, member: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {member_token(member)}"}

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class KibanServer(Server):
    def __init__(
        self, env: dict[str, str], channels: dict[str, int], workers: int, *, via_publish: bool = False
    ) -> None:
        self.name = "Kiban" + (
            f" ({workers} workers, PostgreSQL + Redis)" if workers > 1 else " (1 process, SQLite)"
        )
        self.via_publish = via_publish
        if via_publish:
            self.name += ", posting through realtime.publish from another process"
            from kiban.accounts.models import Staff

            ids = list(
                Staff.objects.filter(username__startswith="b")
                .order_by("username")
                .values_list("id", flat=True)
            )
            self.recipients = {
                name: [ids[m] for m in members] for name, members in channel_members(len(ids)).items()
            }
        self.port = free_port()
        self.channels = channels
        command = [sys.executable, "-m", "kiban.cli", "serve", "--port", str(self.port)]
        if workers > 1:
            command += ["--workers", str(workers)]
        self.process = subprocess.Popen(  # noqa: S603
            command,
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for_port(self.port, self.process)
        self.local = threading.local()
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=8)
        self.post_errors = 0
        self.error_kinds: list[str] = []
        self.post_times: list[float] = []  # answer of the POST minus its scheduled time

    def _post(self, channel: str, body: str, scheduled: float) -> None:
        for attempt in (1, 2):
            conn = getattr(self.local, "conn", None)
            reused = conn is not None
            if conn is None:
                conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                conn.request(
                    "POST",
                    f"/api/v1/conversations/{self.channels[channel]}/messages",
                    body=json.dumps({"body": body}),
                    headers={**self.headers(0), "Content-Type": "application/json"},
                )
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                self.local.conn = None
                if reused and attempt == 1:
                    continue  # the server closed an idle keep-alive connection: post again on a new one
                self.post_errors += 1
                self.error_kinds.append(type(exc).__name__)
                return
            if response.status != 201:
                self.post_errors += 1
                self.error_kinds.append(f"HTTP {response.status}")
            else:
                self.post_times.append(time.time() - scheduled)
            return

    def _publish(self, channel: str, body: str, scheduled: float) -> None:
        """The realtime layer alone: what `kiban worker` does (store the event, one Redis PUBLISH)."""
        from django.db import transaction

        from kiban.chat.events import MessageCreated
        from kiban.realtime import publish

        try:
            with transaction.atomic():
                publish(
                    self.recipients[channel],
                    MessageCreated(
                        message={"conversation": self.channels[channel], "author": "b00000", "body": body}
                    ),
                )
            self.post_times.append(time.time() - scheduled)
        except Exception as exc:
            self.post_errors += 1
            self.error_kinds.append(type(exc).__name__)

    async def start_posting(self) -> None:
        pass

    def post(self, channel: str, body: str, pad: int, scheduled: float) -> None:
        self.pool.submit(self._publish if self.via_publish else self._post, channel, body, scheduled)

    def stop(self) -> None:
        self.pool.shutdown(wait=True)
        super().stop()


class BareServer(Server):
    def __init__(self, tmp: Path, members: int) -> None:
        self.name = "bare websockets broadcast"
        self.port = free_port()
        spec = tmp / "bare-spec.json"
        spec.write_text(
            json.dumps(
                {"tokens": {member_token(i): i for i in range(members)}, "channels": channel_members(members)}
            )
        )
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                str(ROOT / "benchmarks" / "fanout_bare.py"),
                "--port",
                str(self.port),
                "--spec",
                str(spec),
            ],
            cwd=ROOT,
            start_new_session=True,
        )
        wait_for_port(self.port, self.process)
        self.poster = None
        self.post_errors = 0

    async def start_posting(self) -> None:
        self.poster = await connect(
            f"ws://127.0.0.1:{self.port}/ws",
            additional_headers={"Authorization": "Bearer poster"},
            compression=None,
        )
        await self.poster.recv()

    def post(self, channel: str, body: str, pad: int, scheduled: float) -> None:
        asyncio.get_running_loop().create_task(
            self.poster.send(json.dumps({"post": channel, "body": body, "pad": pad}))
        )


# --- load generator ------------------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    sockets: int
    rate: float
    duration: float
    deliveries: int = 0
    expected: int = 0
    latencies: list[float] = field(default_factory=list)
    cpu: float = 0.0
    wall: float = 0.0
    post_errors: int = 0
    post_latencies: list[float] = field(default_factory=list)

    @property
    def posts(self) -> int:
        return int(self.rate * self.duration)

    @property
    def lost(self) -> int:
        return self.expected - self.deliveries

    def pct(self, q: float, samples: list[float] | None = None) -> float:
        samples = self.latencies if samples is None else samples
        if not samples:
            return float("nan")
        ordered = sorted(samples)
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


class Generator:
    def __init__(self, server: Server, members: int, devices: int) -> None:
        self.server = server
        self.members = members
        self.devices = devices
        self.sockets: list[tuple[int, object]] = []  # (member, socket)
        self.readers: list[asyncio.Task] = []
        self.scheduled: dict[int, float] = {}
        self.received: dict[int, int] = {}
        self.latencies: list[float] | None = None
        self.frame_sizes: list[int] = []
        self.unexpected_closes = 0

    async def open(self, count: int) -> None:
        """Open sockets up to `count`: member m's devices are sockets m·devices … (members in order)."""
        semaphore = asyncio.Semaphore(CONNECT_CONCURRENCY)
        wanted = range(len(self.sockets), count)

        async def one(index: int):
            member = index // self.devices
            async with semaphore:
                sock = await connect(
                    f"ws://127.0.0.1:{self.server.port}/ws",
                    additional_headers=self.server.headers(member),
                    compression=None,
                    max_queue=None,
                    open_timeout=120,
                    ping_interval=None,
                )
                hello = json.loads(await sock.recv())
                assert hello["type"] == "hello", hello
            return member, sock

        opened = await asyncio.gather(*(one(i) for i in wanted))
        for member, sock in opened:
            self.sockets.append((member, sock))
            self.readers.append(asyncio.get_running_loop().create_task(self.read(sock)))

    async def read(self, sock) -> None:
        try:
            async for text in sock:
                now = time.time()
                start = text.find("bench#")
                if start < 0:
                    continue
                end = text.find("#", start + 6)
                index = int(text[start + 6 : end])
                scheduled = self.scheduled.get(index)
                if scheduled is None:
                    continue
                self.received[index] = self.received.get(index, 0) + 1
                if self.latencies is not None:
                    self.latencies.append(now - scheduled)
                if len(self.frame_sizes) < 100:
                    self.frame_sizes.append(len(text.encode()))
        except Exception:
            self.unexpected_closes += 1

    def connected_of(self, channel_members: list[int]) -> int:
        wanted = set(channel_members)
        return sum(1 for member, _sock in self.sockets if member in wanted)

    async def run(self, phase: Phase, first_index: int, pad: int) -> int:
        channels = channel_members(self.members)
        count = int(phase.rate * phase.duration)
        t0 = time.time() + 0.5
        names = ["ch50", "ch500"]
        expected = {name: self.connected_of(channels[name]) for name in names}
        for k in range(count):
            self.scheduled[first_index + k] = t0 + k / phase.rate
        phase.expected = sum(expected[names[k % 2]] for k in range(count))
        self.latencies = phase.latencies
        errors_before = self.server.post_errors
        post_times = getattr(self.server, "post_times", None)
        if post_times is not None:
            post_times.clear()
        cpu0 = server_cpu(self.server.process.pid)
        await self.server.start_posting()
        for k in range(count):
            delay = t0 + k / phase.rate - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self.server.post(names[k % 2], f"bench#{first_index + k}#", pad, t0 + k / phase.rate)
        # Drain: until everything arrived, or 15 s after the last scheduled post.
        deadline = t0 + count / phase.rate + 15
        while time.time() < deadline:
            done = sum(self.received.get(first_index + k, 0) for k in range(count))
            if done >= phase.expected:
                break
            await asyncio.sleep(0.05)
        phase.wall = max(time.time() - t0, 1e-9)
        phase.cpu = server_cpu(self.server.process.pid) - cpu0
        phase.deliveries = sum(self.received.get(first_index + k, 0) for k in range(count))
        phase.post_errors = self.server.post_errors - errors_before
        if post_times:
            phase.post_latencies = list(post_times)
        self.latencies = None
        return first_index + count

    async def close(self) -> None:
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*(sock.close() for _member, sock in self.sockets), return_exceptions=True)


async def measure(server: Server, args, members: int, pad: int) -> dict:
    gen = Generator(server, members, args.devices)
    result: dict = {"name": server.name, "phases": []}
    latency = Phase("latency", args.latency_sockets, args.latency_rate, args.latency_duration)
    load = Phase("load", args.sockets, args.rate, args.duration)
    await gen.open(args.latency_sockets)
    # Warm-up: a few posts so first-request costs (imports, connections) are not measured.
    index = await gen.run(Phase("warm-up", args.latency_sockets, 10, 0.5), 0, pad)
    index = await gen.run(latency, index, pad)
    result["phases"].append(latency)
    await asyncio.sleep(1)
    rss_before = server_rss(server.process.pid)
    await gen.open(args.sockets)
    await asyncio.sleep(3)
    rss_after = server_rss(server.process.pid)
    added = args.sockets - args.latency_sockets
    result["bytes_per_idle_socket"] = (rss_after - rss_before) / added if added else float("nan")
    result["rss_mb"] = rss_after / 2**20
    await gen.run(load, index, pad)
    result["phases"].append(load)
    result["frame_bytes"] = statistics.median(gen.frame_sizes) if gen.frame_sizes else 0
    result["unexpected_closes"] = gen.unexpected_closes
    result["errors"] = list(getattr(server, "error_kinds", []))
    await gen.close()
    return result


# --- report --------------------------------------------------------------------------------------------------


def marginal_cpu(result: dict) -> tuple[float, float]:
    """(CPU µs per post without fan-out, CPU µs per extra delivery), from the two phases' different fan-out
    per post: what one more socket in a channel costs, apart from handling the post itself."""
    a, b = result["phases"]
    per_post_a, per_post_b = a.cpu / a.posts, b.cpu / b.posts
    fan_a, fan_b = a.deliveries / a.posts, b.deliveries / b.posts
    if fan_b == fan_a:
        return float("nan"), float("nan")
    per_delivery = (per_post_b - per_post_a) / (fan_b - fan_a)
    return (per_post_a - per_delivery * fan_a) * 1e6, per_delivery * 1e6


def describe(result: dict) -> None:
    print(
        f"\n{result['name']}: frames ≈ {result['frame_bytes']:.0f} bytes, server RSS {result['rss_mb']:.0f} MB"
    )
    print(
        f"  {'phase':8} {'sockets':>7} {'msg/s':>6} {'deliveries':>10} {'lost':>5} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'deliv/s':>8} {'CPU µs/deliv':>12} {'deliv/CPU-s':>11}"
    )
    for p in result["phases"]:
        per = p.cpu / p.deliveries * 1e6 if p.deliveries else float("nan")
        per_core = p.deliveries / p.cpu if p.cpu else float("nan")
        print(
            f"  {p.name:8} {p.sockets:7d} {p.rate:6.0f} {p.deliveries:10d} {p.lost:5d} {p.pct(0.50):8.1f} "
            f"{p.pct(0.95):8.1f} {p.pct(0.99):8.1f} {p.deliveries / p.wall:8.0f} {per:12.1f} {per_core:11.0f}"
        )
        if p.post_latencies:
            print(
                f"    the posting call itself (its return minus scheduled time): p50 {p.pct(0.5, p.post_latencies):.1f} ms, "
                f"p99 {p.pct(0.99, p.post_latencies):.1f} ms"
            )
        if p.post_errors:
            print(f"    ({p.post_errors} posts failed: {', '.join(sorted(set(result.get('errors', []))))})")
    fixed, per_delivery = marginal_cpu(result)
    print(
        f"  from the two phases: CPU per post without fan-out ≈ {fixed / 1000:.1f} ms, "
        f"per extra delivery ≈ {per_delivery:.1f} µs"
    )
    print(f"  memory per idle socket: {result['bytes_per_idle_socket'] / 1024:.1f} KB")
    if result["unexpected_closes"]:
        print(f"  sockets closed by the server: {result['unexpected_closes']}")


def compare(kiban: dict, bare: dict) -> None:
    print("\nKiban / bare:")
    for pk, pb in zip(kiban["phases"], bare["phases"], strict=True):
        cpu_k = pk.cpu / pk.deliveries if pk.deliveries else float("nan")
        cpu_b = pb.cpu / pb.deliveries if pb.deliveries else float("nan")
        print(
            f"  {pk.name:8} p50 {pk.pct(0.5) / pb.pct(0.5):5.1f}×  p99 {pk.pct(0.99) / pb.pct(0.99):5.1f}×  "
            f"CPU per delivery {cpu_k / cpu_b:5.1f}×"
        )
    print(f"  CPU per extra delivery {marginal_cpu(kiban)[1] / marginal_cpu(bare)[1]:5.1f}×")
    print(
        f"  memory per idle socket {kiban['bytes_per_idle_socket'] / max(bare['bytes_per_idle_socket'], 1):5.1f}×"
    )
    lat_k, lat_b = kiban["phases"][0], bare["phases"][0]
    budget = 2 * lat_b.pct(0.99) + 20
    print("\nTargets:")
    print(f"  nothing lost: {'yes' if all(p.lost == 0 for p in kiban['phases']) else 'NO'}")
    print(
        f"  p99 at {lat_k.sockets} sockets, {lat_k.rate:.0f} msg/s: {lat_k.pct(0.99):.1f} ms "
        f"(budget 2 × {lat_b.pct(0.99):.1f} + 20 = {budget:.1f} ms): {'met' if lat_k.pct(0.99) <= budget else 'NOT met'}"
    )
    load = kiban["phases"][1]
    per_core = load.deliveries / load.cpu if load.cpu else float("nan")
    print(
        f"  deliveries per server CPU-second: {per_core:.0f} (target ≥ 5,000): {'met' if per_core >= 5000 else 'NOT met'}"
    )
    kb = kiban["bytes_per_idle_socket"] / 1024
    print(f"  memory per idle connection: {kb:.1f} KB (target ≤ 40 KB): {'met' if kb <= 40 else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--devices", type=int, default=2, help="sockets per member")
    parser.add_argument("--rate", type=float, default=10, help="messages/s in the load phase")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--latency-sockets", type=int, default=200)
    parser.add_argument("--latency-rate", type=float, default=20)
    parser.add_argument("--latency-duration", type=float, default=10)
    parser.add_argument("--scaled", action="store_true", help="PostgreSQL + Redis, several server processes")
    parser.add_argument("--workers", type=int, default=2, help="server processes with --scaled")
    parser.add_argument("--no-bare", action="store_true", help="skip the baseline")
    parser.add_argument(
        "--via-publish",
        action="store_true",
        help="with --scaled: post through kiban.realtime.publish from this process (the realtime layer alone: "
        "event row + Redis + hub) instead of the chat API",
    )
    args = parser.parse_args()
    if args.via_publish and not args.scaled:
        parser.error(
            "--via-publish needs --scaled (without Redis another process reaches sockets only by the sweep)"
        )
    if args.sockets < args.latency_sockets:
        parser.error("--sockets must be at least --latency-sockets")
    members = -(-args.sockets // args.devices)
    print(
        f"chat_fanout: {args.sockets} sockets = {members} members × {args.devices} devices; channels of "
        f"{min(50, members)} and {min(500, members)} members; {psutil.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory(prefix="kiban-fanout-") as tmpdir:
        tmp = Path(tmpdir)
        env = configure(args, tmp)
        try:
            started = time.monotonic()
            channels = create_data(members)
            print(f"set-up: {time.monotonic() - started:.1f} s")
            kiban = KibanServer(
                env, channels, args.workers if args.scaled else 1, via_publish=args.via_publish
            )
            try:
                kiban_result = asyncio.run(measure(kiban, args, members, pad=0))
            finally:
                kiban.stop()
            describe(kiban_result)
            if not args.no_bare:
                # Frames of Kiban's size: the bare server pads its message to the median Kiban frame.
                pad = max(0, int(kiban_result["frame_bytes"]) - 163)
                bare = BareServer(tmp, members)
                try:
                    bare_result = asyncio.run(measure(bare, args, members, pad=pad))
                finally:
                    bare.stop()
                describe(bare_result)
                compare(kiban_result, bare_result)
        finally:
            if args.scaled:
                drop_pg(args)


if __name__ == "__main__":
    main()
