"""Writes to files and folders. Views and the API call these; nothing else writes.

`access_folder` / `access_file` fetch and authorise (someone without access gets Http404, whatever the
reason: a foreign user holding the exact URL learns nothing). `do_*` functions write inside one transaction,
audit what matters, and schedule effects after commit. Uploads follow `kiban.blobs.store`'s order (pending
blob committed, bytes written, blob ready with the file row), so a crash at any point leaves nothing a
sweeper cannot find.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kiban.blobs import store
from kiban.blobs.jobs import hash_blob
from kiban.blobs.models import Blob
from kiban.blobs.names import NAME_MAX, clean_name
from kiban.chat import actions as chat_actions
from kiban.chat.models import Member
from kiban.core import audit
from kiban.core.jobs import enqueue_on_commit
from kiban.files import access, quota
from kiban.files.access import Viewer, viewer_of
from kiban.files.models import File, FileVersion, Folder, Permission, Scope
from kiban.org.models import Department

TRASH_KEPT = dt.timedelta(days=30)
ON_CONFLICT = ("error", "version", "rename")


class NameTaken(Exception):
    """A live file or folder of that name is in the folder already (409)."""

    def __init__(self, name: str, file_id: int | None = None) -> None:
        super().__init__(name)
        self.name, self.file_id = name, file_id

    @property
    def detail(self) -> str:
        return _("name: 「%(name)s」は既にこのフォルダにあります。") % {"name": self.name}


def field_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


# --- Roots and access ------------------------------------------------------------------------------------


def _root(**scope) -> Folder:
    """The root of a scope, created on first use; the partial unique index makes a race create one.
    Roots have no stored name: pages and the API name them after their owner (`serializers.folder_name`)."""
    lookup = {"parent__isnull": True, **scope}
    root = Folder.objects.filter(**lookup).first()
    if root is not None:
        return root
    try:
        with transaction.atomic():
            return Folder.objects.create(name="", **scope)
    except IntegrityError:
        return Folder.objects.get(**lookup)


def personal_root(user) -> Folder:
    return _root(scope=Scope.PERSONAL, owner_id=user.pk)


def department_root(user, department_id: int) -> Folder:
    """A section's root, for its members only (else Http404)."""

    viewer = viewer_of(user)
    if department_id not in viewer.department_ids:
        raise Http404
    if not Department.objects.filter(pk=department_id).exists():
        raise Http404
    return _root(scope=Scope.DEPARTMENT, department_id=department_id)


def conversation_root(user, conversation_id: int) -> Folder:
    """A conversation's root, for its members only (else Http404)."""

    conv = chat_actions.access_conversation(user, conversation_id)
    return _root(scope=Scope.CONVERSATION, conversation_id=conv.pk)


@dataclass
class Access:
    folder: Folder
    chain: list[Folder]
    permission: str
    file: File | None = None

    @property
    def can_write(self) -> bool:
        return self.permission == Permission.WRITE


def _check(viewer: Viewer, folders: list[Folder], file: File | None, need: str, trashed: bool) -> str:
    permission = access.permission_for(viewer, folders, file)
    if permission is None:
        raise Http404
    if access.in_trash(folders, file) != trashed:
        raise Http404
    if need == Permission.WRITE and permission != Permission.WRITE:
        raise PermissionDenied(_("このフォルダを変更する権限がありません。"))
    return permission


def access_folder(user, folder_id: int, *, need: str = Permission.READ, trashed: bool = False) -> Access:
    """A folder the person may read (or write, `need="write"`; 403 when they may only read). Folders in the
    trash only with `trashed=True`. Anything else is Http404."""
    viewer = viewer_of(user)
    folder = Folder.objects.filter(pk=folder_id).first()
    if folder is None:
        raise Http404
    folders = access.chain(folder)
    return Access(folder, folders, _check(viewer, folders, None, need, trashed))


def access_file(user, file_id: int, *, need: str = Permission.READ, trashed: bool = False) -> Access:
    viewer = viewer_of(user)
    file = File.objects.select_related("folder", "blob").filter(pk=file_id).first()
    if file is None:
        raise Http404
    folders = access.chain(file.folder)
    return Access(file.folder, folders, _check(viewer, folders, file, need, trashed), file)


# --- Folders -------------------------------------------------------------------------------------------


def _scope_of(root: Folder) -> dict:
    return {
        "scope": root.scope,
        "owner_id": root.owner_id,
        "department_id": root.department_id,
        "conversation_id": root.conversation_id,
    }


def do_create_folder(user, parent: Access, name: str) -> Folder:
    """A folder under `parent` (from access_folder(…, need="write")). NameTaken when the name is in use."""
    name = clean_name(name)
    try:
        with transaction.atomic():
            return Folder.objects.create(
                name=name, parent=parent.folder, created_by=user, **_scope_of(parent.chain[-1])
            )
    except IntegrityError:
        raise NameTaken(name) from None


def do_rename_folder(user, target: Access, name: str) -> Folder:
    if target.folder.is_root:
        raise field_error("name", _("最上位のフォルダの名前は変えられません。"))
    name = clean_name(name)
    try:
        with transaction.atomic():
            Folder.objects.filter(pk=target.folder.pk).update(name=name)
    except IntegrityError:
        raise NameTaken(name) from None
    target.folder.name = name
    return target.folder


def _subtree_ids(folder: Folder) -> list[int]:
    ids, frontier = [folder.pk], [folder.pk]
    while frontier:
        frontier = list(Folder.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids.extend(frontier)
    return ids


def do_move_folder(user, target: Access, destination: Access) -> Folder:
    """Move a folder (write on both) under `destination`; it takes the destination's owner (scope)."""
    folder = target.folder
    if folder.is_root:
        raise field_error("parent", _("最上位のフォルダは移動できません。"))
    if any(f.pk == folder.pk for f in destination.chain):
        raise field_error("parent", _("フォルダを自分自身の中には移動できません。"))
    try:
        with transaction.atomic():
            Folder.objects.filter(pk=folder.pk).update(parent=destination.folder)
            Folder.objects.filter(pk__in=_subtree_ids(folder)).update(**_scope_of(destination.chain[-1]))
    except IntegrityError:
        raise NameTaken(folder.name) from None
    folder.refresh_from_db()
    return folder


def do_trash_folder(user, target: Access) -> Folder:
    """Put a folder and everything in it in the trash (restorable for 30 days)."""
    folder = target.folder
    if folder.is_root:
        raise field_error("folder", _("最上位のフォルダは削除できません。"))
    now = timezone.now()
    with transaction.atomic():
        Folder.objects.filter(pk=folder.pk, deleted_at__isnull=True).update(deleted_at=now, deleted_by=user)
        audit.record("files.folder.trash", actor=user, target=folder)
    folder.deleted_at = now
    return folder


def _free_name(model, parent_field: str, parent_id: int, name: str) -> str:
    taken = set(
        model.objects.filter(**{parent_field: parent_id, "deleted_at__isnull": True}).values_list(
            "name", flat=True
        )
    )
    if name not in taken:
        return name
    stem, dot, ext = name.rpartition(".") if "." in name.lstrip(".") else (name, "", "")
    for n in range(2, 1000):
        candidate = f"{stem} ({n}){dot}{ext}" if dot else f"{name} ({n})"
        if candidate not in taken and len(candidate) <= NAME_MAX:
            return candidate
    raise NameTaken(name)


def do_restore_folder(user, target: Access) -> Folder:
    """Take a folder out of the trash (from access_folder(…, trashed=True, need="write")); a name taken
    meanwhile gets a number, as 「資料 (2)」."""
    folder = target.folder
    if folder.deleted_at is None:
        raise field_error("folder", _("このフォルダはごみ箱にありません。"))
    with transaction.atomic():
        name = _free_name(Folder, "parent_id", folder.parent_id, folder.name)
        Folder.objects.filter(pk=folder.pk).update(deleted_at=None, deleted_by=None, name=name)
        audit.record("files.folder.restore", actor=user, target=folder)
    folder.refresh_from_db()
    return folder


# --- Files ---------------------------------------------------------------------------------------------


def _max_request_upload() -> int:
    return int(settings.KIBAN_FILES_MAX_REQUEST_UPLOAD_BYTES)


def _create_file(user, folder: Access, name: str, blob: Blob, on_conflict: str) -> tuple[File, bool]:
    """Inside a transaction: a new file, or a new version of the file of that name (`on_conflict`)."""
    existing = (
        File.objects.select_for_update()
        .filter(folder=folder.folder, name=name, deleted_at__isnull=True)
        .first()
    )
    if existing is not None:
        if on_conflict == "version":
            return _add_version(user, existing, folder, blob), False
        if on_conflict == "rename":
            name = _free_name(File, "folder_id", folder.folder.pk, name)
        else:
            raise NameTaken(name, existing.pk)
    department_id = quota.charged_department(folder.chain[-1], user)
    quota.charge(department_id, blob.size)
    now = timezone.now()
    try:
        with transaction.atomic():
            file = File.objects.create(
                folder=folder.folder, name=name, blob=blob, size=blob.size, content_type=blob.content_type,
                created_by=user, updated_by=user, created_at=now, updated_at=now,
            )  # fmt: skip
    except IntegrityError:  # created meanwhile by someone else
        raise NameTaken(name) from None
    FileVersion.objects.create(
        file=file, number=1, blob=blob, size=blob.size, content_type=blob.content_type, uploaded_by=user,
        created_at=now, charged_department_id=department_id, charged_bytes=blob.size,
    )  # fmt: skip
    return file, True


def _add_version(user, file: File, folder: Access, blob: Blob, *, restored_from: int | None = None) -> File:
    """Inside a transaction, `file` locked: version n+1 with `blob`."""
    department_id = quota.charged_department(folder.chain[-1], user)
    charged = 0 if restored_from is not None else blob.size
    quota.charge(department_id, charged)
    now = timezone.now()
    number = file.version + 1
    FileVersion.objects.create(
        file=file, number=number, blob=blob, size=blob.size, content_type=blob.content_type, uploaded_by=user,
        created_at=now, restored_from=restored_from, charged_department_id=department_id, charged_bytes=charged,
    )  # fmt: skip
    File.objects.filter(pk=file.pk).update(
        version=number,
        blob=blob,
        size=blob.size,
        content_type=blob.content_type,
        updated_at=now,
        updated_by=user,
    )
    file.refresh_from_db()
    return file


def _store_then(user, write, create):
    """Steps 1–3 of kiban.blobs.store: a pending blob, the bytes, then `create(blob)` in one transaction.
    Whatever fails after step 1 takes the bytes and the pending row with it."""
    blob = store.begin()
    try:
        write(blob)
        with transaction.atomic():
            store.mark_ready(blob)
            result = create(blob)
            enqueue_on_commit(hash_blob, blob.pk)
        return result
    except BaseException:
        store.abandon(blob)
        raise


def do_upload_file(
    user, folder: Access, upload: UploadedFile, *, on_conflict: str = "error", name: str | None = None
) -> tuple[File, bool]:
    """Store an upload in `folder` (from access_folder(…, need="write")) as `name` (default: the upload's
    name). Returns (file, created): with `on_conflict="version"` an existing file of that name gets a new
    version instead, with "rename" the new file is numbered. Raises ValidationError, TooLarge,
    QuotaExceeded or NameTaken; nothing is left behind."""
    if on_conflict not in ON_CONFLICT:
        raise field_error("on_conflict", _("error、version、rename のいずれかです。"))
    name = clean_name(name, "name") if name else clean_name(upload.name, "file")
    limit = _max_request_upload()
    if (upload.size or 0) > limit:
        raise store.TooLarge(limit)
    quota.check(quota.charged_department(folder.chain[-1], user), upload.size or 0)
    return _store_then(
        user,
        lambda blob: store.write_upload(blob, upload, limit=limit),
        lambda blob: _create_file(user, folder, name, blob, on_conflict),
    )


def do_upload_version(user, target: Access, upload: UploadedFile) -> File:
    """A new version of `target.file` (from access_file(…, need="write"))."""
    limit = _max_request_upload()
    if (upload.size or 0) > limit:
        raise store.TooLarge(limit)
    quota.check(quota.charged_department(target.chain[-1], user), upload.size or 0)

    def create(blob: Blob) -> File:
        file = File.objects.select_for_update().get(pk=target.file.pk)
        return _add_version(user, file, target, blob)

    return _store_then(user, lambda blob: store.write_upload(blob, upload, limit=limit), create)


def do_restore_version(user, target: Access, number: int) -> File:
    """Make version `number` current again, as a new version sharing its bytes (nothing is copied)."""
    with transaction.atomic():
        file = File.objects.select_for_update().get(pk=target.file.pk)
        old = FileVersion.objects.filter(file=file, number=number).first()
        if old is None:
            raise Http404
        blob = store.lock_ready(old.blob_id)
        file = _add_version(user, file, target, blob, restored_from=number)
        audit.record("files.version.restore", actor=user, target=file, version=number)
    return file


def do_rename_file(user, target: Access, name: str) -> File:
    name = clean_name(name)
    try:
        with transaction.atomic():
            File.objects.filter(pk=target.file.pk).update(
                name=name, updated_at=timezone.now(), updated_by=user
            )
    except IntegrityError:
        raise NameTaken(name) from None
    target.file.refresh_from_db()
    return target.file


def do_move_file(user, target: Access, destination: Access) -> File:
    """Move a file (write on both folders). The bytes stay where they are; the quota charge stays with the
    section that paid for them."""
    try:
        with transaction.atomic():
            File.objects.filter(pk=target.file.pk).update(folder=destination.folder)
    except IntegrityError:
        raise NameTaken(target.file.name) from None
    target.file.refresh_from_db()
    return target.file


def do_trash_file(user, target: Access) -> File:
    now = timezone.now()
    with transaction.atomic():
        File.objects.filter(pk=target.file.pk, deleted_at__isnull=True).update(
            deleted_at=now, deleted_by=user
        )
        audit.record("files.file.trash", actor=user, target=target.file)
    target.file.refresh_from_db()
    return target.file


def do_restore_file(user, target: Access) -> File:
    file = target.file
    if file.deleted_at is None:
        raise field_error("file", _("このファイルはごみ箱にありません。"))
    with transaction.atomic():
        name = _free_name(File, "folder_id", file.folder_id, file.name)
        File.objects.filter(pk=file.pk).update(deleted_at=None, deleted_by=None, name=name)
        audit.record("files.file.restore", actor=user, target=file)
    file.refresh_from_db()
    return file


def _purge_files(files: list[File]) -> list[int]:
    """Inside a transaction: delete files with their versions and shares; give back their quota. Returns
    the blob ids to release after commit."""
    blob_ids: list[int] = []
    versions = FileVersion.objects.filter(file__in=files)
    for department_id, charged, blob_id in versions.values_list(
        "charged_department_id", "charged_bytes", "blob_id"
    ):
        quota.give_back(department_id, charged)
        blob_ids.append(blob_id)
    blob_ids.extend(f.blob_id for f in files)
    versions.delete()
    File.objects.filter(pk__in=[f.pk for f in files]).delete()
    return blob_ids


def purge_trash(now: dt.datetime | None = None) -> dict[str, int]:
    """Delete for good what has been in the trash for 30 days (the daily job). Bytes go once nothing else
    (another version, a chat message) refers to them."""
    cutoff = (now or timezone.now()) - TRASH_KEPT
    purged = {"files": 0, "folders": 0}
    for folder in Folder.objects.filter(deleted_at__lt=cutoff).order_by("pk"):
        ids = _subtree_ids(folder)
        with transaction.atomic():
            files = list(File.objects.filter(folder_id__in=ids))
            blob_ids = _purge_files(files)
            Folder.objects.filter(pk=folder.pk).delete()  # its subfolders and shares cascade
            transaction.on_commit(lambda ids=blob_ids: store.release(ids))
        purged["files"] += len(files)
        purged["folders"] += 1
    for file in File.objects.filter(deleted_at__lt=cutoff).order_by("pk"):
        with transaction.atomic():
            blob_ids = _purge_files([file])
            transaction.on_commit(lambda ids=blob_ids: store.release(ids))
        purged["files"] += 1
    return purged


def trash_of(user) -> tuple[list[Folder], list[File]]:
    """What the person may restore: trashed folders and files (not inside a trashed folder) in folders they
    may write."""
    viewer = viewer_of(user)
    folders, files = [], []
    for folder in (
        Folder.objects.filter(deleted_at__isnull=False)
        .filter(_own_scopes(viewer))
        .order_by("-deleted_at")[:200]
    ):
        chain = access.chain(folder)
        if (
            not any(f.deleted_at for f in chain[1:])
            and access.permission_for(viewer, chain) == Permission.WRITE
        ):
            folders.append(folder)
    candidates = (
        File.objects.filter(deleted_at__isnull=False, folder__deleted_at__isnull=True)
        .filter(_own_scopes(viewer, prefix="folder__"))
        .select_related("folder")
        .order_by("-deleted_at")[:200]
    )
    for file in candidates:
        chain = access.chain(file.folder)
        if (
            not any(f.deleted_at for f in chain)
            and access.permission_for(viewer, chain, file) == Permission.WRITE
        ):
            files.append(file)
    return folders, files


def _own_scopes(viewer: Viewer, prefix: str = "") -> Q:
    """Folders in scopes the viewer belongs to (trash is shown for one's own and one's sections' folders;
    shared folders' trash belongs to their owners)."""

    return (
        Q(**{f"{prefix}scope": Scope.PERSONAL, f"{prefix}owner_id": viewer.pk})
        | Q(**{f"{prefix}scope": Scope.DEPARTMENT, f"{prefix}department_id__in": viewer.department_ids})
        | Q(
            **{
                f"{prefix}scope": Scope.CONVERSATION,
                f"{prefix}conversation_id__in": Member.objects.filter(staff_id=viewer.pk).values(
                    "conversation_id"
                ),
            }
        )
    )
