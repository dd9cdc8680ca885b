"""A real coturn (Debian's `coturn` package) for tests: started on a free loopback port with a generated
configuration in a temporary folder, so no system service or fixed port is needed."""

from __future__ import annotations

import contextlib
import random
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Turn:
    port: int
    secret: str
    log: Path

    @property
    def url(self) -> str:
        return f"turn:127.0.0.1:{self.port}?transport=udp"


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers_stun(port: int) -> bool:
    """A STUN Binding request (RFC 5389: type 0x0001, magic cookie, random transaction id) gets an answer."""
    request = b"\x00\x01\x00\x00\x21\x12\xa4\x42" + secrets.token_bytes(12)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.3)
        try:
            sock.sendto(request, ("127.0.0.1", port))
            answer = sock.recv(2048)
        except OSError:
            return False
    return answer[:2] == b"\x01\x01" and answer[8:20] == request[8:20]


@contextlib.contextmanager
def run_coturn(folder: Path) -> Iterator[Turn]:
    binary = shutil.which("turnserver")
    if binary is None:
        pytest.fail("coturn is not installed (apt-get install coturn; .ci/run does it)")
    port = _free_udp_port()
    secret = secrets.token_hex(16)
    relay_low = random.randrange(50000, 59000, 200)  # noqa: S311 (a port range, not a secret)
    log = folder / "turnserver.log"
    config = folder / "turnserver.conf"
    config.write_text(
        "\n".join(
            [
                "listening-ip=127.0.0.1",
                "relay-ip=127.0.0.1",
                f"listening-port={port}",
                f"min-port={relay_low}",
                f"max-port={relay_low + 199}",
                "use-auth-secret",
                f"static-auth-secret={secret}",
                "realm=kiban.test",
                "fingerprint",
                "no-tls",
                "no-dtls",
                "no-tcp",
                "no-cli",
                # The test's browsers are on this machine: relaying to loopback is what is tested here.
                "allow-loopback-peers",
                f"userdb={folder / 'turndb'}",
                f"pidfile={folder / 'turnserver.pid'}",
                f"log-file={log}",
                "simple-log",
                "verbose",
                "",
            ]
        )
    )
    process = subprocess.Popen(  # noqa: S603
        [binary, "-c", str(config), "--no-stdout-log"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not _answers_stun(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"coturn did not start:\n{log.read_text(errors='replace') if log.exists() else ''}"
                )
            time.sleep(0.1)
        yield Turn(port=port, secret=secret, log=log)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def coturn(tmp_path) -> Iterator[Turn]:
    with run_coturn(tmp_path) as turn:
        yield turn
