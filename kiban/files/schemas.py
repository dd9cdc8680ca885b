"""The file, folder, version and share objects (CONTRACT.md "files"), once: the API answers with these schemas,
`kiban.files.serializers` builds them from the models, pages and tests dump them."""

from __future__ import annotations

from pydantic import Field

from kiban.core.schemas import OutSchema, Timestamp


class ShareTargetOut(OutSchema):
    kind: str = Field(description="staff, department or conversation")
    username: str | None = Field(None, description="staff: who")
    id: int | None = Field(None, description="department or conversation: which")
    name: str


class FileOut(OutSchema):
    id: int
    name: str = Field(description="exactly as uploaded")
    size: int
    content_type: str = Field(description="detected from the bytes")
    version: int
    folder: int
    created_at: Timestamp
    updated_at: Timestamp
    created_by: str | None
    updated_by: str | None
    deleted_at: Timestamp | None
    permission: str | None = Field(description="the caller's: read or write")
    url: str


class FolderOut(OutSchema):
    id: int
    name: str
    parent: int | None
    scope: str = Field(description="personal, department or conversation")
    owner: str | None
    department: int | None
    conversation: int | None
    created_at: Timestamp
    deleted_at: Timestamp | None
    permission: str | None


class VersionOut(OutSchema):
    number: int
    size: int
    content_type: str
    uploaded_by: str | None
    created_at: Timestamp
    restored_from: int | None
    url: str


class ShareOut(OutSchema):
    id: int
    permission: str
    target: ShareTargetOut
    created_at: Timestamp
