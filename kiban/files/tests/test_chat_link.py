"""A file in a folder and in a chat message is one stored object."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from kiban.blobs.models import Blob
from kiban.chat import actions as chat_actions
from kiban.chat.models import Attachment, Message
from kiban.chat.tests.factories import make_group, post
from kiban.files.models import File
from kiban.files.tests.conftest import content_of

pytestmark = pytest.mark.django_db
J = "application/json"


@pytest.fixture
def conv(clerk, section_head):
    return make_group(clerk, section_head)


def test_a_folder_file_posted_in_a_conversation_shares_its_bytes(client, clerk, section_head, conv, upload):
    client.force_login(clerk)
    file_id = upload("議事次第.txt", "第1回 検討会\n".encode()).json()["id"]
    response = client.post(
        f"/api/v1/files/{file_id}/send", {"conversation": conv.pk, "comment": "資料です"}, content_type=J
    )
    assert response.status_code == 201, response.content
    message = Message.objects.get(pk=response.json()["message"])
    attachment = Attachment.objects.get(message=message)
    assert (message.body, attachment.name, attachment.blob_id) == (
        "資料です",
        "議事次第.txt",
        File.objects.get().blob_id,
    )
    assert Blob.objects.count() == 1
    client.force_login(section_head)
    assert content_of(client.get(f"/api/v1/attachments/{attachment.pk}")) == "第1回 検討会\n".encode()


def test_posting_needs_membership_and_read_access(client, clerk, other_clerk, conv, upload):
    client.force_login(clerk)
    file_id = upload("a.txt", b"a").json()["id"]
    client.force_login(other_clerk)
    assert (
        client.post(f"/api/v1/files/{file_id}/send", {"conversation": conv.pk}, content_type=J).status_code
        == 404
    )
    own = upload("b.txt", b"b").json()["id"]
    assert (
        client.post(f"/api/v1/files/{own}/send", {"conversation": conv.pk}, content_type=J).status_code == 404
    )
    assert (Message.objects.count(), Attachment.objects.count()) == (0, 0)


def test_a_chat_attachment_saved_to_a_folder_is_not_copied_and_outlives_the_message(
    client, clerk, section_head, conv, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(section_head)
    uploaded = client.post(
        f"/api/v1/conversations/{conv.pk}/attachments", {"file": SimpleUploadedFile("通知.txt", b"notice")}
    ).json()
    message = post(section_head, conv, "通知です", attachment_ids=[uploaded["id"]])
    client.force_login(clerk)
    saved = client.post("/api/v1/files/from-attachment", {"attachment": uploaded["id"]}, content_type=J)
    assert saved.status_code == 201, saved.content
    file = File.objects.get()
    attachment = Attachment.objects.get()
    assert (file.name, file.blob_id, Blob.objects.count()) == ("通知.txt", attachment.blob_id, 1)
    with django_capture_on_commit_callbacks(execute=True):
        chat_actions.do_delete_message(section_head, chat_actions.access_message(section_head, message.pk))
    assert default_storage.exists(file.blob.key)
    assert content_of(client.get(f"/api/v1/files/{file.pk}/content")) == b"notice"


def test_saving_someone_elses_conversation_attachment_is_404(client, clerk, section_head, other_clerk, conv):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(section_head)
    uploaded = client.post(
        f"/api/v1/conversations/{conv.pk}/attachments", {"file": SimpleUploadedFile("x.txt", b"x")}
    ).json()
    post(section_head, conv, "x", attachment_ids=[uploaded["id"]])
    client.force_login(other_clerk)
    assert (
        client.post(
            "/api/v1/files/from-attachment", {"attachment": uploaded["id"]}, content_type=J
        ).status_code
        == 404
    )
    assert File.objects.count() == 0


def test_bytes_go_when_neither_folder_nor_message_holds_them(
    client, clerk, conv, upload, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.utils import timezone

    from kiban.files import actions

    client.force_login(clerk)
    file_id = upload("a.txt", b"shared").json()["id"]
    message_id = client.post(
        f"/api/v1/files/{file_id}/send", {"conversation": conv.pk}, content_type=J
    ).json()["message"]
    key = File.objects.get().blob.key
    client.delete(f"/api/v1/files/{file_id}")
    with django_capture_on_commit_callbacks(execute=True):
        actions.purge_trash(now=timezone.now() + dt.timedelta(days=31))
    assert default_storage.exists(key)  # the message still shows it
    with django_capture_on_commit_callbacks(execute=True):
        chat_actions.do_delete_message(clerk, chat_actions.access_message(clerk, message_id))
    assert not default_storage.exists(key)
    assert Blob.objects.count() == 0


def test_existing_attachments_are_migrated_onto_blobs_in_place(transactional_db):
    """chat migration 0003: an attachment stored before blobs becomes a blob under the same key."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("chat", "0002_message_search"), ("blobs", "0001_initial")])
    # Chat as it was, beside the accounts table as it is now (migrating chat back leaves accounts at its leaf).
    accounts_now = executor.loader.graph.leaf_nodes("accounts")
    old_apps = executor.loader.project_state([("chat", "0002_message_search"), *accounts_now]).apps
    Staff = old_apps.get_model("accounts", "Staff")
    Conversation = old_apps.get_model("chat", "Conversation")
    OldAttachment = old_apps.get_model("chat", "Attachment")
    person = Staff.objects.create(username="900001", family_name="山田", given_name="太郎")
    conv = Conversation.objects.create(kind="group", name="旧")
    from django.core.files.base import ContentFile

    key = default_storage.save("chat/2025/01/oldfile", ContentFile(b"old bytes"))
    OldAttachment.objects.create(
        conversation=conv,
        uploader=person,
        file=key,
        name="旧資料.txt",
        content_type="text/plain",
        size=9,
        sha256="ab",
    )
    call_command("migrate", "chat", verbosity=0)
    attachment = Attachment.objects.get()
    assert (attachment.blob.key, attachment.blob.size, attachment.blob.state, attachment.blob.sha256) == (
        key,
        9,
        "ready",
        "ab",
    )
    assert default_storage.open(key).read() == b"old bytes"
