"""Files pages: the folders a person can reach, a folder, a file (preview, versions, sharing), the trash.
Forms post here and call the same actions as the API; `files.js` adds drag and drop and resumable uploads
through the API, and `preview.js` draws PDFs with the vendored PDF.js."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiban.blobs import store
from kiban.blobs.serve import INLINE_TYPES
from kiban.chat.attachments import access_attachment
from kiban.chat.models import Conversation
from kiban.files import access, actions, chatlink, queries, sharing
from kiban.files.models import Folder, Permission
from kiban.files.quota import QuotaExceeded
from kiban.files.serializers import folder_name
from kiban.org import queries as org_queries

TEXT_PREVIEW_BYTES = 256 * 1024


def _problem(request, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        for msgs in exc.message_dict.values():
            for msg in msgs:
                messages.error(request, msg)
    elif isinstance(exc, actions.NameTaken | QuotaExceeded):
        messages.error(request, exc.detail.split(": ", 1)[-1])
    elif isinstance(exc, store.TooLarge):
        messages.error(
            request, _("%(mb)d MB を超えるファイルはアップロードできません。") % {"mb": exc.limit // 1048576}
        )
    elif isinstance(exc, PermissionDenied):
        messages.error(request, str(exc))
    else:
        raise exc


@login_required
def index(request):
    roots = queries.roots_of(request.user)
    return render(request, "files/index.html", {
        "personal": roots.personal,
        "departments": [(f, folder_name(f)) for f in roots.departments],
        "conversations": [(f, folder_name(f)) for f in roots.conversations],
        "shared_folders": [(f, folder_name(f), p) for f, p in roots.shared_folders],
        "shared_files": roots.shared_files,
    })  # fmt: skip


def _writable_folders(user, exclude: Folder | None = None) -> list[tuple[int, str]]:
    """Folders the person may put things in, as (id, path) for a move form: their own and their sections'
    trees, at most 500."""
    roots = queries.roots_of(user)
    choices: list[tuple[int, str]] = []
    skip = set(actions._subtree_ids(exclude)) if exclude is not None else set()

    def walk(folder: Folder, prefix: str) -> None:
        if len(choices) >= 500 or folder.pk in skip:
            return
        label = f"{prefix}{folder_name(folder)}"
        choices.append((folder.pk, label))
        for child in Folder.objects.filter(parent=folder, deleted_at__isnull=True).order_by("name"):
            walk(child, label + " / ")

    for root in [roots.personal, *roots.departments]:
        walk(root, "")
    return choices


@login_required
def folder(request, folder_id: int):
    found = actions.access_folder(request.user, folder_id)
    viewer = access.viewer_of(request.user)
    listing = queries.contents(found.folder, limit=200, offset=max(0, int(request.GET.get("offset", 0) or 0)))
    path = list(reversed(access.visible_chain(viewer, found.chain)))
    return render(request, "files/folder.html", {
        "folder": found.folder,
        "title": folder_name(found.folder),
        "path": [(f, folder_name(f)) for f in path],
        "can_write": found.can_write,
        "listing": listing,
        "max_request_upload": int(settings.KIBAN_FILES_MAX_REQUEST_UPLOAD_BYTES),
        "shares": sharing.shares_of(found) if found.can_write else [],
        "move_choices": _writable_folders(request.user, found.folder) if found.can_write and not found.folder.is_root else [],
        "share_targets": _share_targets(request.user) if found.can_write else None,
    })  # fmt: skip


def _share_targets(user) -> dict:
    return {
        "departments": org_queries.labelled_departments(),
        "conversations": Conversation.objects.filter(members__staff=user, archived_at__isnull=True)
        .exclude(kind="dm")
        .order_by("name")[:200],
    }


@login_required
@require_POST
def create_folder(request, folder_id: int):
    parent = actions.access_folder(request.user, folder_id, need=Permission.WRITE)
    try:
        created = actions.do_create_folder(request.user, parent, request.POST.get("name", ""))
    except (ValidationError, actions.NameTaken) as exc:
        _problem(request, exc)
        return redirect("files:folder", folder_id)
    return redirect("files:folder", created.pk)


@login_required
@require_POST
def upload(request, folder_id: int):
    """The form without script: several files in one request (each within the one-request limit)."""
    destination = actions.access_folder(request.user, folder_id, need=Permission.WRITE)
    on_conflict = request.POST.get("on_conflict", "rename")
    stored = 0
    for upload_file in request.FILES.getlist("file"):
        try:
            actions.do_upload_file(request.user, destination, upload_file, on_conflict=on_conflict)
            stored += 1
        except (ValidationError, actions.NameTaken, QuotaExceeded, store.TooLarge) as exc:
            _problem(request, exc)
    if stored:
        messages.success(request, _("%(n)d件のファイルをアップロードしました。") % {"n": stored})
    return redirect("files:folder", folder_id)


@login_required
@require_POST
def folder_action(request, folder_id: int):
    action = request.POST.get("action")
    trashed = action == "restore"
    found = actions.access_folder(request.user, folder_id, need=Permission.WRITE, trashed=trashed)
    try:
        if action == "rename":
            actions.do_rename_folder(request.user, found, request.POST.get("name", ""))
        elif action == "move":
            destination = actions.access_folder(
                request.user, int(request.POST.get("parent") or 0), need=Permission.WRITE
            )
            actions.do_move_folder(request.user, found, destination)
        elif action == "delete":
            actions.do_trash_folder(request.user, found)
            messages.success(request, _("ごみ箱に移しました（30日後に完全に削除されます）。"))
            return redirect("files:folder", found.folder.parent_id)
        elif action == "restore":
            actions.do_restore_folder(request.user, found)
            return redirect("files:trash")
        elif action == "share":
            _share(request, found)
        elif action == "unshare":
            sharing.do_unshare(
                request.user,
                found,
                sharing.access_share(request.user, int(request.POST.get("share") or 0), found),
            )
        else:
            raise Http404
    except (ValidationError, actions.NameTaken, PermissionDenied) as exc:
        _problem(request, exc)
    return redirect("files:folder", folder_id)


def _share(request, found) -> None:
    kind = request.POST.get("target")
    sharing.do_share(
        request.user, found, permission=request.POST.get("permission", "read"),
        username=request.POST.get("username", "").strip() if kind == "staff" else None,
        department=int(request.POST.get("department") or 0) if kind == "department" else None,
        conversation=int(request.POST.get("conversation") or 0) if kind == "conversation" else None,
    )  # fmt: skip
    messages.success(request, _("共有しました。"))


@login_required
def file(request, file_id: int):
    found = actions.access_file(request.user, file_id)
    f = found.file
    preview = None
    text = ""
    if f.content_type in INLINE_TYPES:
        preview = "pdf" if f.content_type == "application/pdf" else "image"
    elif f.content_type == "text/plain":
        preview = "text"
        text = b"".join(store.read_range(f.blob.key, 0, min(f.size, TEXT_PREVIEW_BYTES) - 1)).decode(
            "utf-8", "replace"
        )

    return render(request, "files/file.html", {
        "file": f,
        "folder_title": folder_name(found.folder),
        "can_write": found.can_write,
        "preview": preview,
        "text": text,
        "text_cut": f.size > TEXT_PREVIEW_BYTES,
        "versions": f.versions.select_related("uploaded_by").order_by("-number"),
        "shares": sharing.shares_of(found) if found.can_write else [],
        "share_targets": _share_targets(request.user) if found.can_write else None,
        "move_choices": _writable_folders(request.user) if found.can_write else [],
        "conversations": Conversation.objects.filter(members__staff=request.user, archived_at__isnull=True).order_by("-last_message_at")[:100],
        "visible": found.folder.pk in {x.pk for x in access.visible_chain(access.viewer_of(request.user), found.chain)},
    })  # fmt: skip


@login_required
@require_POST
def file_action(request, file_id: int):
    action = request.POST.get("action")
    if action == "send":
        found = actions.access_file(request.user, file_id)
        try:
            message = chatlink.do_send_to_conversation(
                request.user,
                found,
                int(request.POST.get("conversation") or 0),
                request.POST.get("comment", ""),
            )
        except ValidationError as exc:
            _problem(request, exc)
            return redirect("files:file", file_id)
        return redirect("chat:conversation", message.conversation_id)
    trashed = action == "restore"
    found = actions.access_file(request.user, file_id, need=Permission.WRITE, trashed=trashed)
    try:
        if action == "rename":
            actions.do_rename_file(request.user, found, request.POST.get("name", ""))
        elif action == "move":
            destination = actions.access_folder(
                request.user, int(request.POST.get("folder") or 0), need=Permission.WRITE
            )
            actions.do_move_file(request.user, found, destination)
        elif action == "version" and request.FILES.get("file"):
            actions.do_upload_version(request.user, found, request.FILES["file"])
            messages.success(request, _("新しい版をアップロードしました。"))
        elif action == "restore_version":
            actions.do_restore_version(request.user, found, int(request.POST.get("number") or 0))
            messages.success(request, _("以前の版を復元しました。"))
        elif action == "delete":
            actions.do_trash_file(request.user, found)
            messages.success(request, _("ごみ箱に移しました（30日後に完全に削除されます）。"))
            return redirect("files:folder", found.file.folder_id)
        elif action == "restore":
            actions.do_restore_file(request.user, found)
            return redirect("files:trash")
        elif action == "share":
            _share(request, found)
        elif action == "unshare":
            sharing.do_unshare(
                request.user,
                found,
                sharing.access_share(request.user, int(request.POST.get("share") or 0), found),
            )
        else:
            raise Http404
    except (ValidationError, actions.NameTaken, QuotaExceeded, store.TooLarge, PermissionDenied) as exc:
        _problem(request, exc)
    return redirect("files:file", file_id)


@login_required
def trash(request):
    folders, files = actions.trash_of(request.user)
    return render(
        request, "files/trash.html", {"folders": [(f, folder_name(f)) for f in folders], "files": files}
    )


@login_required
def save_attachment(request, attachment_id: int):
    """Save a chat attachment into one of the person's folders (shared bytes, no copy)."""

    attachment = access_attachment(request.user, attachment_id)
    if request.method == "POST":
        destination = actions.access_folder(
            request.user, int(request.POST.get("folder") or 0), need=Permission.WRITE
        )
        try:
            file, _created = chatlink.do_save_attachment(
                request.user, attachment.pk, destination, on_conflict="rename"
            )
        except (ValidationError, actions.NameTaken, QuotaExceeded) as exc:
            _problem(request, exc)
        else:
            messages.success(request, _("フォルダに保存しました。"))
            return redirect("files:file", file.pk)
    return render(
        request,
        "files/save_attachment.html",
        {"attachment": attachment, "choices": _writable_folders(request.user)},
    )
