"""Who may read or write a folder or a file. One answer for the API, the pages and the downloads.

A folder's root says whose it is: a person's root is theirs alone; a section's belongs to its members
(兼務 included); a conversation's to the conversation's members (read only once it is archived). Shares on
the folder, any folder above it, or the file itself add people, sections (their members) and
conversations (their members), with read or write. IT administrators get no look into anyone's files:
another person's private file is a 404 for them too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from kiban.chat.models import Conversation, Member
from kiban.files.models import File, Folder, Permission, Scope, Share
from kiban.org import queries as org_queries

MAX_DEPTH = 32
_RANK = {None: 0, Permission.READ: 1, Permission.WRITE: 2}


@dataclass
class Viewer:
    """The person asking, with the sets the checks need, loaded once per request."""

    user: object
    department_ids: frozenset[int]
    _conversations: dict[int, bool] = field(default_factory=dict)

    @property
    def pk(self) -> int:
        return self.user.pk

    def in_conversation(self, conversation_id: int) -> bool:
        if conversation_id not in self._conversations:
            self._conversations[conversation_id] = Member.objects.filter(
                conversation_id=conversation_id, staff_id=self.pk
            ).exists()
        return self._conversations[conversation_id]


def department_ids_of(user) -> frozenset[int]:
    return frozenset(org_queries.section_ids_of(user))


def viewer_of(user) -> Viewer:
    if isinstance(user, Viewer):
        return user
    return Viewer(user=user, department_ids=department_ids_of(user))


def chain(folder: Folder) -> list[Folder]:
    """The folder and its ancestors up to the root, nearest first."""
    found = [folder]
    current = folder
    while current.parent_id is not None and len(found) < MAX_DEPTH:
        current = Folder.objects.get(pk=current.parent_id)
        found.append(current)
    return found


def stronger(a: str | None, b: str | None) -> str | None:
    return a if _RANK[a] >= _RANK[b] else b


def owner_permission(viewer: Viewer, root: Folder) -> str | None:
    if root.scope == Scope.PERSONAL:
        return Permission.WRITE if root.owner_id == viewer.pk else None
    if root.scope == Scope.DEPARTMENT:
        return Permission.WRITE if root.department_id in viewer.department_ids else None
    if root.scope == Scope.CONVERSATION and viewer.in_conversation(root.conversation_id):
        archived = Conversation.objects.filter(pk=root.conversation_id, archived_at__isnull=False).exists()
        return Permission.READ if archived else Permission.WRITE
    return None


def _share_target(viewer: Viewer) -> Q:
    return (
        Q(staff_id=viewer.pk)
        | Q(department_id__in=viewer.department_ids)
        | Q(conversation_id__in=Member.objects.filter(staff_id=viewer.pk).values("conversation_id"))
    )


def shared_permission(viewer: Viewer, folders: list[Folder], file: File | None = None) -> str | None:
    where = Q(folder_id__in=[f.pk for f in folders])
    if file is not None:
        where |= Q(file_id=file.pk)
    best = None
    for permission in (
        Share.objects.filter(where).filter(_share_target(viewer)).values_list("permission", flat=True)
    ):
        best = stronger(best, permission)
    return best


def permission_for(viewer: Viewer, folders: list[Folder], file: File | None = None) -> str | None:
    """The viewer's permission on the first of `folders` (a chain from `chain`), or on `file` in it."""
    best = owner_permission(viewer, folders[-1])
    if best == Permission.WRITE:
        return best
    return stronger(best, shared_permission(viewer, folders, file))


def in_trash(folders: list[Folder], file: File | None = None) -> bool:
    return (file is not None and file.deleted_at is not None) or any(
        f.deleted_at is not None for f in folders
    )


def shared_with(viewer: Viewer) -> tuple[list[Share], list[Share]]:
    """Shares reaching the viewer that give them something their own folders do not: (folder shares,
    file shares), newest first."""
    shares = list(
        Share.objects.filter(_share_target(viewer)).select_related("folder", "file").order_by("-created_at")
    )
    folders = [s for s in shares if s.folder_id and s.folder.deleted_at is None]
    files = [s for s in shares if s.file_id and s.file.deleted_at is None]
    return folders, files


def visible_chain(viewer: Viewer, folders: list[Folder]) -> list[Folder]:
    """The part of a chain the viewer may open: all of it when the root is theirs, else up to the highest
    folder shared with them (a shared folder's parents stay someone else's). Nearest first."""
    if owner_permission(viewer, folders[-1]) is not None:
        return folders
    shared = set(
        Share.objects.filter(folder_id__in=[f.pk for f in folders])
        .filter(_share_target(viewer))
        .values_list("folder_id", flat=True)
    )
    highest = max((i for i, f in enumerate(folders) if f.pk in shared), default=-1)
    return folders[: highest + 1]
