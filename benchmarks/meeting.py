"""Online meetings: connect time, decoded frames per second per stream, and CPU per participant of Kiban's
built-in WebRTC mesh in Chromium, beside a bare RTCPeerConnection loopback pair; and signalling latency over
the socket against POST.

    uv run python benchmarks/meeting.py [--sizes 2,3,4] [--seconds 10] [--six]

Sets up a throwaway SQLite database (benchdb.py), serves Kiban's ASGI application with uvicorn in a thread,
and starts one Chromium per participant (its own process tree, so its CPU can be read with psutil) with the
fake camera and microphone, driven over the DevTools protocol by Playwright. For each room size the
participants open `/meet/{id}` at once; once every pair is connected and two seconds have passed, each page's
`getStats()` and each browser's CPU time are read twice, `--seconds` apart.

Printed per room size: connect time per pair (from creating the RTCPeerConnection to "connected", on the
two sides), decoded frames per second of every incoming video stream (min / median / max), and the
CPU of each participant's browser in cores (CPU seconds per wall second). The baseline is one Chromium
holding both ends of a bare RTCPeerConnection pair on one page (no signalling server, no Kiban page), fake
camera and microphone both ways: the same media work a two-person meeting does, measured the same way.

`--signalling` (on by default) times a `meeting.signal` from one person to another: sent as a client →
server frame on the socket (`kiban/realtime/inbound.py`), and as `POST /api/v1/meetings/{id}/signal`, each
received on the other person's socket. This is a benchmark, not a test; the machine's load average is
printed because the 2-core machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdb import configure, percentile  # noqa: E402

CHROMIUM = os.environ.get("KIBAN_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
]

BASELINE = """async () => {
  const media = () => navigator.mediaDevices.getUserMedia({audio: true, video: {width: 640, height: 360, frameRate: 20}});
  const [a, b] = [new RTCPeerConnection(), new RTCPeerConnection()];
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  const sinks = [];
  for (const pc of [a, b]) pc.ontrack = (e) => { const v = document.createElement('video'); v.muted = true; v.autoplay = true; v.srcObject = e.streams[0]; document.body.append(v); sinks.push(v); };
  for (const [pc, stream] of [[a, await media()], [b, await media()]]) for (const t of stream.getTracks()) pc.addTrack(t, stream);
  const started = performance.now();
  const connected = new Promise((ok) => { a.onconnectionstatechange = () => a.connectionState === 'connected' && ok(); });
  await a.setLocalDescription(); await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(); await a.setRemoteDescription(b.localDescription);
  await connected;
  window.pair = [a, b];
  return performance.now() - started;
}"""

BASELINE_STATS = """async () => {
  const out = [];
  for (const pc of window.pair) (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') out.push(s.framesDecoded); });
  return out;
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Chromium:
    """One browser process tree, driven over the DevTools protocol (so its pid, and its CPU, are known)."""

    def __init__(self, playwright, folder: Path) -> None:
        import psutil

        self.port = free_port()
        self.profile = Path(tempfile.mkdtemp(dir=folder))
        self.process = subprocess.Popen(  # noqa: S603
            [
                CHROMIUM,
                *ARGS,
                f"--remote-debugging-port={self.port}",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                self.browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{self.port}")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.context = self.browser.contexts[0]
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
        self.ps = psutil.Process(self.process.pid)

    def cpu(self) -> float:
        """User + system CPU seconds of the browser and all its processes so far."""
        import psutil

        total = 0.0
        for proc in [self.ps, *self.ps.children(recursive=True)]:
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    def close(self) -> None:
        try:
            self.browser.close()
        except Exception:  # noqa: S110 (the process is killed next)
            pass
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def session_cookie(user, base: str) -> dict:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base,
    }


def wait_all_connected(pages, n: int, timeout: float = 180) -> None:
    check = """(n) => window.kibanMeeting && window.kibanMeeting.peers.size === n &&
      [...window.kibanMeeting.peers.values()].every((p) => p.pc.connectionState === 'connected')"""
    deadline = time.monotonic() + timeout
    while not all(page.evaluate(check, n) for page in pages):
        if time.monotonic() > deadline:
            states = [
                page.evaluate("() => window.kibanMeeting ? window.kibanMeeting.stats() : document.title")
                for page in pages
            ]
            raise RuntimeError(f"the room did not connect in time: {states}")
        time.sleep(0.2)


def video_frames(page) -> dict[str, int]:
    frames = {}
    for peer in page.evaluate("() => window.kibanMeeting.stats()"):
        for s in peer["inbound"]:
            if s["kind"] == "video":
                frames[f"{peer['peer']}:{s['trackIdentifier']}"] = s["framesDecoded"]
    return frames


def measure_room(playwright, folder: Path, base: str, size: int, seconds: float, video_limit: int) -> dict:
    from django.conf import settings

    from kiban.accounts.tests.factories import StaffFactory
    from kiban.meetings.tests.helpers import room

    settings.KIBAN_MEETING_VIDEO_LIMIT = video_limit
    people = [StaffFactory() for _ in range(size)]
    meeting = room(people[0], *people[1:], title=f"bench {size}")
    browsers = [Chromium(playwright, folder) for _ in people]
    try:
        for browser, person in zip(browsers, people, strict=True):
            browser.context.add_cookies([session_cookie(person, base)])
        for browser in browsers:
            browser.page.goto(f"{base}{meeting.url}", wait_until="commit")
        pages = [b.page for b in browsers]
        wait_all_connected(pages, size - 1)
        connect_ms = [
            p["connectMs"]
            for page in pages
            for p in page.evaluate("() => window.kibanMeeting.stats()")
            if p["connectMs"] is not None
        ]
        time.sleep(2)
        frames0 = [video_frames(page) for page in pages]
        cpu0 = [b.cpu() for b in browsers]
        t0 = time.monotonic()
        time.sleep(seconds)
        frames1 = [video_frames(page) for page in pages]
        cpu1 = [b.cpu() for b in browsers]
        elapsed = time.monotonic() - t0
        fps = [(f1[k] - f0.get(k, 0)) / elapsed for f0, f1 in zip(frames0, frames1, strict=True) for k in f1]
        cores = [(c1 - c0) / elapsed for c0, c1 in zip(cpu0, cpu1, strict=True)]
        for page in pages:
            page.evaluate("() => window.kibanMeeting.leave()")
        return {"size": size, "connect_ms": connect_ms, "fps": fps, "cores": cores}
    finally:
        for browser in browsers:
            browser.close()


def measure_baseline(playwright, folder: Path, base: str, seconds: float) -> dict:
    browser = Chromium(playwright, folder)
    try:
        browser.page.goto(f"{base}/healthz")
        connect_ms = browser.page.evaluate(BASELINE)
        time.sleep(2)
        f0, c0, t0 = browser.page.evaluate(BASELINE_STATS), browser.cpu(), time.monotonic()
        time.sleep(seconds)
        f1, c1 = browser.page.evaluate(BASELINE_STATS), browser.cpu()
        elapsed = time.monotonic() - t0
        fps = [(b - a) / elapsed for a, b in zip(f0, f1, strict=True)]
        return {"connect_ms": [connect_ms], "fps": fps, "cores_browser": (c1 - c0) / elapsed}
    finally:
        browser.close()


async def _signal_latency(base: str, count: int) -> dict[str, list[float]]:
    import http.client
    from urllib.parse import urlsplit

    import websockets
    from asgiref.sync import sync_to_async

    from kiban.accounts.actions import do_create_token
    from kiban.accounts.tests.factories import StaffFactory
    from kiban.meetings.tests.helpers import enter, room

    def setup():
        a, b = StaffFactory(), StaffFactory()
        meeting = room(a, b)
        pa, pb = enter(meeting, a), enter(meeting, b)
        return meeting, pa.peer, pb.peer, do_create_token(a, "bench")[1], do_create_token(b, "bench")[1]

    meeting, peer_a, peer_b, token_a, token_b = await sync_to_async(setup)()
    ws_url = base.replace("http://", "ws://") + "/ws"
    results: dict[str, list[float]] = {"socket": [], "post": []}
    async with (
        websockets.connect(ws_url, additional_headers={"Authorization": f"Bearer {token_a}"}) as sender,
        websockets.connect(ws_url, additional_headers={"Authorization": f"Bearer {token_b}"}) as receiver,
    ):
        await sender.recv()
        await receiver.recv()  # hello
        host = urlsplit(base)

        def post(body: bytes) -> int:
            conn = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
            conn.request(
                "POST",
                f"/api/v1/meetings/{meeting.pk}/signal",
                body,
                {"Authorization": f"Bearer {token_a}", "Content-Type": "application/json"},
            )
            status = conn.getresponse().status
            conn.close()
            return status

        for i in range(count * 2):
            path = "socket" if i % 2 == 0 else "post"
            data = {
                "candidate": {
                    "candidate": f"candidate:{i} 1 udp 2122260223 127.0.0.1 {40000 + i} typ host",
                    "sdpMid": "0",
                    "sdpMLineIndex": 0,
                }
            }
            message = {"sender": peer_a, "target": peer_b, "data": data}
            started = time.perf_counter()
            if path == "socket":
                await sender.send(json.dumps({"type": "meeting.signal", "meeting": meeting.pk, **message}))
            else:
                status = await asyncio.to_thread(post, json.dumps(message).encode())
                assert status == 204, status
            while True:
                frame = json.loads(await asyncio.wait_for(receiver.recv(), 10))
                if frame.get("type") == "meeting.signal" and frame["data"]["candidate"][
                    "candidate"
                ].startswith(f"candidate:{i} "):
                    break
            results[path].append((time.perf_counter() - started) * 1000)
    return results


def summary(values: list[float], unit: str = "") -> str:
    if not values:
        return "–"
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}{unit}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2,3,4", help="room sizes, comma-separated")
    parser.add_argument(
        "--six", action="store_true", help="also 6 participants with KIBAN_MEETING_VIDEO_LIMIT=6"
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--signals", type=int, default=200, help="signals per path for the latency comparison"
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kiban-bench-meeting-"))
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    configure(None, tmp, "meeting")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from playwright.sync_api import sync_playwright

    from kiban.org.tests.factories import DepartmentFactory
    from kiban.realtime.tests.servers import thread_server

    DepartmentFactory(code="100000", name="総務部")
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores, shared)")
    with thread_server() as port:
        base = f"http://127.0.0.1:{port}"
        if args.signals:
            lat = asyncio.run(_signal_latency(base, args.signals))
            print(f"\nsignalling, one person's signal arriving on another's socket ({args.signals} each, ms)")
            print("| path | p50 | p95 | p99 |\n| --- | ---: | ---: | ---: |")
            for path, label in (
                ("socket", "client → server frame on /ws"),
                ("post", "POST /api/v1/meetings/{id}/signal"),
            ):
                v = lat[path]
                print(
                    f"| {label} | {percentile(v, 0.5):.1f} | {percentile(v, 0.95):.1f} | {percentile(v, 0.99):.1f} |"
                )
        print(f"\nmedia, {args.seconds:.0f} s per measurement (min / median / max)")
        print(
            "| room | pairs connect (ms) | decoded fps per incoming video stream | CPU per participant (cores) |"
        )
        print("| --- | --- | --- | --- |", flush=True)
        with sync_playwright() as playwright:
            base_row = measure_baseline(playwright, tmp, base, args.seconds)
            print(
                f"| baseline: bare RTCPeerConnection pair, one page | {summary(base_row['connect_ms'])} | "
                f"{summary(base_row['fps'])} | {base_row['cores_browser'] / 2:.2f} (browser "
                f"{base_row['cores_browser']:.2f} for both ends) |",
                flush=True,
            )
            sizes = [(int(n), 4) for n in args.sizes.split(",")] + ([(6, 6)] if args.six else [])
            for size, limit in sizes:
                row = measure_room(playwright, tmp, base, size, args.seconds, limit)
                if row is not None:
                    print(
                        f"| Kiban, {size} people | {summary(row['connect_ms'])} | {summary(row['fps'])} | "
                        f"{summary(row['cores'])} | (load average {os.getloadavg()[0]:.1f})",
                        flush=True,
                    )
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
