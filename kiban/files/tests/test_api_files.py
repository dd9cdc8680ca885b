"""Files through the API: names kept exactly, content with Range, versions, trash, and the access matrix."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from kiban.blobs.models import Blob
from kiban.core.models import AuditEntry
from kiban.files import actions
from kiban.files.models import File, FileVersion, Folder, SectionQuota, SectionUsage
from kiban.files.tests.conftest import content_of

pytestmark = pytest.mark.django_db
J = "application/json"
NAME = "令和８年度　予算要求資料（第２版）.txt"


def stored_keys() -> set[str]:
    found: set[str] = set()

    def walk(path: str) -> None:
        dirs, files = default_storage.listdir(path)
        found.update(f"{path}/{f}".lstrip("/") for f in files)
        for d in dirs:
            walk(f"{path}/{d}".lstrip("/"))

    try:
        walk("")
    except FileNotFoundError:
        pass
    return found


def test_upload_keeps_the_japanese_name_exactly_and_serves_it_with_rfc6266(client, clerk, upload):
    client.force_login(clerk)
    response = upload(NAME, "課内資料です。\n".encode(), name=NAME)
    assert response.status_code == 201, response.content
    body = response.json()
    root = actions.personal_root(clerk)
    assert (body["name"], body["size"], body["content_type"], body["version"], body["folder"]) == (
        NAME, len("課内資料です。\n".encode()), "text/plain", 1, root.pk,
    )  # fmt: skip
    download = client.get(f"/api/v1/files/{body['id']}/content")
    assert download.status_code == 200
    assert content_of(download) == "課内資料です。\n".encode()
    assert download["Content-Disposition"].endswith(f"filename*=utf-8''{quote(NAME)}")
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"].startswith("sandbox;")


@pytest.mark.parametrize(
    ("name", "stored"),
    [("../../etc/passwd", "passwd"), ("..\\..\\boot.ini", "boot.ini"), ("C:\\temp\\memo.txt", "memo.txt")],
)
def test_traversal_style_upload_names_are_reduced_to_their_last_part(client, clerk, upload, name, stored):
    client.force_login(clerk)
    response = upload(name, b"x")
    assert response.status_code == 201, response.content
    file = File.objects.get(pk=response.json()["id"])
    assert file.name == stored
    assert file.blob.key.startswith("blobs/") and stored not in file.blob.key


def test_a_multipart_filename_loses_the_ideographic_space_so_clients_send_name(client, clerk, upload):
    client.force_login(clerk)
    assert upload("会議　資料.txt", b"x").json()["name"] == "会議資料.txt"  # Django's multipart parser
    assert upload("会議　資料.txt", b"x", name="会議　資料.txt").json()["name"] == "会議　資料.txt"


@pytest.mark.parametrize(
    "name", ["..", ".", "a/b.txt", "..\\x", "a\x00b", "tab\tname", "", "x" * 256, "報告書\u202etxt.exe"]
)
def test_traversal_style_renames_are_refused_and_change_nothing(client, clerk, upload, name):
    client.force_login(clerk)
    file_id = upload("報告書.txt", b"x").json()["id"]
    response = client.patch(f"/api/v1/files/{file_id}", {"name": name}, content_type=J)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("name:")
    assert File.objects.get(pk=file_id).name == "報告書.txt"


def test_a_dotdot_upload_name_is_refused_and_leaves_nothing(client, clerk):
    client.force_login(clerk)
    # Built by hand: Django's test client refuses to send such a name at all.
    body = (
        b'--B\r\nContent-Disposition: form-data; name="file"; filename=".."\r\n'
        b"Content-Type: text/plain\r\n\r\nx\r\n--B--\r\n"
    )
    response = client.post("/api/v1/files", body, content_type="multipart/form-data; boundary=B")
    assert response.status_code == 400
    assert (File.objects.count(), Blob.objects.count(), stored_keys()) == (0, 0, set())


def test_range_requests(client, clerk, upload):
    client.force_login(clerk)
    data = bytes(range(256)) * 40  # 10,240 bytes, binary
    file_id = upload("data.bin", data).json()["id"]
    url = f"/api/v1/files/{file_id}/content"
    part = client.get(url, HTTP_RANGE="bytes=100-199")
    assert (part.status_code, part["Content-Range"], part["Content-Length"]) == (
        206,
        "bytes 100-199/10240",
        "100",
    )
    assert content_of(part) == data[100:200]
    tail = client.get(url, HTTP_RANGE="bytes=-10")
    assert (tail.status_code, content_of(tail)) == (206, data[-10:])
    open_end = client.get(url, HTTP_RANGE="bytes=10000-")
    assert (open_end["Content-Range"], content_of(open_end)) == ("bytes 10000-10239/10240", data[10000:])
    beyond = client.get(url, HTTP_RANGE="bytes=20000-")
    assert (beyond.status_code, beyond["Content-Range"]) == (416, "bytes */10240")
    etag = part["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    stale = client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"other"')
    assert (stale.status_code, len(content_of(stale))) == (200, 10240)
    several = client.get(url, HTTP_RANGE="bytes=0-1,5-6")
    assert (several.status_code, len(content_of(several))) == (200, 10240)


def test_html_and_svg_are_never_served_as_pages(client, clerk, upload):
    client.force_login(clerk)
    for name, data in [
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("image.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ]:
        file_id = upload(name, data).json()["id"]
        response = client.get(f"/api/v1/files/{file_id}/content?inline=1")
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]


def test_a_png_may_be_shown_inline(client, clerk, upload):
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, "PNG")
    client.force_login(clerk)
    file_id = upload("写真.txt", out.getvalue()).json()["id"]
    response = client.get(f"/api/v1/files/{file_id}/content?inline=1")
    assert (response["Content-Type"], response["Content-Disposition"].split(";")[0]) == (
        "image/png",
        "inline",
    )


def test_a_foreign_user_with_the_exact_url_gets_404_everywhere(client, clerk, other_clerk, it_admin, upload):
    client.force_login(clerk)
    file_id = upload("人事評価.txt", b"secret").json()["id"]
    folder_id = client.post("/api/v1/folders", {"name": "人事"}, content_type=J).json()["id"]
    for outsider in (other_clerk, it_admin):
        client.force_login(outsider)
        for url in (
            f"/api/v1/files/{file_id}",
            f"/api/v1/files/{file_id}/content",
            f"/api/v1/files/{file_id}/versions",
            f"/api/v1/files/{file_id}/shares",
            f"/api/v1/folders/{folder_id}",
        ):
            response = client.get(url)
            assert (url, response.status_code) == (url, 404)
            assert response.json() == {"detail": "Not found."}
        assert client.patch(f"/api/v1/files/{file_id}", {"name": "x"}, content_type=J).status_code == 404
        assert client.delete(f"/api/v1/files/{file_id}").status_code == 404
        assert client.post(f"/api/v1/files/{file_id}/versions", {"file": b""}).status_code in (400, 404)
    file = File.objects.get(pk=file_id)
    assert (file.name, file.deleted_at, file.version) == ("人事評価.txt", None, 1)


def test_a_sections_folder_belongs_to_its_members(client, clerk, section_head, other_clerk, org_tree, upload):
    client.force_login(section_head)
    root = client.get(f"/api/v1/folders?department={org_tree['jinji'].pk}").json()["results"][0]
    assert (root["name"], root["scope"], root["permission"]) == ("人事課", "department", "write")
    file_id = upload("課内名簿.txt", b"list", folder=root["id"]).json()["id"]
    client.force_login(clerk)
    assert client.get(f"/api/v1/files/{file_id}").json()["permission"] == "write"
    listing = client.get(f"/api/v1/folders/{root['id']}").json()
    assert [f["name"] for f in listing["files"]] == ["課内名簿.txt"]
    client.force_login(other_clerk)
    assert client.get(f"/api/v1/folders?department={org_tree['jinji'].pk}").status_code == 404
    assert client.get(f"/api/v1/files/{file_id}").status_code == 404


def test_sharing_read_lets_read_but_not_write(client, clerk, other_clerk, upload):
    client.force_login(clerk)
    folder_id = client.post("/api/v1/folders", {"name": "共有資料"}, content_type=J).json()["id"]
    file_id = upload("手順書.txt", b"v1", folder=folder_id).json()["id"]
    share = client.post(
        f"/api/v1/folders/{folder_id}/shares",
        {"username": other_clerk.username, "permission": "read"},
        content_type=J,
    )
    assert share.status_code == 201, share.content
    client.force_login(other_clerk)
    assert content_of(client.get(f"/api/v1/files/{file_id}/content")) == b"v1"
    shared = client.get("/api/v1/folders").json()["results"]
    assert [
        (f["id"], f["permission"])
        for f in shared
        if f["scope"] == "personal" and f["owner"] == clerk.username
    ] == [(folder_id, "read")]
    refused = client.patch(f"/api/v1/files/{file_id}", {"name": "改ざん.txt"}, content_type=J)
    assert refused.status_code == 403
    assert client.post(f"/api/v1/files/{file_id}/versions", {"file": _f("x.txt", b"v2")}).status_code == 403
    file = File.objects.get(pk=file_id)
    assert (file.name, file.version) == ("手順書.txt", 1)
    # The path shows only what was shared, not the owner's folders above it.
    path = client.get(f"/api/v1/folders/{folder_id}").json()["path"]
    assert [p["id"] for p in path] == [folder_id]


def _f(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_sharing_with_a_section_and_with_write(client, clerk, section_head, other_clerk, org_tree, upload):
    client.force_login(other_clerk)
    file_id = upload("道路台帳.txt", b"v1").json()["id"]
    response = client.post(
        f"/api/v1/files/{file_id}/shares",
        {"department": org_tree["jinji"].pk, "permission": "write"},
        content_type=J,
    )
    assert response.status_code == 201
    assert response.json()["target"] == {
        "kind": "department", "username": None, "id": org_tree["jinji"].pk, "name": "人事課",
    }  # fmt: skip
    for person in (clerk, section_head):
        client.force_login(person)
        assert client.get(f"/api/v1/files/{file_id}").json()["permission"] == "write"
    response = client.post(f"/api/v1/files/{file_id}/versions", {"file": _f("道路台帳.txt", b"v2")})
    assert response.status_code == 201
    assert response.json()["version"] == 2


def test_sharing_with_a_conversation_needs_membership(client, clerk, section_head, other_clerk, upload):
    from kiban.chat.tests.factories import make_group

    conv = make_group(clerk, section_head)
    client.force_login(other_clerk)
    file_id = upload("x.txt", b"x").json()["id"]
    refused = client.post(f"/api/v1/files/{file_id}/shares", {"conversation": conv.pk}, content_type=J)
    assert (refused.status_code, refused.json()["detail"].split(":")[0]) == (400, "conversation")
    client.force_login(clerk)
    mine = upload("y.txt", b"y").json()["id"]
    assert (
        client.post(f"/api/v1/files/{mine}/shares", {"conversation": conv.pk}, content_type=J).status_code
        == 201
    )
    client.force_login(section_head)
    assert client.get(f"/api/v1/files/{mine}").json()["permission"] == "read"


def test_versions_list_and_restore_share_bytes(client, clerk, upload):
    client.force_login(clerk)
    file_id = upload("計画.txt", b"first").json()["id"]
    assert (
        client.post(f"/api/v1/files/{file_id}/versions", {"file": _f("計画.txt", b"second")}).status_code
        == 201
    )
    versions = client.get(f"/api/v1/files/{file_id}/versions").json()
    assert [(v["number"], v["size"]) for v in versions] == [(2, 6), (1, 5)]
    assert content_of(client.get(f"/api/v1/files/{file_id}/content?version=1")) == b"first"
    restored = client.post(f"/api/v1/files/{file_id}/versions/1/restore")
    assert (restored.status_code, restored.json()["version"]) == (201, 3)
    assert content_of(client.get(f"/api/v1/files/{file_id}/content")) == b"first"
    v1, v3 = (
        FileVersion.objects.get(file_id=file_id, number=1),
        FileVersion.objects.get(file_id=file_id, number=3),
    )
    assert (v3.blob_id, v3.restored_from, v3.charged_bytes) == (v1.blob_id, 1, 0)
    assert Blob.objects.count() == 2


def test_same_name_conflicts_unless_asked_for_a_version_or_a_new_name(client, clerk, upload):
    client.force_login(clerk)
    first = upload("議事録.txt", b"1").json()
    taken = upload("議事録.txt", b"2")
    assert taken.status_code == 409
    assert Blob.objects.count() == 1 and len(stored_keys()) == 1
    as_version = upload("議事録.txt", b"2", on_conflict="version")
    assert (as_version.status_code, as_version.json()["id"], as_version.json()["version"]) == (
        200,
        first["id"],
        2,
    )
    renamed = upload("議事録.txt", b"3", on_conflict="rename")
    assert (renamed.status_code, renamed.json()["name"]) == (201, "議事録 (2).txt")


def test_trash_restore_and_purge_after_30_days(client, clerk, upload):
    client.force_login(clerk)
    file_id = upload("古い資料.txt", b"old").json()["id"]
    assert client.delete(f"/api/v1/files/{file_id}").status_code == 204
    assert client.get(f"/api/v1/files/{file_id}").status_code == 404
    assert [f["id"] for f in client.get("/api/v1/files/trash").json()["files"]] == [file_id]
    assert client.post(f"/api/v1/files/{file_id}/restore").status_code == 200
    assert client.get(f"/api/v1/files/{file_id}").status_code == 200
    client.delete(f"/api/v1/files/{file_id}")
    assert actions.purge_trash(now=timezone.now() + dt.timedelta(days=29)) == {"files": 0, "folders": 0}
    assert File.objects.filter(pk=file_id).exists()
    assert actions.purge_trash(now=timezone.now() + dt.timedelta(days=31)) == {"files": 1, "folders": 0}
    assert not File.objects.filter(pk=file_id).exists()


@pytest.mark.django_db(transaction=True)
def test_purge_deletes_the_bytes_and_gives_back_the_quota(client, clerk, org_tree, upload):
    SectionQuota.objects.create(department=None, limit_bytes=1000)
    client.force_login(clerk)
    folder_id = client.post("/api/v1/folders", {"name": "作業"}, content_type=J).json()["id"]
    file_id = upload("a.txt", b"x" * 600, folder=folder_id).json()["id"]
    assert SectionUsage.objects.get(department=org_tree["jinji"]).used_bytes == 600
    assert upload("b.txt", b"y" * 600).status_code == 413
    key = File.objects.get(pk=file_id).blob.key
    assert client.delete(f"/api/v1/folders/{folder_id}").status_code == 204
    assert client.get(f"/api/v1/files/{file_id}").status_code == 404
    assert actions.purge_trash(now=timezone.now() + dt.timedelta(days=31)) == {"files": 1, "folders": 1}
    assert not default_storage.exists(key)
    assert (Blob.objects.count(), Folder.objects.filter(pk=folder_id).exists()) == (0, False)
    assert SectionUsage.objects.get(department=org_tree["jinji"]).used_bytes == 0
    assert upload("b.txt", b"y" * 600).status_code == 201


def test_over_quota_upload_is_refused_and_leaves_nothing(client, clerk, org_tree, upload):
    SectionQuota.objects.create(department=org_tree["jinji"], limit_bytes=100)
    client.force_login(clerk)
    response = upload("big.txt", b"z" * 101)
    assert response.status_code == 413
    assert response.json()["detail"].startswith("file:")
    assert (File.objects.count(), Blob.objects.count(), stored_keys()) == (0, 0, set())


def test_request_upload_size_limit(client, clerk, upload, settings):
    settings.KIBAN_FILES_MAX_REQUEST_UPLOAD_BYTES = 10
    client.force_login(clerk)
    response = upload("a.txt", b"x" * 11)
    assert response.status_code == 413
    assert (File.objects.count(), Blob.objects.count(), stored_keys()) == (0, 0, set())


def test_folders_create_rename_move_and_refuse_cycles(client, clerk):
    client.force_login(clerk)
    a = client.post("/api/v1/folders", {"name": "A"}, content_type=J).json()["id"]
    b = client.post("/api/v1/folders", {"name": "B", "parent": a}, content_type=J).json()["id"]
    assert client.post("/api/v1/folders", {"name": "A"}, content_type=J).status_code == 409
    cycle = client.patch(f"/api/v1/folders/{a}", {"parent": b}, content_type=J)
    assert (cycle.status_code, cycle.json()["detail"].split(":")[0]) == (400, "parent")
    assert client.patch(f"/api/v1/folders/{b}", {"name": "Ｂ２"}, content_type=J).json()["name"] == "Ｂ２"
    root = actions.personal_root(clerk).pk
    assert client.patch(f"/api/v1/folders/{b}", {"parent": root}, content_type=J).json()["parent"] == root
    assert Folder.objects.get(pk=a).parent_id == root


def test_actions_are_audited(client, clerk, other_clerk, upload):
    client.force_login(clerk)
    file_id = upload("a.txt", b"x").json()["id"]
    client.post(f"/api/v1/files/{file_id}/shares", {"username": other_clerk.username}, content_type=J)
    client.delete(f"/api/v1/files/{file_id}")
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "files.share",
        "files.file.trash",
    ]


@pytest.mark.django_db(transaction=True)
def test_two_uploads_racing_for_the_last_quota_bytes_cannot_both_pass(clerk, section_head, org_tree):
    """Real threads, each its own connection: the conditional UPDATE lets exactly one through."""
    import threading

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test import Client

    SectionQuota.objects.create(department=org_tree["jinji"], limit_bytes=1000)
    root = actions.department_root(clerk, org_tree["jinji"].pk)
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def send(person, name):
        client = Client()
        client.force_login(person)
        barrier.wait()
        try:
            response = client.post(
                "/api/v1/files", {"file": SimpleUploadedFile(name, b"q" * 400), "folder": root.pk}
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=send, args=(p, f"{i}.txt")) for i, p in enumerate([clerk, section_head] * 2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201, 201, 413, 413]
    assert SectionUsage.objects.get(department=org_tree["jinji"]).used_bytes == 800
    assert File.objects.count() == 2
    assert Blob.objects.count() == 2


def test_a_files_and_a_folders_shares_page_with_limit_and_offset(
    client, clerk, section_head, other_clerk, org_tree, upload
):
    client.force_login(clerk)
    file_id = upload("配布資料.txt", b"v1").json()["id"]
    folder_id = client.post("/api/v1/folders", {"name": "配布"}, content_type=J).json()["id"]
    targets = [{"username": other_clerk.username}, {"username": section_head.username},
               {"department": org_tree["jinji"].pk}]  # fmt: skip
    for base in (f"/api/v1/files/{file_id}/shares", f"/api/v1/folders/{folder_id}/shares"):
        made = [client.post(base, {**t, "permission": "read"}, content_type=J).json()["id"] for t in targets]
        first = client.get(base, {"limit": 2}).json()
        rest = client.get(base, {"limit": 2, "offset": 2}).json()
        assert ([s["id"] for s in first["results"]], first["more"]) == (made[:2], True)
        assert ([s["id"] for s in rest["results"]], rest["more"]) == (made[2:], False)
        assert client.get(base, {"limit": 201}).status_code == 400
