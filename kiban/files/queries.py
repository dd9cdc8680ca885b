"""Reads of files used by the API and the pages."""

from __future__ import annotations

from dataclasses import dataclass, field

from kiban.chat.models import Member
from kiban.files import access, actions
from kiban.files.models import File, Folder, Permission, Scope


@dataclass
class Roots:
    personal: Folder
    departments: list[Folder]
    conversations: list[Folder]
    shared_folders: list[tuple[Folder, str]] = field(default_factory=list)
    shared_files: list[tuple[File, str]] = field(default_factory=list)


def roots_of(user) -> Roots:
    """The person's own root, their sections' roots (created on first use), the roots of their
    conversations that have files, and what others shared with them."""

    viewer = access.viewer_of(user)
    personal = actions.personal_root(user)
    departments = [actions.department_root(user, d) for d in sorted(viewer.department_ids)]
    conversations = list(
        Folder.objects.filter(
            parent__isnull=True,
            scope=Scope.CONVERSATION,
            conversation_id__in=Member.objects.filter(staff_id=user.pk).values("conversation_id"),
        ).order_by("pk")
    )
    folder_shares, file_shares = access.shared_with(viewer)
    own = {personal.pk, *(f.pk for f in departments), *(f.pk for f in conversations)}
    shared_folders, seen = [], set()
    for share in folder_shares:
        folder = share.folder
        if folder.pk in own or folder.pk in seen:
            continue
        chain = access.chain(folder)
        if access.in_trash(chain) or access.owner_permission(viewer, chain[-1]) is not None:
            continue  # in the trash, or already reachable from the person's own roots
        seen.add(folder.pk)
        shared_folders.append((folder, access.permission_for(viewer, chain)))
    shared_files, seen = [], set()
    for share in file_shares:
        file = share.file
        if file.pk in seen:
            continue
        chain = access.chain(file.folder)
        if access.in_trash(chain, file) or access.owner_permission(viewer, chain[-1]) is not None:
            continue
        seen.add(file.pk)
        shared_files.append((file, access.permission_for(viewer, chain, file)))
    return Roots(personal, departments, conversations, shared_folders, shared_files)


@dataclass
class Listing:
    folders: list[Folder]
    files: list[File]
    more: bool


def contents(folder: Folder, *, limit: int = 200, offset: int = 0) -> Listing:
    """A folder's live subfolders, then its live files, by name; paged over both."""
    folders = list(
        Folder.objects.filter(parent=folder, deleted_at__isnull=True).order_by("name", "pk")[
            offset : offset + limit + 1
        ]
    )
    more = len(folders) > limit
    folders = folders[:limit]
    files: list[File] = []
    if not more:
        folder_count = Folder.objects.filter(parent=folder, deleted_at__isnull=True).count()
        file_offset = max(0, offset - folder_count)
        room = limit - len(folders)
        files = list(
            File.objects.filter(folder=folder, deleted_at__isnull=True)
            .select_related("created_by", "updated_by")
            .order_by("name", "pk")[file_offset : file_offset + room + 1]
        )
        more = len(files) > room
        files = files[:room]
    return Listing(folders, files, more)


def breadcrumbs(chain: list[Folder]) -> list[Folder]:
    """From the root down to the folder — only as far up as the person can see (a shared folder's
    parents may be someone else's)."""
    return list(reversed(chain))


def writable(permission: str | None) -> bool:
    return permission == Permission.WRITE
