"""The same files on S3-compatible storage: moto's server on loopback, started by the test, through
django-storages — upload, Range download, a multipart resumable upload, a version, the sweeper."""

from __future__ import annotations

import datetime as dt
import os
import socket

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from kiban.blobs.jobs import sweep_blobs
from kiban.blobs.models import Blob, UploadSession
from kiban.files.tests.conftest import content_of

J = "application/json"
MIB = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_storage(s3_endpoint, settings):
    import boto3

    from kiban.settings import parse_storage_url

    bucket = f"kiban-test-{os.getpid()}-{os.urandom(3).hex()}"
    credentials = {"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": "us-east-1"}
    boto3.client("s3", endpoint_url=s3_endpoint, **credentials).create_bucket(Bucket=bucket)
    os.environ["KIBAN_STORAGE_ACCESS_KEY_ID"] = "test"
    os.environ["KIBAN_STORAGE_SECRET_ACCESS_KEY"] = "test"
    try:
        backend = parse_storage_url(
            f"s3://{bucket}?endpoint_url={s3_endpoint}&region_name=us-east-1&addressing_style=path"
        )
    finally:
        del os.environ["KIBAN_STORAGE_ACCESS_KEY_ID"], os.environ["KIBAN_STORAGE_SECRET_ACCESS_KEY"]
    settings.STORAGES = {**settings.STORAGES, "default": backend}
    client = boto3.client("s3", endpoint_url=s3_endpoint, **credentials)
    yield lambda: sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", []))


def test_storage_url_is_parsed_strictly():
    from kiban.settings import parse_storage_url

    options = parse_storage_url("s3://bucket?endpoint_url=http://127.0.0.1:9000&location=kiban")["OPTIONS"]
    assert (options["bucket_name"], options["endpoint_url"], options["location"], options["default_acl"]) == (
        "bucket", "http://127.0.0.1:9000", "kiban", None,
    )  # fmt: skip
    for bad in ("file:///x", "s3://?endpoint_url=x", "s3://b?endpoint=x"):
        with pytest.raises(ValueError):
            parse_storage_url(bad)


@pytest.mark.django_db
def test_s3_round_trip(client, clerk, upload, s3_storage):
    assert default_storage.__class__.__name__ == "S3Storage"
    client.force_login(clerk)
    data = os.urandom(300 * 1024)
    created = upload("測量データ.bin", data, name="測量データ.bin").json()
    assert s3_storage() == [File_key(created["id"])]
    assert content_of(client.get(created["url"])) == data
    part = client.get(created["url"], HTTP_RANGE="bytes=1000-1999")
    assert (part.status_code, content_of(part)) == (206, data[1000:2000])
    assert (
        client.post(
            f"/api/v1/files/{created['id']}/versions", {"file": _upload("測量データ.bin", b"v2")}
        ).status_code
        == 201
    )
    assert content_of(client.get(created["url"])) == b"v2"
    assert content_of(client.get(f"{created['url']}?version=1")) == data
    assert len(s3_storage()) == 2


def File_key(file_id: int) -> str:
    from kiban.files.models import File

    return File.objects.get(pk=file_id).blob.key


def _upload(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


@pytest.mark.django_db
def test_s3_resumable_upload_uses_multipart_parts(client, clerk, s3_storage, settings):
    settings.KIBAN_FILES_CHUNK_BYTES = 5 * MIB  # S3's smallest part
    client.force_login(clerk)
    data = os.urandom(11 * MIB)
    sid = client.post(
        "/api/v1/files/uploads", {"name": "動画.mp4", "size": len(data)}, content_type=J
    ).json()["id"]
    assert s3_storage() == []  # parts are not objects until the upload completes
    offset = 0
    while offset < len(data):
        response = client.put(
            f"/api/v1/files/uploads/{sid}?offset={offset}",
            data[offset : offset + 5 * MIB],
            content_type="application/octet-stream",
        )
        assert response.status_code == 200, response.content
        offset = response.json()["offset"]
    file = response.json()["file"]
    assert content_of(client.get(file["url"])) == data
    assert (
        content_of(client.get(file["url"], HTTP_RANGE=f"bytes={6 * MIB}-{6 * MIB + 9}"))
        == data[6 * MIB : 6 * MIB + 10]
    )
    assert len(s3_storage()) == 1


@pytest.mark.django_db
def test_s3_abandoned_upload_is_aborted_by_the_sweeper(
    client, clerk, s3_storage, settings, django_capture_on_commit_callbacks
):
    settings.KIBAN_FILES_CHUNK_BYTES = 5 * MIB
    client.force_login(clerk)
    data = os.urandom(6 * MIB)
    sid = client.post("/api/v1/files/uploads", {"name": "a.bin", "size": len(data)}, content_type=J).json()[
        "id"
    ]
    client.put(
        f"/api/v1/files/uploads/{sid}?offset=0", data[: 5 * MIB], content_type="application/octet-stream"
    )
    session = UploadSession.objects.get()
    from kiban.blobs.store import s3_client_and_key

    s3, bucket, key = s3_client_and_key(session.blob.key)
    assert len(s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])) == 1
    UploadSession.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        sweep_blobs.func()
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert (Blob.objects.count(), UploadSession.objects.count(), s3_storage()) == (0, 0, [])
