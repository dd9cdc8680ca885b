"""Builds the file, folder, version and share schemas (`kiban.files.schemas`) from the models."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from kiban.chat.models import Conversation
from kiban.files.models import File, FileVersion, Folder, Permission, Scope, Share
from kiban.files.schemas import FileOut, FolderOut, ShareOut, ShareTargetOut, VersionOut


def folder_name(folder: Folder) -> str:
    """A root is named after its owner: マイファイル, the section, the conversation."""
    if not folder.is_root:
        return folder.name
    if folder.scope == Scope.PERSONAL:
        return _("マイファイル")
    if folder.scope == Scope.DEPARTMENT:
        return folder.department.name if folder.department_id else ""
    conv = Conversation.objects.filter(pk=folder.conversation_id).first()
    return str(conv) if conv else ""


def username_of(user) -> str | None:
    return user.get_username() if user is not None else None


def file_out(file: File, *, permission: str | None = None) -> FileOut:
    return FileOut(
        id=file.pk,
        name=file.name,
        size=file.size,
        content_type=file.content_type,
        version=file.version,
        folder=file.folder_id,
        created_at=file.created_at,
        updated_at=file.updated_at,
        created_by=username_of(file.created_by) if file.created_by_id else None,
        updated_by=username_of(file.updated_by) if file.updated_by_id else None,
        deleted_at=file.deleted_at,
        permission=permission,
        url=f"/api/v1/files/{file.pk}/content",
    )


def folder_out(folder: Folder, *, permission: str | None = None) -> FolderOut:
    return FolderOut(
        id=folder.pk,
        name=folder_name(folder),
        parent=folder.parent_id,
        scope=folder.scope,
        owner=folder.owner.get_username() if folder.scope == Scope.PERSONAL and folder.owner_id else None,
        department=folder.department_id,
        conversation=folder.conversation_id,
        created_at=folder.created_at,
        deleted_at=folder.deleted_at,
        permission=permission,
    )


def version_out(version: FileVersion) -> VersionOut:
    return VersionOut(
        number=version.number,
        size=version.size,
        content_type=version.content_type,
        uploaded_by=username_of(version.uploaded_by) if version.uploaded_by_id else None,
        created_at=version.created_at,
        restored_from=version.restored_from,
        url=f"/api/v1/files/{version.file_id}/content?version={version.number}",
    )


def share_out(share: Share) -> ShareOut:
    if share.staff_id:
        target = {
            "kind": "staff",
            "username": share.staff.get_username(),
            "name": share.staff.get_full_name(),
        }
    elif share.department_id:
        target = {"kind": "department", "id": share.department_id, "name": share.department.name}
    else:
        target = {"kind": "conversation", "id": share.conversation_id, "name": str(share.conversation)}
    return ShareOut(
        id=share.pk, permission=share.permission, target=ShareTargetOut(**target), created_at=share.created_at
    )


def upload_out(session, file: File | None = None) -> dict:
    """A resumable upload session (`UploadOut` in the API); `file` once the last chunk created it."""
    return {
        "id": session.token,
        "name": session.name,
        "size": session.size,
        "offset": session.offset,
        "chunk_size": session.chunk_size,
        "max_chunk_size": int(settings.KIBAN_FILES_MAX_CHUNK_BYTES),
        "expires_at": session.expires_at.isoformat(),
        "file": file_out(file, permission=Permission.WRITE).model_dump(mode="json")
        if file is not None
        else None,
    }
