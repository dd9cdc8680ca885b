"""One schema per file object: the upload's answer, the file, the folder listing and the versions are
`kiban.files.schemas` dumps."""

from __future__ import annotations

import pytest

from kiban.core.schemas import dump
from kiban.files.models import File
from kiban.files.serializers import file_out, version_out

pytestmark = pytest.mark.django_db


def test_api_file_is_the_schema_dump_everywhere_it_appears(client, clerk, upload):
    client.force_login(clerk)
    created = upload("議事録.txt", "第1回\n".encode())
    assert created.status_code == 201, created.content
    file = File.objects.get(pk=created.json()["id"])
    expected = dump(file_out(file, permission="write"))
    assert created.json() == expected
    assert client.get(f"/api/v1/files/{file.pk}").json() == expected
    listed = client.get(f"/api/v1/folders/{file.folder_id}").json()["files"]
    assert listed == [expected]
    versions = client.get(f"/api/v1/files/{file.pk}/versions").json()
    assert versions == [dump(version_out(v)) for v in file.versions.order_by("-number")]
