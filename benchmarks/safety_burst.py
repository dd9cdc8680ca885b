"""Safety check burst: 5,000 staff answer within one minute over HTTP against a real `kiban serve`, while an
administrator watches the dashboard; beside a baseline of the same number of bare INSERTs in the same run.

    uv run python benchmarks/safety_burst.py [--staff 5000] [--seconds 60] [--clients 48]
    KIBAN_DATABASE_URL=postgres://… uv run python benchmarks/safety_burst.py      # PostgreSQL

Throwaway database (a temporary SQLite data directory, or `<name>_bench_safety` on the PostgreSQL server of
KIBAN_DATABASE_URL, dropped afterwards). Loads `--staff` people in 10 部 × 5 課 (one API token each, as a phone
app would hold), starts `kiban serve` (one process, its background worker inside: the check's notifications
and 5,000 emails to the log are written by it during the burst), then:
1. start: the administrator's `POST /api/v1/safety/checks` for everyone (fixes the audience: 5,000 rows);
2. burst: every person `POST /api/v1/safety/checks/{id}/answer` once, sent at an even rate over `--seconds`
   by `--clients` concurrent HTTP/1.1 keep-alive clients; latency per answer from send to response;
3. meanwhile the administrator's `GET …/summary` (counts by department and the first 200 unanswered) every
   0.5 s; latency of each;
4. afterwards: answers stored (all, none twice: rows of the check with an answer, distinct people);
5. baseline, in this process against the same database: `--staff` single-row INSERTs of the same shape into
   a scratch table, each its own transaction (the least any answer costs), sequentially.
Prints answers/s, p50/p95/max, the dashboard's p50/p95, and the baseline. This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from benchdb import percentile  # noqa: E402

ADMIN_TOKEN = "kbn_benchadmin" + "x" * 22


def token(i: int) -> str:
    return f"kbn_safety{i:06d}" + "x" * 20


def configure(tmp: Path) -> tuple[dict[str, str], str | None]:
    env = {**os.environ, "KIBAN_DATA_DIR": str(tmp), "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("KIBAN_REDIS_URL", None)
    os.environ.pop("KIBAN_REDIS_URL", None)
    env.pop("KIBAN_SMTP_URL", None)
    pg_name = None
    db_url = os.environ.get("KIBAN_DATABASE_URL")
    if db_url:
        import dj_database_url
        import psycopg

        db = dj_database_url.parse(db_url)
        pg_name = f"{db['NAME']}_bench_safety"
        with psycopg.connect(
            host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"] or None,
            dbname="postgres", autocommit=True,
        ) as admin:  # fmt: skip
            admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{pg_name}"')
        bench_url = db_url.rsplit("/", 1)[0] + "/" + pg_name
        env["KIBAN_DATABASE_URL"] = bench_url
        os.environ["KIBAN_DATABASE_URL"] = bench_url
    os.environ["KIBAN_DATA_DIR"] = str(tmp)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiban.settings")
    import django

    django.setup()
    return env, pg_name


def drop_pg(pg_name: str) -> None:
    import dj_database_url
    import psycopg
    from django.db import connections

    connections.close_all()
    db = dj_database_url.parse(os.environ["KIBAN_DATABASE_URL"])
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname="postgres", autocommit=True
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def load(staff: int) -> None:
    from django.core.management import call_command

    from kiban.accounts.models import ApiToken, Staff
    from kiban.accounts.tokens import hash_token
    from kiban.org.models import Department, Membership

    call_command("migrate", interactive=False, verbosity=0)
    tops = Department.objects.bulk_create(
        Department(code=f"9{b:02d}000", name=f"第{b}部", order=b) for b in range(10)
    )
    sections = Department.objects.bulk_create(
        Department(code=f"9{b:02d}{s + 1:02d}0", name=f"第{b}部第{s}課", parent=top, order=s)
        for b, top in enumerate(tops)
        for s in range(5)
    )
    Staff.objects.bulk_create(
        Staff(
            username=f"{300000 + i}",
            family_name="試験",
            given_name=f"{i}",
            password="!",
            extension=f"{i % 9999}",
        )
        for i in range(staff)
    )
    people = list(Staff.objects.filter(username__startswith="3").order_by("username"))
    Membership.objects.bulk_create(
        Membership(staff=p, department=sections[i % len(sections)], title="主事", is_head=i < len(sections))
        for i, p in enumerate(people)
    )
    ApiToken.objects.bulk_create(
        ApiToken(user=p, label="bench", token_hash=hash_token(token(i)), prefix="kbn_safety")
        for i, p in enumerate(people)
    )
    admin = Staff.objects.create(username="admin", family_name="管理", given_name="者", is_staff=True)
    ApiToken.objects.create(
        user=admin, label="bench", token_hash=hash_token(ADMIN_TOKEN), prefix="kbn_bencha"
    )
    from django.db import connections

    connections.close_all()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("server did not start")


class Clients:
    """Keep-alive HTTP/1.1 connections, one per thread."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.local = threading.local()

    def request(
        self, method: str, path: str, bearer: str, body: dict | None = None
    ) -> tuple[int, bytes, float]:
        for attempt in range(2):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            headers = {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"}
            data = json.dumps(body).encode() if body is not None else None
            start = time.perf_counter()
            try:
                conn.request(method, path, body=data, headers=headers)
                response = conn.getresponse()
                payload = response.read()
            except (http.client.HTTPException, OSError):
                conn.close()
                self.local.conn = None
                if attempt:
                    raise
                continue
            return response.status, payload, (time.perf_counter() - start) * 1000
        raise RuntimeError("unreachable")


def baseline(count: int) -> list[float]:
    """`count` single-row INSERTs of an answer-shaped row, each in its own transaction, sequentially."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_bare (id integer PRIMARY KEY, status varchar(10), can_work boolean, "
            "comment text, answered_at timestamp)"
        )
    out = []
    for i in range(count):
        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_bare (id, status, can_work, comment, answered_at) VALUES (%s, %s, %s, %s, %s)",
                [i, "safe", True, "", "2026-12-03 10:00:00"],
            )
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--staff", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=48)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kiban-safety-bench-") as tmp_dir:
        env, pg_name = configure(Path(tmp_dir))
        from django.db import connection

        engine = connection.vendor
        try:
            run(args, env, engine)
        finally:
            if pg_name:
                drop_pg(pg_name)


def run(args, env: dict[str, str], engine: str) -> None:
    t0 = time.perf_counter()
    load(args.staff)
    print(f"engine: {engine}; loaded {args.staff} staff in {time.perf_counter() - t0:.1f} s", flush=True)
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "kiban.cli", "serve", "--port", str(port)], env=env, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for(port, process)
        clients = Clients(port)
        status, body, start_ms = clients.request(
            "POST", "/api/v1/safety/checks", ADMIN_TOKEN, {"title": "震度6強の地震"}
        )
        assert status == 201, body
        check_id = json.loads(body)["id"]
        print(f"start (audience {args.staff}, fixed in the request; notifications and mail by the worker): "
              f"{start_ms:.0f} ms", flush=True)  # fmt: skip

        stop = threading.Event()
        dashboard: list[float] = []
        dashboard_errors: list[int] = []

        def watch() -> None:
            watcher = Clients(port)
            while not stop.is_set():
                status, _body, ms = watcher.request(
                    "GET", f"/api/v1/safety/checks/{check_id}/summary", ADMIN_TOKEN
                )
                (dashboard if status == 200 else dashboard_errors).append(ms if status == 200 else status)
                stop.wait(0.5)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        latencies: list[float] = []
        failures: dict[int, int] = {}
        lock = threading.Lock()
        interval = args.seconds / args.staff
        begin = time.perf_counter()

        def answer(i: int) -> None:
            due = begin + i * interval
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            body = {"status": ("safe", "safe", "safe", "minor", "serious")[i % 5], "can_work": i % 7 != 0}
            status, _payload, ms = clients.request(
                "POST", f"/api/v1/safety/checks/{check_id}/answer", token(i), body
            )
            with lock:
                if status == 200:
                    latencies.append(ms)
                else:
                    failures[status] = failures.get(status, 0) + 1

        with concurrent.futures.ThreadPoolExecutor(max_workers=args.clients) as pool:
            list(pool.map(answer, range(args.staff)))
        elapsed = time.perf_counter() - begin
        stop.set()
        watcher.join(5)
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    from django.db.models import Count

    from kiban.safety.models import Target

    answered = Target.objects.filter(safety_check_id=check_id).exclude(status="")
    stored = answered.count()
    people = answered.values("staff_id").distinct().count()
    twice = (
        Target.objects.filter(safety_check_id=check_id)
        .values("staff_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    bare = baseline(args.staff)

    def stats(samples: list[float]) -> str:
        if not samples:
            return "no samples"
        return (f"p50 {percentile(samples, 0.5):.1f} ms, p95 {percentile(samples, 0.95):.1f} ms, "
                f"max {max(samples):.1f} ms")  # fmt: skip

    print(f"answers: {len(latencies)} ok, failures {failures or 'none'}; {len(latencies) / elapsed:.0f} answers/s "
          f"over {elapsed:.1f} s; {stats(latencies)}")  # fmt: skip
    print(
        f"stored: {stored} answers from {people} people, people with two rows: {twice} (expected {args.staff}/{args.staff}/0)"
    )
    print(
        f"dashboard (summary) meanwhile: {len(dashboard)} reads, {stats(dashboard)}; errors {dashboard_errors or 'none'}"
    )
    total = sum(bare) / 1000
    print(f"baseline: {args.staff} bare INSERTs, one transaction each, sequential, in-process: "
          f"{args.staff / total:.0f} inserts/s, {stats(bare)}")  # fmt: skip


if __name__ == "__main__":
    main()
