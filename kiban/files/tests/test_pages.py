"""Files pages: render for those who may see them, 404 for anyone else, forms that call the actions."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kiban.files import actions
from kiban.files.models import File, Folder

pytestmark = pytest.mark.django_db


def test_index_lists_own_section_and_shared_roots(client, clerk, org_tree):
    client.force_login(clerk)
    html = client.get("/files/").content.decode()
    assert "マイファイル" in html and "人事課" in html


def test_folder_page_uploads_without_script_and_lists_files(client, clerk):
    client.force_login(clerk)
    root = actions.personal_root(clerk)
    response = client.post(
        f"/files/folders/{root.pk}/upload",
        {"file": [SimpleUploadedFile("a.txt", b"a"), SimpleUploadedFile("b.txt", b"b")]},
    )
    assert response.status_code == 302
    html = client.get(f"/files/folders/{root.pk}/").content.decode()
    assert "a.txt" in html and "b.txt" in html and 'id="fl-upload"' in html
    client.post(f"/files/folders/{root.pk}/new", {"name": "議事録"})
    assert Folder.objects.filter(parent=root, name="議事録").exists()


def test_text_preview_is_escaped(client, clerk, upload):
    client.force_login(clerk)
    file_id = upload("x.html", b"<script>alert(1)</script>").json()["id"]
    html = client.get(f"/files/{file_id}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


def test_pdf_page_uses_the_vendored_viewer(client, clerk, upload):
    client.force_login(clerk)
    file_id = upload("資料.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n").json()["id"]
    html = client.get(f"/files/{file_id}/").content.decode()
    assert 'id="fl-pdf"' in html and "vendor/pdfjs-6.5.438/pdf.min.mjs" in html


def test_pages_are_404_for_a_foreign_user(client, clerk, other_clerk, upload):
    client.force_login(clerk)
    file_id = upload("x.txt", b"x").json()["id"]
    root = actions.personal_root(clerk)
    client.force_login(other_clerk)
    assert client.get(f"/files/{file_id}/").status_code == 404
    assert client.get(f"/files/folders/{root.pk}/").status_code == 404
    assert client.post(f"/files/{file_id}/action", {"action": "delete"}).status_code == 404
    assert File.objects.get(pk=file_id).deleted_at is None


def test_file_actions_rename_version_delete_restore(client, clerk, upload):
    client.force_login(clerk)
    file_id = upload("x.txt", b"x").json()["id"]
    client.post(f"/files/{file_id}/action", {"action": "rename", "name": "報告　書.txt"})
    assert File.objects.get(pk=file_id).name == "報告　書.txt"
    client.post(f"/files/{file_id}/action", {"action": "version", "file": SimpleUploadedFile("y.txt", b"y")})
    assert File.objects.get(pk=file_id).version == 2
    client.post(f"/files/{file_id}/action", {"action": "delete"})
    assert "報告　書.txt" in client.get("/files/trash/").content.decode()
    client.post(f"/files/{file_id}/action", {"action": "restore"})
    assert File.objects.get(pk=file_id).deleted_at is None


def test_saving_a_chat_attachment_from_its_page(client, clerk, section_head):
    from kiban.chat.tests.factories import make_group, post

    conv = make_group(clerk, section_head)
    client.force_login(section_head)
    uploaded = client.post(
        f"/api/v1/conversations/{conv.pk}/attachments", {"file": SimpleUploadedFile("通知.txt", b"n")}
    ).json()
    post(section_head, conv, "x", attachment_ids=[uploaded["id"]])
    client.force_login(clerk)
    assert client.get(f"/files/attachments/{uploaded['id']}/save").status_code == 200
    response = client.post(
        f"/files/attachments/{uploaded['id']}/save", {"folder": actions.personal_root(clerk).pk}
    )
    assert response.status_code == 302
    assert File.objects.get().name == "通知.txt"
