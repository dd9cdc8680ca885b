"""Attachments: typed from content, thumbnailed safely, size-limited, downloadable by members only."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kiban.blobs.models import Blob
from kiban.chat import actions
from kiban.chat.attachments import detect_content_type
from kiban.chat.models import Attachment, Message
from kiban.chat.tests.factories import as_member, make_group, post

pytestmark = pytest.mark.django_db
J = "application/json"


def _image(fmt: str = "PNG", size=(800, 600), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "blue").save(out, fmt)
    return out.getvalue()


def _bomb_png(width: int = 60_000, height: int = 60_000) -> bytes:
    """A valid PNG header claiming 3.6 billion pixels (the data is tiny)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 100))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def conv(clerk, section_head):
    return make_group(clerk, section_head)


def _upload(client, conv, name, data):
    return client.post(
        f"/api/v1/conversations/{conv.pk}/attachments", {"file": SimpleUploadedFile(name, data)}
    )


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("photo.txt", _image("JPEG"), "image/jpeg"),
        ("doc.png", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "application/pdf"),
        ("evil.png", b"<html><script>alert(1)</script></html>", "text/plain"),
        ("memo.exe", "会議メモ\n".encode(), "text/plain"),
        ("data.txt", b"\xff\xfe\x00\x81\x82binary", "application/octet-stream"),
    ],
)
def test_type_comes_from_content_not_name(client, clerk, conv, name, data, content_type):
    client.force_login(clerk)
    response = _upload(client, conv, name, data)
    assert response.status_code == 201, response.content
    assert (response.json()["content_type"], response.json()["name"]) == (content_type, name)


def test_image_gets_a_thumbnail_and_is_shown_inline(client, clerk, section_head, conv):
    client.force_login(clerk)
    uploaded = _upload(client, conv, "現場写真.png", _image("PNG", (1600, 1200))).json()
    assert (uploaded["width"], uploaded["height"]) == (1600, 1200)
    message = client.post(
        f"/api/v1/conversations/{conv.pk}/messages",
        {"body": "", "attachments": [uploaded["id"]]},
        content_type=J,
    ).json()
    assert [a["id"] for a in message["attachments"]] == [uploaded["id"]]
    client.force_login(section_head)
    thumb = client.get(uploaded["thumbnail_url"])
    assert thumb["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(b"".join(thumb.streaming_content))) as image:
        assert max(image.size) == 480
    full = client.get(uploaded["url"])
    assert (full["Content-Type"], full["Content-Disposition"].split(";")[0]) == ("image/png", "inline")


def test_non_image_downloads_as_attachment(client, clerk, conv):
    client.force_login(clerk)
    uploaded = _upload(client, conv, "page.html", b"<html><body>hi</body></html>").json()
    response = client.get(uploaded["url"])
    # Typed from the bytes (checked to be UTF-8), so the charset is stated rather than left to sniffing.
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/api/v1/attachments/{uploaded['id']}/thumbnail").status_code == 404


def test_decompression_bomb_is_stored_without_thumbnail(client, clerk, conv):
    client.force_login(clerk)
    response = _upload(client, conv, "bomb.png", _bomb_png())
    assert response.status_code == 201
    assert (response.json()["content_type"], response.json()["thumbnail_url"]) == ("image/png", "")


def test_too_large_is_413_and_nothing_stored(client, clerk, conv, settings):
    settings.KIBAN_CHAT_MAX_UPLOAD_BYTES = 1024
    client.force_login(clerk)
    response = _upload(client, conv, "big.bin", b"x" * 1025)
    assert response.status_code == 413
    assert response.json()["detail"].startswith("file:")
    assert Attachment.objects.count() == 0


def test_empty_file_is_400(client, clerk, conv):
    client.force_login(clerk)
    response = _upload(client, conv, "empty.txt", b"")
    assert (response.status_code, response.json()["detail"].split(":")[0]) == (400, "file")
    assert Attachment.objects.count() == 0


def test_unposted_upload_is_visible_to_its_uploader_only(client, clerk, section_head, conv):
    client.force_login(clerk)
    uploaded = _upload(client, conv, "draft.txt", "下書き".encode()).json()
    assert client.get(uploaded["url"]).status_code == 200
    client.force_login(section_head)
    assert client.get(uploaded["url"]).status_code == 404


def test_someone_elses_upload_cannot_be_attached(clerk, section_head, conv):
    mine = actions.access_conversation(clerk, conv.pk)
    from kiban.chat.attachments import do_upload_attachment

    attachment = do_upload_attachment(clerk, mine, SimpleUploadedFile("a.txt", b"abc"))
    with pytest.raises(ValidationError) as exc:
        post(section_head, conv, "横取り", attachment_ids=[attachment.pk])
    assert list(exc.value.message_dict) == ["attachments"]
    assert Message.objects.count() == 0


def test_deleting_the_message_makes_its_files_unreachable(
    client, clerk, section_head, conv, django_capture_on_commit_callbacks
):
    client.force_login(clerk)
    uploaded = _upload(client, conv, "p.png", _image()).json()
    message = post(clerk, conv, "写真", attachment_ids=[uploaded["id"]])
    attachment = Attachment.objects.get()
    names = [attachment.blob.key, attachment.thumbnail.name]
    assert all(default_storage.exists(n) for n in names)
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_delete_message(clerk, actions.access_message(clerk, message.pk))
    assert client.get(uploaded["url"]).status_code == 404
    assert client.get(uploaded["thumbnail_url"]).status_code == 404
    assert not any(default_storage.exists(n) for n in names)


def test_upload_to_archived_conversation_is_refused(clerk, conv):
    actions.do_archive_conversation(clerk, as_member(clerk, conv))
    from kiban.chat.attachments import do_upload_attachment

    with pytest.raises(ValidationError) as exc:
        do_upload_attachment(clerk, as_member(clerk, conv), SimpleUploadedFile("a.txt", b"abc"))
    assert list(exc.value.message_dict) == ["conversation"]


def test_detect_content_type_on_utf8_split_across_chunks():
    data = "あいう".encode()
    assert detect_content_type(data[:4], [data[:4], data[4:]]) == "text/plain"


def test_uploads_never_posted_are_pruned_after_a_day(clerk, conv, django_capture_on_commit_callbacks):
    import datetime as dt

    from django.utils import timezone

    from kiban.chat.attachments import do_upload_attachment
    from kiban.chat.jobs import prune_orphan_uploads

    mine = actions.access_conversation(clerk, conv.pk)
    old = do_upload_attachment(clerk, mine, SimpleUploadedFile("old.txt", b"old"))
    fresh = do_upload_attachment(clerk, mine, SimpleUploadedFile("new.txt", b"new"))
    posted = do_upload_attachment(clerk, mine, SimpleUploadedFile("posted.txt", b"posted"))
    post(clerk, conv, "添付", attachment_ids=[posted.pk])
    Attachment.objects.filter(pk__in=[old.pk, posted.pk]).update(
        created_at=timezone.now() - dt.timedelta(days=2)
    )
    with django_capture_on_commit_callbacks(execute=True):  # the bytes go after commit
        assert prune_orphan_uploads.func() == 1
    assert set(Attachment.objects.values_list("name", flat=True)) == {"new.txt", "posted.txt"}
    assert not default_storage.exists(old.blob.key)
    assert not Blob.objects.filter(pk=old.blob_id).exists()
    assert default_storage.exists(fresh.blob.key)
