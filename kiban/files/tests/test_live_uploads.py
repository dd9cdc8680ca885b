"""Uploads through a real `kiban serve` process over HTTP: 100 MiB in chunks, and a server killed
(SIGKILL) in the middle of an upload — resumed afterwards, or abandoned and swept to nothing."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from kiban.accounts.actions import do_create_token
from kiban.blobs.jobs import sweep_blobs
from kiban.blobs.models import Blob, UploadSession
from kiban.files.models import File
from kiban.realtime.tests.servers import database_url, free_port, wait_until_serving

MIB = 1024 * 1024
CHUNK = 8 * MIB


def _db_url() -> str:
    if connection.vendor == "postgresql":
        return database_url()
    return f"sqlite:///{connection.settings_dict['NAME']}"


@contextlib.contextmanager
def kiban_serve(data_dir: Path):
    """One `kiban serve` on the test database, its files under `data_dir`. Yields (port, process)."""
    env = {
        **os.environ,
        "KIBAN_DATABASE_URL": _db_url(),
        "KIBAN_DATA_DIR": str(data_dir),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    port = free_port()
    log = (data_dir / f"serve-{port}.log").open("wb")
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "kiban.cli", "serve", "--no-worker", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
    )  # fmt: skip
    try:
        wait_until_serving(port, process)
        yield port, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


def call(
    port: int,
    token: str,
    method: str,
    path: str,
    body: bytes | None = None,
    content_type: str = "application/json",
):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request(
        method, path, body=body, headers={"Authorization": f"Bearer {token}", "Content-Type": content_type}
    )
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data, {name.lower(): value for name, value in response.getheaders()}


def begin(port, token, name, size):
    status, data, _ = call(
        port, token, "POST", "/api/v1/files/uploads", json.dumps({"name": name, "size": size}).encode()
    )
    assert status == 201, data
    return json.loads(data)


def send_chunks(port, token, session_id, data, start=0):
    offset, last = start, None
    while offset < len(data):
        status, body, _ = call(
            port, token, "PUT", f"/api/v1/files/uploads/{session_id}?offset={offset}",
            data[offset : offset + CHUNK], "application/octet-stream",
        )  # fmt: skip
        assert status == 200, body
        last = json.loads(body)
        offset = last["offset"]
    return last


def kill_during_body(
    port, process, path, token, total: int, sent: int, content_type="application/octet-stream"
):
    """Send headers announcing `total` bytes and `sent` of them, then SIGKILL the server."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.putrequest("PUT" if "uploads/" in path else "POST", path)
    conn.putheader("Authorization", f"Bearer {token}")
    conn.putheader("Content-Type", content_type)
    conn.putheader("Content-Length", str(total))
    conn.endheaders()
    conn.send(os.urandom(sent))
    time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    conn.close()


@pytest.fixture
def data_dir(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


def files_on_disk(root: Path) -> list[Path]:
    return sorted(p for p in (root / "media").rglob("*") if p.is_file()) if (root / "media").exists() else []


@pytest.mark.django_db(transaction=True)
def test_a_100_mib_upload_and_download_over_http(clerk, data_dir):
    token = do_create_token(clerk, "test")[1]
    data = os.urandom(100 * MIB)
    with kiban_serve(data_dir) as (port, _process):
        session = begin(port, token, "庁舎３Ｄモデル.bin", len(data))
        done = send_chunks(port, token, session["id"], data)
        file = done["file"]
        assert (file["name"], file["size"]) == ("庁舎３Ｄモデル.bin", 100 * MIB)
        status, body, headers = call(port, token, "GET", file["url"])
        assert status == 200 and hashlib.sha256(body).digest() == hashlib.sha256(data).digest()
        assert headers["content-length"] == str(100 * MIB)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request(
            "GET", file["url"], headers={"Authorization": f"Bearer {token}", "Range": f"bytes={99 * MIB}-"}
        )
        response = conn.getresponse()
        assert (response.status, response.getheader("Content-Range")) == (
            206,
            f"bytes {99 * MIB}-{100 * MIB - 1}/{100 * MIB}",
        )
        assert response.read() == data[99 * MIB :]
        conn.close()
    assert [p.stat().st_size for p in files_on_disk(data_dir)] == [100 * MIB]


@pytest.mark.django_db(transaction=True)
def test_a_server_killed_mid_upload_resumes_and_leaves_no_orphan(
    clerk, data_dir, django_capture_on_commit_callbacks
):
    token = do_create_token(clerk, "test")[1]
    data = os.urandom(4 * CHUNK + 123)
    with kiban_serve(data_dir) as (port, process):
        session = begin(port, token, "議会映像.mp4", len(data))
        send_chunks(port, token, session["id"], data[: 2 * CHUNK])
        kill_during_body(
            port,
            process,
            f"/api/v1/files/uploads/{session['id']}?offset={2 * CHUNK}",
            token,
            CHUNK,
            CHUNK // 2,
        )
    # The crash lost only the chunk in flight: the session says where to resume, nothing is a file yet.
    assert UploadSession.objects.get().offset == 2 * CHUNK
    assert (File.objects.count(), Blob.objects.get().state) == (0, "pending")
    with kiban_serve(data_dir) as (port, process):
        status, body, _ = call(port, token, "GET", f"/api/v1/files/uploads/{session['id']}")
        assert json.loads(body)["offset"] == 2 * CHUNK
        done = send_chunks(port, token, session["id"], data, start=2 * CHUNK)
        status, body, _ = call(port, token, "GET", done["file"]["url"])
        assert body == data
        # A second upload, and a one-request upload, both killed mid-body and never resumed.
        abandoned = begin(port, token, "途中.bin", 2 * CHUNK)
        send_chunks(port, token, abandoned["id"], os.urandom(CHUNK))
        boundary = "X"
        kill_during_body(
            port,
            process,
            "/api/v1/files",
            token,
            20 * MIB,
            6 * MIB,
            f"multipart/form-data; boundary={boundary}",
        )
    assert (File.objects.count(), Blob.objects.count(), UploadSession.objects.count()) == (1, 2, 1)
    UploadSession.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        sweep_blobs.func()
    assert (File.objects.count(), Blob.objects.count(), UploadSession.objects.count()) == (1, 1, 0)
    assert [p.stat().st_size for p in files_on_disk(data_dir)] == [len(data)]
    assert list((data_dir / "tmp").iterdir()) == []
