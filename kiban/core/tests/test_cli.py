"""The `kiban` console script: the real commands in child processes, each with its own data directory."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kiban.cli import main

TASKS_TABLE = "django_tasks_database_dbtaskresult"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIBAN_", "DJANGO_"))}
    # Always SQLite in its own folder: the child must not touch the test database or the developer's var/.
    env.update({"KIBAN_DATA_DIR": str(data_dir), "KIBAN_LOG_LEVEL": "WARNING", **extra})
    return env


def _kiban(*args: str) -> list[str]:
    return [sys.executable, "-m", "kiban.cli", *args]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _wait_until_up(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}: {process.stdout.read()}")
        try:
            if _get(f"http://127.0.0.1:{port}/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("server did not come up")


def _stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()


def _task_statuses(data_dir: Path) -> list[str]:
    """Statuses of the mail jobs the test queued (the repeating housekeeping jobs are not counted)."""
    with sqlite3.connect(data_dir / "kiban.sqlite3", timeout=20) as db:
        query = f"SELECT status FROM {TASKS_TABLE} WHERE task_path = 'kiban.core.mail.deliver_email'"  # noqa: S608
        return [row[0] for row in db.execute(query)]


def _wait_for_tasks(data_dir: Path, expected: list[str]) -> list[str]:
    deadline = time.monotonic() + 60
    statuses = _task_statuses(data_dir)
    while statuses != expected and time.monotonic() < deadline:
        time.sleep(0.2)
        statuses = _task_statuses(data_dir)
    return statuses


def _queue_mail(env: dict[str, str], count: int = 1) -> None:
    code = f"from kiban.core.mail import send_mail\nfor _ in range({count}): send_mail(['a@pref.example.jp'], '件名', '本文')"
    subprocess.run(
        _kiban("manage", "shell", "-c", code), env=env, check=True, capture_output=True, timeout=60
    )


def test_kiban_without_arguments_lists_the_commands(capsys):
    main([])
    out = capsys.readouterr().out
    assert out.startswith("usage: kiban COMMAND")
    for line in (
        "  serve [--host H] [--port P] [--demo] [--workers N]",
        "  worker [--batch]",
        "  manage COMMAND",
    ):
        assert line in out


def test_kiban_help_is_the_same_list(capsys):
    main([])
    listing = capsys.readouterr().out
    main(["--help"])
    assert capsys.readouterr().out == listing


def test_serve_migrates_serves_static_files_and_runs_jobs(tmp_path):
    port = _free_port()
    env = _env(tmp_path)
    process = subprocess.Popen(
        _kiban("serve", "--port", str(port)),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_until_up(process, port)
        status, body = _get(f"http://127.0.0.1:{port}/readyz")
        assert (status, json.loads(body)["status"]) == (200, "ok")
        # Served by WhiteNoise from the app's static folder, with no collectstatic run.
        status, body = _get(f"http://127.0.0.1:{port}/static/kiban/kiban.css")
        assert status == 200
        assert body == (Path(__file__).parents[2] / "static/kiban/kiban.css").read_bytes()
        # The worker inside `kiban serve` delivers a mail queued by another process.
        _queue_mail(env)
        assert _wait_for_tasks(tmp_path, ["SUCCESSFUL"]) == ["SUCCESSFUL"]
    finally:
        returncode = _stop(process)
    assert returncode == 0
    assert not (tmp_path / "static" / "kiban").exists()


def test_serve_with_several_workers_needs_redis(tmp_path):
    result = subprocess.run(
        _kiban("serve", "--workers", "2"), env=_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "--workers 2 には KIBAN_REDIS_URL" in result.stderr
    assert not (tmp_path / "kiban.sqlite3").exists() or _task_statuses(tmp_path) == []


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="Redis is not running on 127.0.0.1:6379 (.ci/run starts it)")
def test_serve_with_two_server_processes_runs_each_job_once(tmp_path):
    port = _free_port()
    env = _env(tmp_path, KIBAN_REDIS_URL="redis://127.0.0.1:6379/0")
    process = subprocess.Popen(
        _kiban("serve", "--port", str(port), "--workers", "2"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_until_up(process, port)
        _queue_mail(env, count=3)
        assert _wait_for_tasks(tmp_path, ["SUCCESSFUL"] * 3) == ["SUCCESSFUL"] * 3
        with sqlite3.connect(tmp_path / "kiban.sqlite3") as db:
            assert (
                db.execute("SELECT status, attempts FROM core_outgoingemail").fetchall() == [("sent", 1)] * 3
            )
    finally:
        returncode = _stop(process)
    assert returncode == 0


def test_worker_runs_due_jobs_and_stops_cleanly_on_sigterm(tmp_path):
    env = _env(tmp_path)
    subprocess.run(_kiban("manage", "migrate", "-v0"), env=env, check=True, timeout=120)
    _queue_mail(env)
    subprocess.run(_kiban("worker", "--batch"), env=env, check=True, capture_output=True, timeout=120)
    assert _task_statuses(tmp_path) == ["SUCCESSFUL"]

    _queue_mail(env)
    process = subprocess.Popen(
        _kiban("worker", "--interval", "0.2"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout.readline().startswith("Kiban worker ")
        assert _wait_for_tasks(tmp_path, ["SUCCESSFUL"] * 2) == ["SUCCESSFUL"] * 2
    finally:
        returncode = _stop(process)
    assert returncode == 0
