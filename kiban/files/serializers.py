"""The JSON shapes of folders and files (CONTRACT.md "file"), one place for the API and the pages."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from kiban.files.models import File, FileVersion, Folder, Scope, Share


def folder_name(folder: Folder) -> str:
    """A root is named after its owner: マイファイル, the section, the conversation."""
    if not folder.is_root:
        return folder.name
    if folder.scope == Scope.PERSONAL:
        return _("マイファイル")
    if folder.scope == Scope.DEPARTMENT:
        return folder.department.name if folder.department_id else ""
    from kiban.chat.models import Conversation

    conv = Conversation.objects.filter(pk=folder.conversation_id).first()
    return str(conv) if conv else ""


def username_of(user) -> str | None:
    return user.get_username() if user is not None else None


def file_dict(file: File, *, permission: str | None = None) -> dict[str, Any]:
    return {
        "id": file.pk,
        "name": file.name,
        "size": file.size,
        "content_type": file.content_type,
        "version": file.version,
        "folder": file.folder_id,
        "created_at": file.created_at.isoformat(),
        "updated_at": file.updated_at.isoformat(),
        "created_by": username_of(file.created_by) if file.created_by_id else None,
        "updated_by": username_of(file.updated_by) if file.updated_by_id else None,
        "deleted_at": file.deleted_at.isoformat() if file.deleted_at else None,
        "permission": permission,
        "url": f"/api/v1/files/{file.pk}/content",
    }


def folder_dict(folder: Folder, *, permission: str | None = None) -> dict[str, Any]:
    return {
        "id": folder.pk,
        "name": folder_name(folder),
        "parent": folder.parent_id,
        "scope": folder.scope,
        "owner": folder.owner.get_username() if folder.scope == Scope.PERSONAL and folder.owner_id else None,
        "department": folder.department_id,
        "conversation": folder.conversation_id,
        "created_at": folder.created_at.isoformat(),
        "deleted_at": folder.deleted_at.isoformat() if folder.deleted_at else None,
        "permission": permission,
    }


def version_dict(version: FileVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "size": version.size,
        "content_type": version.content_type,
        "uploaded_by": username_of(version.uploaded_by) if version.uploaded_by_id else None,
        "created_at": version.created_at.isoformat(),
        "restored_from": version.restored_from,
        "url": f"/api/v1/files/{version.file_id}/content?version={version.number}",
    }


def share_dict(share: Share) -> dict[str, Any]:
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
    return {
        "id": share.pk,
        "permission": share.permission,
        "target": target,
        "created_at": share.created_at.isoformat(),
    }
