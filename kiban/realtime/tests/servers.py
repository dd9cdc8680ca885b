"""Real servers for the socket tests: uvicorn in a thread of the test process, or `kiban serve` processes."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from django.db import connection


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(port: int, process: subprocess.Popen | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/realtime/events", timeout=2)  # noqa: S310
        except urllib.error.HTTPError:
            return  # 401: Django answers
        except OSError:
            time.sleep(0.1)
            continue
        return
    raise RuntimeError(f"nothing serves on port {port}")


@contextlib.contextmanager
def thread_server() -> Iterator[int]:
    """Kiban's ASGI application under uvicorn in a thread (the test database is shared). Yields the port."""
    import uvicorn

    from kiban.asgi import application

    port = free_port()
    config = uvicorn.Config(
        application,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
        ws_per_message_deflate=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until_serving(port)
        yield port
    finally:
        server.should_exit = True
        thread.join(10)
        # The server's ORM calls ran in asgiref's executor thread; give its connection back (PostgreSQL
        # would otherwise refuse to drop the test database).
        from asgiref.sync import SyncToAsync
        from django.db import connections

        SyncToAsync.single_thread_executor.submit(connections.close_all).result()


def database_url() -> str:
    """The URL of the test database this process uses (PostgreSQL), for server subprocesses."""
    db = connection.settings_dict
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@contextlib.contextmanager
def serve_processes(count: int, data_dir: Path, *, workers: int = 1) -> Iterator[list[int]]:
    """`count` separate `kiban serve` processes on the test database and KIBAN_REDIS_URL. Yields ports."""
    env = {
        **os.environ,
        "KIBAN_DATABASE_URL": database_url(),
        "KIBAN_DATA_DIR": str(data_dir),
        "PYTHONUNBUFFERED": "1",
    }
    # The servers must not create a test database of their own: they use this one, as it is.
    env.pop("DJANGO_SETTINGS_MODULE", None)

    def log(port: int) -> Path:
        return data_dir / f"serve-{port}.log"

    def start(port: int) -> subprocess.Popen:
        # stderr to a file, not a pipe nobody drains: a chatty server would block once the pipe is full.
        command = [sys.executable, "-m", "kiban.cli", "serve", "--no-worker", "--port", str(port)]
        if workers > 1:
            command += ["--workers", str(workers)]
        with log(port).open("wb") as errors:  # the child keeps its own copy of the descriptor
            return subprocess.Popen(  # noqa: S603
                command, env=env, stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True
            )

    ports = [free_port() for _ in range(count)]
    processes = [start(port) for port in ports]
    try:
        for i in range(count):
            for attempt in range(3):
                try:
                    wait_until_serving(ports[i], processes[i])
                    break
                except RuntimeError:
                    if processes[i].poll() is None:
                        raise
                    errors = log(ports[i]).read_text(errors="replace")
                    # A port free a moment ago can be taken before the server binds it (the kernel hands
                    # ephemeral ports to outgoing connections too): try another; anything else is a failure.
                    if "address already in use" not in errors.lower() or attempt == 2:
                        raise RuntimeError(
                            f"kiban serve on port {ports[i]} failed:\n{errors[-3000:]}"
                        ) from None
                    ports[i] = free_port()
                    processes[i] = start(ports[i])
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
