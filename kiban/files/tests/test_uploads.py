"""Resumable uploads: chunks at offsets, resumed after a lost chunk, refused out of order, and abandoned
ones swept with nothing left (no bytes, no row)."""

from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from django.utils import timezone

from kiban.blobs.jobs import sweep_blobs
from kiban.blobs.models import Blob, UploadSession
from kiban.files.models import File
from kiban.files.tests.conftest import content_of
from kiban.files.tests.test_api_files import stored_keys

pytestmark = pytest.mark.django_db
J = "application/json"
MIB = 1024 * 1024


@pytest.fixture
def small_chunks(settings):
    settings.KIBAN_FILES_CHUNK_BYTES = 64 * 1024


def put(client, session_id: str, offset: int, data: bytes):
    return client.put(
        f"/api/v1/files/uploads/{session_id}?offset={offset}", data, content_type="application/octet-stream"
    )


def test_chunks_build_the_file_and_the_last_one_returns_it(client, clerk, small_chunks):
    client.force_login(clerk)
    data = os.urandom(200 * 1024)
    session = client.post(
        "/api/v1/files/uploads", {"name": "航空写真　2026.bin", "size": len(data)}, content_type=J
    )
    assert session.status_code == 201, session.content
    session = session.json()
    assert (session["offset"], session["chunk_size"], session["file"]) == (0, 64 * 1024, None)
    offset = 0
    while offset < len(data):
        response = put(client, session["id"], offset, data[offset : offset + 64 * 1024])
        assert response.status_code == 200, response.content
        offset = response.json()["offset"]
    body = response.json()
    assert body["file"]["name"] == "航空写真　2026.bin"
    assert body["file"]["size"] == len(data)
    assert content_of(client.get(body["file"]["url"])) == data
    assert UploadSession.objects.count() == 0
    assert Blob.objects.get().state == "ready"


def test_a_chunk_at_the_wrong_offset_is_409_with_where_to_resume(client, clerk, small_chunks):
    client.force_login(clerk)
    data = os.urandom(150 * 1024)
    sid = client.post("/api/v1/files/uploads", {"name": "a.bin", "size": len(data)}, content_type=J).json()[
        "id"
    ]
    assert put(client, sid, 0, data[: 64 * 1024]).status_code == 200
    again = put(client, sid, 0, data[: 64 * 1024])  # a retry of a chunk that did arrive
    assert (again.status_code, again.json()["detail"].split(":")[0]) == (409, "offset")
    skipped = put(client, sid, 128 * 1024, data[128 * 1024 :])
    assert skipped.status_code == 409
    short = put(client, sid, 64 * 1024, data[64 * 1024 : 100 * 1024])
    assert short.status_code == 400
    status = client.get(f"/api/v1/files/uploads/{sid}").json()
    assert status["offset"] == 64 * 1024
    put(client, sid, 64 * 1024, data[64 * 1024 : 128 * 1024])
    done = put(client, sid, 128 * 1024, data[128 * 1024 :]).json()
    assert content_of(client.get(done["file"]["url"])) == data


def test_a_session_is_its_owners_alone(client, clerk, other_clerk, small_chunks):
    client.force_login(clerk)
    sid = client.post("/api/v1/files/uploads", {"name": "a.bin", "size": 10}, content_type=J).json()["id"]
    client.force_login(other_clerk)
    assert client.get(f"/api/v1/files/uploads/{sid}").status_code == 404
    assert put(client, sid, 0, b"0123456789").status_code == 404
    assert UploadSession.objects.get().offset == 0


def test_type_comes_from_the_first_chunk(client, clerk, small_chunks):
    client.force_login(clerk)
    pdf = b"%PDF-1.4\n" + os.urandom(100 * 1024)
    sid = client.post("/api/v1/files/uploads", {"name": "報告.txt", "size": len(pdf)}, content_type=J).json()[
        "id"
    ]
    put(client, sid, 0, pdf[: 64 * 1024])
    done = put(client, sid, 64 * 1024, pdf[64 * 1024 :]).json()
    assert done["file"]["content_type"] == "application/pdf"


def test_cancel_and_expiry_leave_nothing(client, clerk, small_chunks, django_capture_on_commit_callbacks):
    client.force_login(clerk)
    data = os.urandom(100 * 1024)
    first = client.post("/api/v1/files/uploads", {"name": "a.bin", "size": len(data)}, content_type=J).json()[
        "id"
    ]
    put(client, first, 0, data[: 64 * 1024])
    assert client.delete(f"/api/v1/files/uploads/{first}").status_code == 204
    second = client.post(
        "/api/v1/files/uploads", {"name": "b.bin", "size": len(data)}, content_type=J
    ).json()["id"]
    put(client, second, 0, data[: 64 * 1024])
    assert len(stored_keys()) == 1
    UploadSession.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep_blobs.func()
    assert result["sessions"] == 1
    assert (UploadSession.objects.count(), Blob.objects.count(), File.objects.count(), stored_keys()) == (
        0, 0, 0, set(),
    )  # fmt: skip


def test_a_pending_blob_left_by_a_crash_is_swept_with_its_bytes(clerk, django_capture_on_commit_callbacks):
    """What a process killed between writing the bytes and committing the file row leaves: a pending blob
    with bytes. After the grace period the sweeper removes both."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kiban.blobs import store

    blob = store.begin()
    store.write_upload(blob, SimpleUploadedFile("a.txt", b"half-done"), limit=MIB)
    assert stored_keys() == {blob.key}
    assert sweep_blobs.func()["pending"] == 0  # still within the grace period: maybe an upload in progress
    Blob.objects.update(created_at=timezone.now() - dt.timedelta(hours=7))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_blobs.func()["pending"] == 1
    assert (Blob.objects.count(), stored_keys()) == (0, set())


def test_oversized_session_is_refused(client, clerk, settings):
    settings.KIBAN_FILES_MAX_FILE_BYTES = 1000
    client.force_login(clerk)
    response = client.post("/api/v1/files/uploads", {"name": "a.bin", "size": 1001}, content_type=J)
    assert response.status_code == 413
    assert (UploadSession.objects.count(), Blob.objects.count(), stored_keys()) == (0, 0, set())


def test_chunk_over_the_chunk_size_is_413(client, clerk, small_chunks):
    client.force_login(clerk)
    sid = client.post("/api/v1/files/uploads", {"name": "a.bin", "size": MIB}, content_type=J).json()["id"]
    assert put(client, sid, 0, b"x" * (64 * 1024 + 1)).status_code == 413
    assert UploadSession.objects.get().offset == 0


def test_a_new_version_through_a_session(client, clerk, upload, small_chunks):
    client.force_login(clerk)
    file_id = upload("図面.bin", b"v1").json()["id"]
    data = os.urandom(70 * 1024)
    sid = client.post(
        "/api/v1/files/uploads", {"name": "図面.bin", "size": len(data), "file": file_id}, content_type=J
    ).json()["id"]
    put(client, sid, 0, data[: 64 * 1024])
    done = put(client, sid, 64 * 1024, data[64 * 1024 :]).json()
    assert (done["file"]["id"], done["file"]["version"]) == (file_id, 2)
    assert content_of(client.get(f"/api/v1/files/{file_id}/content")) == data


def test_quota_is_checked_at_start_and_at_completion(client, clerk, org_tree, small_chunks):
    from kiban.files.models import SectionQuota

    quota = SectionQuota.objects.create(department=org_tree["jinji"], limit_bytes=100 * 1024)
    client.force_login(clerk)
    refused = client.post("/api/v1/files/uploads", {"name": "a.bin", "size": 101 * 1024}, content_type=J)
    assert refused.status_code == 413
    data = os.urandom(90 * 1024)
    sid = client.post("/api/v1/files/uploads", {"name": "a.bin", "size": len(data)}, content_type=J).json()[
        "id"
    ]
    put(client, sid, 0, data[: 64 * 1024])
    quota.limit_bytes = 50 * 1024  # lowered meanwhile
    quota.save()
    last = put(client, sid, 64 * 1024, data[64 * 1024 :])
    assert last.status_code == 413
    assert (File.objects.count(), UploadSession.objects.count(), Blob.objects.count()) == (0, 0, 0)
    assert stored_keys() == set()


def test_stream_reader_reads_exact_lengths():
    from kiban.blobs.parts import BadChunk, _read_exact

    assert b"".join(_read_exact(io.BytesIO(b"abcdef"), 6)) == b"abcdef"
    with pytest.raises(BadChunk):
        b"".join(_read_exact(io.BytesIO(b"abc"), 6))
