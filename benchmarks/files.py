"""Files and surveys, measured beside a baseline in the same run.

    uv run python benchmarks/files.py [--mib 100] [--runs 5] [--answers 5000]

Throwaway database: a temporary SQLite file, or — when KIBAN_DATABASE_URL is set — a separate PostgreSQL
database `<name>_bench_files`, dropped afterwards. Files live in a temporary data directory on the same disk.

1. Throughput through a real `kiban serve` process over loopback HTTP, against the same bytes moved by
   `shutil.copyfile` on the same disk (the baseline; target: Kiban within 2×):
   - upload: a `--mib` MiB file read from disk and sent as a resumable upload, in 8 MiB chunks (the
     server's default) and in 64 MiB chunks (the largest it accepts by default), each chunk a PUT;
   - one-request upload: a 30 MiB file as `POST /api/v1/files` (multipart);
   - download: `GET /api/v1/files/{id}/content` written to a file.
2. A survey's results for `--answers` answers (five questions, one of each kind, named and anonymous):
   `kiban.surveys.results.compute` and `GET /api/v1/surveys/{id}/results` (in-process client), p50/p95
   over `--runs`×10 calls, beside the baseline of reading the survey's ballot boxes alone.
This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchdb import configure, drop_pg  # noqa: E402
from benchdb import percentile as pct  # noqa: E402

MIB = 1024 * 1024
CHUNK = 8 * MIB  # the server's default chunk size
BIG_CHUNK = 64 * MIB  # the largest the server accepts by default (KIBAN_FILES_MAX_CHUNK_BYTES)


@contextlib.contextmanager
def serve(db_url: str, data_dir: Path):
    port = 8180 + (os.getpid() % 9) + 1
    env = {**os.environ, "KIBAN_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    if db_url:
        env["KIBAN_DATABASE_URL"] = db_url
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = (data_dir / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "kiban.cli", "serve", "--no-worker", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)
        log.close()


# The floor for any receiver behind uvicorn: a bare ASGI app that writes each body to disk at its offset
# and answers as the upload API does, served by uvicorn like `kiban serve`. Kiban's chunks against it show
# what Kiban itself costs; the rest is uvicorn, loopback TCP and the Python client.
BARE_APP = """
import json, os
from urllib.parse import parse_qs
DIR = os.environ["BARE_DIR"]
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    fd = offset = None
    if scope["method"] == "PUT":
        offset = int(parse_qs(scope["query_string"].decode())["offset"][0])
        fd = os.open(os.path.join(DIR, "bare.bin"), os.O_WRONLY | os.O_CREAT, 0o600)
    received, more = 0, True
    while more:
        message = await receive()
        body = message.get("body", b"")
        if fd is not None:
            os.pwrite(fd, body, offset + received)
        received += len(body)
        more = message.get("more_body", False)
    if fd is not None:
        os.close(fd)
    answer = json.dumps({"id": "bare", "offset": (offset or 0) + received, "chunk_size": int(os.environ["BARE_CHUNK"]),
                         "file": {"url": ""}}).encode()
    await send({"type": "http.response.start", "status": 200 if fd is not None else 201,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode())]})
    await send({"type": "http.response.body", "body": answer})
"""


@contextlib.contextmanager
def bare_uvicorn(directory: Path, chunk: int):
    (directory / "bare_app.py").write_text(BARE_APP)
    port = 8180 + (os.getpid() % 9) + 1
    env = {**os.environ, "BARE_DIR": str(directory), "BARE_CHUNK": str(chunk)}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--app-dir", str(directory), "bare_app:app", "--port", str(port),
         "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("POST", "/")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)


def request(conn, token, method, path, body=None, content_type="application/json"):
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = content_type
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response


def upload_resumable(port, token, path: Path, chunk_size: int = CHUNK) -> dict:
    size = path.stat().st_size
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    r = request(
        conn,
        token,
        "POST",
        "/api/v1/files/uploads",
        json.dumps({"name": f"{uuid.uuid4().hex}.bin", "size": size, "chunk_size": chunk_size}),
    )
    session = json.loads(r.read())
    assert r.status == 201, session
    offset = 0
    with path.open("rb") as f:
        while offset < size:
            chunk = f.read(session["chunk_size"])
            r = request(
                conn,
                token,
                "PUT",
                f"/api/v1/files/uploads/{session['id']}?offset={offset}",
                chunk,
                "application/octet-stream",
            )
            body = json.loads(r.read())
            assert r.status == 200, body
            offset = body["offset"]
    conn.close()
    return body["file"]


def upload_single(port, token, path: Path) -> dict:
    boundary = uuid.uuid4().hex
    data = path.read_bytes()
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{uuid.uuid4().hex}.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    r = request(conn, token, "POST", "/api/v1/files", body, f"multipart/form-data; boundary={boundary}")
    result = json.loads(r.read())
    assert r.status == 201, result
    conn.close()
    return result


def download(port, token, url: str, target: Path) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    r = request(conn, token, "GET", url)
    with target.open("wb") as f:
        while block := r.read(MIB):
            f.write(block)
    conn.close()


def python_copy(source: Path, target: Path) -> None:
    with source.open("rb") as src, target.open("wb") as dst:
        while block := src.read(MIB):
            dst.write(block)


def best(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


LOAD_BEFORE = os.getloadavg()


def throughput(db_url: str, tmp: Path, mib: int, runs: int) -> None:
    from kiban.accounts.actions import do_create_token
    from kiban.accounts.models import Staff

    person = Staff.objects.create(username="900001", family_name="山田", given_name="花子")
    token = do_create_token(person, "bench")[1]
    data_dir = tmp / "serve"
    data_dir.mkdir(exist_ok=True)
    source = tmp / "source.bin"
    with source.open("wb") as f:
        for _ in range(mib):
            f.write(os.urandom(MIB))
    single = tmp / "single.bin"
    with single.open("wb") as f:
        f.write(os.urandom(30 * MIB))
    copy_big = best(lambda: shutil.copyfile(source, tmp / "copy.bin"), runs)
    copy_single = best(lambda: shutil.copyfile(single, tmp / "copy.bin"), runs)
    loop_big = best(lambda: python_copy(source, tmp / "copy.bin"), runs)
    loop_single = best(lambda: python_copy(single, tmp / "copy.bin"), runs)
    bare = {}
    for chunk in (CHUNK, BIG_CHUNK):
        with bare_uvicorn(tmp, chunk) as port:
            bare[chunk] = best(lambda: upload_resumable(port, "", source, chunk), runs)  # noqa: B023
    with serve(db_url, data_dir) as port:
        files = []
        up = best(lambda: files.append(upload_resumable(port, token, source)), runs)
        up_big = best(lambda: files.append(upload_resumable(port, token, source, BIG_CHUNK)), runs)
        one = best(lambda: upload_single(port, token, single), runs)
        target = tmp / "downloaded.bin"
        down = best(lambda: download(port, token, files[-1]["url"], target), runs)
        assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(source.read_bytes()).digest()
    rows = [
        (f"resumable, {mib} MiB, 8 MiB PUTs", mib, up, copy_big, loop_big),
        (f"resumable, {mib} MiB, 64 MiB PUTs", mib, up_big, copy_big, loop_big),
        ("one-request upload, 30 MiB", 30, one, copy_single, loop_single),
        (f"download, {mib} MiB", mib, down, copy_big, loop_big),
    ]
    print(f"\nthroughput (best of {runs}); baselines on the same disk: shutil.copyfile (in the kernel) and a")
    print("read/write loop in Python with 1 MiB buffers")
    print(f"load average before the run: {LOAD_BEFORE}; after: {os.getloadavg()}")
    print(f"{'':30} {'Kiban MiB/s':>11} {'copyfile':>9} {'ratio':>6} {'loop':>7} {'ratio':>6}")
    for label, size, took, base, loop in rows:
        print(
            f"{label:30} {size / took:11.0f} {size / base:9.0f} {took / base:5.1f}× {size / loop:7.0f} {took / loop:5.1f}×"
        )
    print("the floor behind uvicorn: a bare ASGI app writing the same PUTs to disk (same client, same run)")
    for chunk in (CHUNK, BIG_CHUNK):
        took = up if chunk == CHUNK else up_big
        print(
            f"  {chunk // MIB} MiB PUTs: bare app {mib / bare[chunk]:.0f} MiB/s, Kiban {mib / took:.0f} MiB/s "
            f"({took / bare[chunk]:.1f}× the bare app; the bare app is {bare[chunk] / copy_big:.1f}× copyfile)"
        )


def survey_results(answers: int, runs: int) -> None:
    from django.test import Client

    from kiban.accounts.models import Staff
    from kiban.org.models import Department, Membership
    from kiban.surveys import actions, ballots, results
    from kiban.surveys.models import BallotBox

    departments = Department.objects.bulk_create(
        [Department(code=f"B{i:03d}", name=f"第{i}課") for i in range(50)]
    )
    people = Staff.objects.bulk_create(
        [Staff(username=f"{700000 + i}", family_name="佐藤", given_name=f"{i}") for i in range(answers)]
    )
    Membership.objects.bulk_create(
        [Membership(staff=p, department=departments[i % 50], is_primary=True) for i, p in enumerate(people)]
    )
    author = people[0]
    questions = [
        {"kind": "single", "text": "満足していますか", "choices": ["はい", "どちらとも", "いいえ"]},
        {
            "kind": "multiple",
            "text": "使う機能",
            "choices": ["チャット", "予定表", "施設予約", "ファイル", "アンケート"],
        },
        {"kind": "scale", "text": "満足度"},
        {"kind": "text", "text": "ご意見"},
        {"kind": "date", "text": "希望日"},
    ]
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(author)
    print(f"\nsurvey results, {answers} answers, {runs * 10} calls each (ms)")
    print(f"{'':44} {'p50':>7} {'p95':>7}")
    for anonymous in (False, True):
        survey = actions.do_create_survey(
            author, title="bench", questions=questions, audience_spec={"all": True}, anonymous=anonymous
        )
        ids = [q.pk for q in survey.questions.all()]
        start = time.perf_counter()
        for i, person in enumerate(people):
            actions.do_answer(person, survey, [
                {"question": ids[0], "value": questions[0]["choices"][i % 3]},
                {"question": ids[1], "value": questions[1]["choices"][: 1 + i % 5]},
                {"question": ids[2], "value": 1 + i % 5},
                {"question": ids[3], "value": f"意見{i}です。特にありません。"},
                {"question": ids[4], "value": f"2027-01-{1 + i % 28:02d}"},
            ])  # fmt: skip
        loading = time.perf_counter() - start
        kind = "anonymous" if anonymous else "named"
        samples = {
            "baseline: read the ballot boxes": [],
            "results.compute": [],
            "GET /api/v1/surveys/{id}/results": [],
        }
        for _ in range(runs * 10):
            t = time.perf_counter()
            sum(
                len(json.loads(b))
                for b in BallotBox.objects.filter(survey=survey).values_list("ballots", flat=True)
            )
            samples["baseline: read the ballot boxes"].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            results.compute(survey)
            samples["results.compute"].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            assert client.get(f"/api/v1/surveys/{survey.pk}/results").status_code == 200
            samples["GET /api/v1/surveys/{id}/results"].append((time.perf_counter() - t) * 1000)
        assert sum(1 for _ in ballots.all_ballots(survey)) == answers
        print(
            f"  {kind}: {answers} answers stored in {loading:.1f} s ({1000 * loading / answers:.1f} ms each, do_answer)"
        )
        for label, values in samples.items():
            print(f"  {kind + ', ' + label:42} {pct(values, 0.5):7.1f} {pct(values, 0.95):7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--answers", type=int, default=5000)
    args = parser.parse_args()
    db_url = os.environ.pop("KIBAN_DATABASE_URL", "")
    with tempfile.TemporaryDirectory(dir=os.environ.get("KIBAN_BENCH_TMP")) as tmp_name:
        tmp = Path(tmp_name)
        name = configure(db_url or None, tmp, "files")
        from django.core.management import call_command
        from django.db import connection

        if not db_url:
            # The server then opens the same file with Kiban's own SQLite settings (WAL, synchronous=NORMAL),
            # as `kiban serve` does; a sqlite:// URL would bypass them.
            (tmp / "serve").mkdir()
            name = connection.settings_dict["NAME"] = tmp / "serve" / "kiban.sqlite3"

        call_command("migrate", verbosity=0)
        print(f"database: {connection.vendor} ({name}); files under {tmp}")
        server_db = db_url.rsplit("/", 1)[0] + f"/{name}" if db_url else ""
        try:
            throughput(server_db, tmp, args.mib, args.runs)
            survey_results(args.answers, args.runs)
        finally:
            if db_url:
                drop_pg(db_url, name)


if __name__ == "__main__":
    main()
