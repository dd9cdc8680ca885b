"""Chunks of resumable uploads received outside Django (kiban.files.receiver), driven through the project's
ASGI application in-process: the API's authentication, the owner's session only, refusals before a byte is
read, a client gone mid-chunk, and S3 parts. (`test_live_uploads` sends 100 MiB through a real server.)"""

from __future__ import annotations

import os

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.conf import settings as django_settings

from kiban.accounts.actions import do_create_token
from kiban.blobs import store
from kiban.blobs.models import Blob, UploadPart, UploadSession
from kiban.files.models import File
from kiban.files.receiver import ChunkReceiver
from kiban.files.tests.conftest import content_of
from kiban.files.tests.test_s3 import s3_endpoint, s3_storage  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

J = "application/json"
KIB = 1024
MIB = 1024 * KIB
MESSAGE = 64 * KIB  # as uvicorn hands a body over: in pieces


def _app():
    from kiban.asgi import application

    return application


def put(path: str, body: bytes, *, headers=(), length: int | None = None, pieces: int | None = None,
        disconnect_after: int | None = None, app=None) -> tuple[int | None, dict, dict]:  # fmt: skip
    """One PUT through the ASGI application: (status, JSON body, headers); status None when nothing was
    answered (the client went away)."""
    import json

    path, _q, query = path.partition("?")
    raw_headers = [(b"host", b"127.0.0.1"), *((k.encode(), v.encode()) for k, v in headers)]
    raw_headers.append((b"content-length", str(len(body) if length is None else length).encode()))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "PUT", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
        "headers": raw_headers, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip

    async def run():
        communicator = ApplicationCommunicator(app or _app(), scope)
        step = pieces or MESSAGE
        chunks = [body[i : i + step] for i in range(0, len(body), step)] or [b""]
        for i, chunk in enumerate(chunks):
            if disconnect_after is not None and i == disconnect_after:
                await communicator.send_input({"type": "http.disconnect"})
                break
            await communicator.send_input(
                {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
            )
        try:
            start = await communicator.receive_output(30)
        except TimeoutError:
            await communicator.wait(5)
            return None, {}, {}
        if start["type"] != "http.response.start":
            return None, {}, {}
        content = await communicator.receive_output(30)
        await communicator.wait(5)
        answer_headers = {k.decode(): v.decode() for k, v in start["headers"]}
        return start["status"], json.loads(content["body"] or b"{}"), answer_headers

    return async_to_sync(run)()


def bearer(person) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {do_create_token(person, 'test')[1]}")]


def begin(client, person, size: int, **extra) -> dict:
    client.force_login(person)
    response = client.post("/api/v1/files/uploads", {"name": "報告書 2026.pdf", "size": size, **extra},
                           content_type=J)  # fmt: skip
    assert response.status_code == 201, response.content
    return response.json()


def bytes_on_disk(session_id: str) -> bytes:
    session = UploadSession.objects.select_related("blob").get(token=session_id)
    with open(store.local_path(session.blob.key), "rb") as f:
        return f.read()


@pytest.fixture
def small_chunks(settings):
    settings.KIBAN_FILES_CHUNK_BYTES = 256 * KIB
    return 256 * KIB


def test_chunks_received_outside_django_make_the_file(client, clerk, small_chunks):
    data = b"%PDF-1.7\n" + os.urandom(600 * KIB)
    session = begin(client, clerk, len(data))
    auth = bearer(clerk)
    offset, answers = 0, []
    while offset < len(data):
        status, body, headers = put(
            f"/api/v1/files/uploads/{session['id']}?offset={offset}", data[offset : offset + small_chunks],
            headers=auth,
        )  # fmt: skip
        assert status == 200, body
        assert headers["content-type"] == "application/json"
        answers.append(body)
        offset = body["offset"]
    assert [a["offset"] for a in answers] == [256 * KIB, 512 * KIB, len(data)]
    assert [a["file"] is None for a in answers] == [True, True, False]
    file = answers[-1]["file"]
    assert (file["name"], file["size"], file["content_type"]) == (
        "報告書 2026.pdf",
        len(data),
        "application/pdf",
    )
    stored = File.objects.get(pk=file["id"])
    assert stored.created_by == clerk
    assert content_of(client.get(file["url"])) == data
    assert UploadSession.objects.count() == 0
    assert Blob.objects.get(pk=stored.blob_id).state == Blob.State.READY


def test_a_session_cookie_needs_the_csrf_token(client, clerk, small_chunks):
    data = os.urandom(100 * KIB)
    session = begin(client, clerk, len(data))
    cookie = (
        f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}"
    )
    path = f"/api/v1/files/uploads/{session['id']}?offset=0"

    status, body, headers = put(path, data, headers=[("cookie", cookie)])
    assert (status, body) == (403, {"detail": "CSRF verification failed: send the X-CSRFToken header."})
    assert headers["connection"] == "close"  # answered without reading the body
    assert UploadSession.objects.get(token=session["id"]).offset == 0
    assert bytes_on_disk(session["id"]) == b""

    csrf = "a" * 32
    with_csrf = [("cookie", f"{cookie}; {django_settings.CSRF_COOKIE_NAME}={csrf}"), ("x-csrftoken", csrf)]
    status, body, _headers = put(path, data, headers=with_csrf)
    assert status == 200, body
    assert body["file"]["size"] == len(data)


def test_no_credentials_is_401_and_a_revoked_token_too(client, clerk, small_chunks):
    session = begin(client, clerk, 1000)
    path = f"/api/v1/files/uploads/{session['id']}?offset=0"
    assert put(path, os.urandom(1000))[:2] == (401, {"detail": "Authentication required."})
    assert put(path, os.urandom(1000), headers=[("authorization", "Bearer kbn_nonsense")])[0] == 401
    assert UploadSession.objects.get(token=session["id"]).offset == 0


def test_another_persons_session_is_404_and_nothing_is_written(client, clerk, other_clerk, small_chunks):
    session = begin(client, clerk, 1000)
    status, body, headers = put(
        f"/api/v1/files/uploads/{session['id']}?offset=0", os.urandom(1000), headers=bearer(other_clerk)
    )
    assert (status, body) == (404, {"detail": "Not found."})
    assert headers["connection"] == "close"
    assert UploadSession.objects.get(token=session["id"]).offset == 0
    assert bytes_on_disk(session["id"]) == b""
    status, body, _h = put("/api/v1/files/uploads/no-such-session?offset=0", b"x", headers=bearer(clerk))
    assert status == 404


def test_bad_offsets_and_lengths_are_refused_before_reading(client, clerk, small_chunks):
    data = os.urandom(300 * KIB)
    session = begin(client, clerk, len(data))
    auth = bearer(clerk)
    base = f"/api/v1/files/uploads/{session['id']}"

    status, body, _h = put(f"{base}?offset={small_chunks}", data[small_chunks:], headers=auth)
    assert (status, body) == (409, {"detail": "offset: このアップロードは 0 バイト目から続けてください。"})
    status, body, _h = put(base, data[:small_chunks], headers=auth)
    assert status == 400 and body["detail"].startswith("offset:")
    status, body, _h = put(f"{base}?offset=-1", data[:small_chunks], headers=auth)
    assert status == 400 and body["detail"].startswith("offset:")
    status, body, _h = put(f"{base}?offset=0", data[:1000], headers=auth)
    assert (status, body) == (400, {"detail": f"body: expected {small_chunks} bytes at offset 0, got 1000"})
    status, body, _h = put(f"{base}?offset=0", data[: small_chunks + 1], headers=auth)
    assert (status, body) == (413, {"detail": f"body: チャンクは {small_chunks} バイトまでです。"})
    # A body shorter than its Content-Length is refused when it ends; nothing moved.
    status, body, _h = put(f"{base}?offset=0", data[:1000], headers=auth, length=small_chunks)
    assert status == 400 and body["detail"] == f"body: the chunk ended after 1000 of {small_chunks} bytes"
    assert UploadSession.objects.get(token=session["id"]).offset == 0


def test_a_client_gone_mid_chunk_moves_nothing_and_the_chunk_is_sent_again(client, clerk, small_chunks):
    data = os.urandom(small_chunks + 10)
    session = begin(client, clerk, len(data))
    auth = bearer(clerk)
    path = f"/api/v1/files/uploads/{session['id']}?offset=0"
    status, _body, _h = put(path, data[:small_chunks], headers=auth, disconnect_after=2)
    assert status is None
    assert UploadSession.objects.get(token=session["id"]).offset == 0
    assert put(path, data[:small_chunks], headers=auth)[0] == 200
    status, body, _h = put(
        f"/api/v1/files/uploads/{session['id']}?offset={small_chunks}", data[small_chunks:], headers=auth
    )
    assert status == 200
    assert content_of(client.get(body["file"]["url"])) == data


def test_quota_exceeded_at_completion_discards_the_upload(client, clerk, org_tree, small_chunks):
    from kiban.files.models import SectionQuota

    data = os.urandom(small_chunks + 10)
    session = begin(client, clerk, len(data))
    auth = bearer(clerk)
    assert put(f"/api/v1/files/uploads/{session['id']}?offset=0", data[:small_chunks], headers=auth)[0] == 200
    blob_id = UploadSession.objects.get(token=session["id"]).blob_id
    # The section's quota is lowered while the upload runs: the last chunk finds it full.
    SectionQuota.objects.create(department=org_tree["jinji"], limit_bytes=1000)
    status, body, _h = put(
        f"/api/v1/files/uploads/{session['id']}?offset={small_chunks}", data[small_chunks:], headers=auth
    )
    assert status == 413, body
    assert UploadSession.objects.count() == 0
    assert not Blob.objects.filter(pk=blob_id).exists()
    assert File.objects.count() == 0


def test_the_client_chooses_the_chunk_size_within_the_servers_bounds(client, clerk):
    client.force_login(clerk)
    size = 100 * MIB
    for chunk_size in (4 * MIB, django_settings.KIBAN_FILES_MAX_CHUNK_BYTES + 1):
        response = client.post("/api/v1/files/uploads", {"name": "a.bin", "size": size, "chunk_size": chunk_size},
                               content_type=J)  # fmt: skip
        assert response.status_code == 400
        assert response.json()["detail"].startswith("chunk_size:")
    session = begin(client, clerk, size, chunk_size=32 * MIB)
    assert session["chunk_size"] == 32 * MIB
    assert session["max_chunk_size"] == django_settings.KIBAN_FILES_MAX_CHUNK_BYTES == 64 * MIB
    assert begin(client, clerk, size)["chunk_size"] == django_settings.KIBAN_FILES_CHUNK_BYTES


def test_other_requests_pass_through_to_the_application():
    seen = []

    async def inner(scope, receive, send):
        seen.append((scope["method"], scope["path"]))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    assert put("/api/v1/files/uploads", b"{}", app=ChunkReceiver(inner))[0] == 204
    assert put("/api/v1/files/12/content", b"x", app=ChunkReceiver(inner))[0] == 204
    assert seen == [("PUT", "/api/v1/files/uploads"), ("PUT", "/api/v1/files/12/content")]


def test_s3_chunks_become_multipart_parts(client, clerk, s3_storage, settings):  # noqa: F811
    settings.KIBAN_FILES_CHUNK_BYTES = 5 * MIB  # S3's smallest part
    data = os.urandom(11 * MIB)
    session = begin(client, clerk, len(data))
    auth = bearer(clerk)
    offset = 0
    while offset < len(data):
        if offset == 5 * MIB:
            assert list(UploadPart.objects.values_list("number", "size")) == [(1, 5 * MIB)]
            assert s3_storage() == []  # parts are not objects until the upload completes
        status, body, _h = put(
            f"/api/v1/files/uploads/{session['id']}?offset={offset}",
            data[offset : offset + 5 * MIB],
            headers=auth,
        )
        assert status == 200, body
        offset = body["offset"]
    assert content_of(client.get(body["file"]["url"])) == data
    assert len(s3_storage()) == 1
    # Someone else's token reaches nothing of an S3 session either.
    other = begin(client, clerk, 6 * MIB)
    from kiban.accounts.tests.factories import StaffFactory

    status, _b, _h = put(
        f"/api/v1/files/uploads/{other['id']}?offset=0", data[: 5 * MIB], headers=bearer(StaffFactory())
    )
    assert status == 404
    assert not UploadPart.objects.filter(session__token=other["id"]).exists()


def test_one_request_upload_bodies_reach_django_in_large_pieces():
    """Django spools a large body with a worker-thread hop per piece: the pieces are gathered to 1 MiB."""
    received = []

    async def inner(scope, receive, send):
        more = True
        while more:
            message = await receive()
            received.append(len(message.get("body", b"")))
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    body = os.urandom(3 * MIB + 5)
    scope_path = "/api/v1/files"

    async def run():
        scope = {"type": "http", "method": "POST", "path": scope_path, "headers": [], "query_string": b""}
        communicator = ApplicationCommunicator(ChunkReceiver(inner), scope)
        pieces = [body[i : i + MESSAGE] for i in range(0, len(body), MESSAGE)]
        for i, piece in enumerate(pieces):
            await communicator.send_input(
                {"type": "http.request", "body": piece, "more_body": i < len(pieces) - 1}
            )
        start = await communicator.receive_output(10)
        await communicator.receive_output(10)
        await communicator.wait(5)
        return start["status"]

    assert async_to_sync(run)() == 204
    assert sum(received) == len(body)
    assert received == [MIB, MIB, MIB, 5]
