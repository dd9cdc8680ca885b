"""An oversized request body is refused with 413 before it is read: a real uvicorn serving `kiban.asgi`, real
sockets, no Django test client (the client would skip the ASGI layer where the limit lives)."""

from __future__ import annotations

import json
import select
import socket
import time

import pytest
from django.conf import settings

from kiban.realtime.tests.servers import thread_server

pytestmark = pytest.mark.django_db(transaction=True)

MiB = 1024 * 1024


def _response(sock: socket.socket, timeout: float) -> bytes:
    """What the server answered, until it closes the connection or `timeout` passes."""
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
            if b"\r\n\r\n" in data and data.endswith(b"}"):
                break
    except TimeoutError:
        pass
    return data


def _status_and_detail(data: bytes) -> tuple[int, str]:
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)["detail"]


def test_the_default_limit_lets_the_largest_upload_through():
    assert settings.KIBAN_MAX_REQUEST_BYTES > settings.KIBAN_FILES_MAX_REQUEST_UPLOAD_BYTES
    assert settings.KIBAN_MAX_REQUEST_BYTES > settings.KIBAN_CHAT_MAX_UPLOAD_BYTES
    assert settings.KIBAN_MAX_REQUEST_BYTES > settings.KIBAN_FILES_CHUNK_BYTES


def test_a_declared_1_gb_body_is_refused_at_once_without_being_read():
    with thread_server() as port, socket.create_connection(("127.0.0.1", port)) as sock:
        started = time.monotonic()
        sock.sendall(
            b"POST /api/v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/octet-stream\r\nContent-Length: 1073741824\r\n\r\n" + b"x" * 65536
        )
        data = _response(sock, timeout=10)
        elapsed = time.monotonic() - started
    assert data.startswith(b"HTTP/1.1 413"), data[:200]
    status, detail = _status_and_detail(data)
    assert status == 413
    assert f"{settings.KIBAN_MAX_REQUEST_BYTES:,}" in detail
    # Answered while 64 KiB of the gigabyte had been sent: nothing waited for (or spooled) the body.
    assert elapsed < 5


def test_a_chunked_body_is_cut_off_as_soon_as_it_passes_the_limit():
    limit = settings.KIBAN_MAX_REQUEST_BYTES
    piece = b"y" * MiB
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    sent = 0
    with thread_server() as port, socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            b"POST /api/v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        answered = False
        deadline = time.monotonic() + 60
        while sent < 3 * limit and time.monotonic() < deadline:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                answered = True
                break
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                answered = True
                break
            sent += len(piece)
        data = _response(sock, timeout=10)
    assert answered, f"no answer after {sent:,} bytes"
    assert data.startswith(b"HTTP/1.1 413"), data[:200]
    # The server stopped at the limit; what more went out sat in the sockets' buffers.
    assert sent <= limit + 16 * MiB


def test_a_body_under_the_limit_reaches_the_application():
    with thread_server() as port, socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            b"POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
            b"Content-Length: 10\r\nConnection: close\r\n\r\n0123456789"
        )
        data = _response(sock, timeout=10)
    # Django's own answer (its CSRF check read the form), not the limit's.
    assert data.startswith(b"HTTP/1.1 403"), data[:200]
    assert "フォームの有効期限が切れました".encode() in data  # the application's CSRF failure page
