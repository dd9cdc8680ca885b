from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile


@pytest.fixture
def upload(client):
    """POST /api/v1/files as the logged-in client: upload(name, data, folder=None, **form)."""

    def send(filename: str, data: bytes, folder: int | None = None, **form):
        fields = {"file": SimpleUploadedFile(filename, data), **form}
        if folder is not None:
            fields["folder"] = folder
        return client.post("/api/v1/files", fields)

    return send


def content_of(response) -> bytes:
    """The body of a response; file bodies stream from an async iterator (as ASGI serves them)."""
    from asgiref.sync import async_to_sync

    if not response.streaming:
        return response.content

    async def collect() -> bytes:
        return b"".join([chunk async for chunk in response.streaming_content])

    return async_to_sync(collect)()
