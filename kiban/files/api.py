"""Files API (CONTRACT.md "files"): folders, files, versions, content with HTTP Range, resumable uploads,
shares, the trash, and the bridge to chat. Parses, calls kiban.files.actions, renders."""

from __future__ import annotations

import functools

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import File as FileParam
from ninja import Form, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from pydantic import Field

from kiban.blobs.models import Blob
from kiban.blobs.serve import blob_response
from kiban.core import paging
from kiban.files import access, actions, chatlink, queries, sharing, uploads
from kiban.files.models import FileVersion, Permission
from kiban.files.refusals import refusal
from kiban.files.schemas import FileOut, FolderOut, ShareOut, VersionOut
from kiban.files.serializers import file_out, folder_out, share_out, upload_out, version_out

router = Router(tags=["files"])

LIMIT_MAX = 200


class FolderPage(Schema):
    results: list[FolderOut]
    more: bool


class FolderDetail(FolderOut):
    path: list[FolderOut] = Field(description="from the highest folder the caller may open down to this one")
    folders: list[FolderOut]
    files: list[FileOut]
    more: bool


class FolderIn(Schema):
    name: str
    parent: int | None = Field(None, description="absent: the caller's own root (マイファイル)")


class FolderPatch(Schema):
    name: str | None = None
    parent: int | None = None


class FilePatch(Schema):
    name: str | None = None
    folder: int | None = None


class UploadIn(Schema):
    name: str
    size: int = Field(description="bytes")
    folder: int | None = Field(None, description="destination folder (absent: マイファイル)")
    file: int | None = Field(None, description="upload a new version of this file instead")
    on_conflict: str = Field("error", description="error, version (add a version) or rename")
    chunk_size: int | None = Field(
        None,
        description="bytes per chunk, from 5 MiB up to the server's maximum (KIBAN_FILES_MAX_CHUNK_BYTES, "
        "64 MiB by default); absent: the server's default (8 MiB). Larger chunks upload faster.",
    )


class UploadOut(Schema):
    id: str = Field(description="the session token; PUT chunks to /api/v1/files/uploads/{id}?offset=N")
    name: str
    size: int
    offset: int = Field(description="bytes received; resume from here")
    chunk_size: int = Field(description="every chunk but the last has exactly this size")
    max_chunk_size: int = Field(description="the largest `chunk_size` this server accepts for a new session")
    expires_at: str
    file: FileOut | None = None


class ShareIn(Schema):
    permission: str = Field("read", description="read or write")
    username: str | None = None
    department: int | None = None
    conversation: int | None = None


class SendIn(Schema):
    conversation: int
    comment: str = ""


class FromAttachmentIn(Schema):
    attachment: int
    folder: int | None = Field(None, description="absent: マイファイル")
    name: str | None = None
    on_conflict: str = "error"


class TrashOut(Schema):
    folders: list[FolderOut]
    files: list[FileOut]


def _errors(view):
    """The domain's refusals as the contract's statuses, each with a detail naming the field."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except Exception as exc:
            refused = refusal(exc)
            if refused is None:
                raise
            raise HttpError(*refused) from exc

    return wrapped


def _paging(limit: int, offset: int) -> tuple[int, int]:
    # TODO(platform): the shared paging helper (engineer "writes") once it lands on main.
    if limit < 1 or limit > LIMIT_MAX:
        raise HttpError(400, f"limit: 1〜{LIMIT_MAX} で指定してください。")
    if offset < 0:
        raise HttpError(400, "offset: 0 以上で指定してください。")
    return limit, offset


def _folder_out(folder, permission) -> FolderOut:
    return folder_out(folder, permission=permission)


# --- Folders -------------------------------------------------------------------------------------------


@router.get(
    "/folders",
    response=FolderPage,
    summary="The caller's top folders: own, sections', conversations', shared",
)
def list_folders(request: HttpRequest, department: int | None = None, conversation: int | None = None,
                 limit: int = 200, offset: int = 0):  # fmt: skip
    limit, offset = _paging(limit, offset)
    if department is not None:
        rows = [(actions.department_root(request.user, department), Permission.WRITE)]
    elif conversation is not None:
        rows = [(actions.conversation_root(request.user, conversation), None)]
        rows = [(rows[0][0], actions.access_folder(request.user, rows[0][0].pk).permission)]
    else:
        roots = queries.roots_of(request.user)
        rows = [(roots.personal, Permission.WRITE)]
        rows += [(f, Permission.WRITE) for f in roots.departments]
        rows += [(f, actions.access_folder(request.user, f.pk).permission) for f in roots.conversations]
        rows += roots.shared_folders
    page = rows[offset : offset + limit]
    return {"results": [_folder_out(f, p) for f, p in page], "more": len(rows) > offset + limit}


@router.post("/folders", response={201: FolderOut}, summary="Create a folder")
@_errors
def create_folder(request: HttpRequest, payload: FolderIn):
    parent_id = payload.parent if payload.parent is not None else actions.personal_root(request.user).pk
    parent = actions.access_folder(request.user, parent_id, need=Permission.WRITE)
    folder = actions.do_create_folder(request.user, parent, payload.name)
    return Status(201, _folder_out(folder, Permission.WRITE))


@router.get("/folders/{int:folder_id}", response=FolderDetail, summary="A folder with its folders and files")
def get_folder(request: HttpRequest, folder_id: int, limit: int = 200, offset: int = 0):
    limit, offset = _paging(limit, offset)
    found = actions.access_folder(request.user, folder_id)
    listing = queries.contents(found.folder, limit=limit, offset=offset)
    path = access.visible_chain(access.viewer_of(request.user), found.chain)
    return {
        **dict(_folder_out(found.folder, found.permission)),
        "path": [_folder_out(f, None) for f in reversed(path)],
        "folders": [_folder_out(f, found.permission) for f in listing.folders],
        "files": [file_out(f, permission=found.permission) for f in listing.files],
        "more": listing.more,
    }


@router.patch("/folders/{int:folder_id}", response=FolderOut, summary="Rename or move a folder")
@_errors
def patch_folder(request: HttpRequest, folder_id: int, payload: FolderPatch):
    found = actions.access_folder(request.user, folder_id, need=Permission.WRITE)
    folder = found.folder
    if payload.name is not None:
        folder = actions.do_rename_folder(request.user, found, payload.name)
    if payload.parent is not None:
        destination = actions.access_folder(request.user, payload.parent, need=Permission.WRITE)
        folder = actions.do_move_folder(request.user, found, destination)
    return _folder_out(folder, found.permission)


@router.delete(
    "/folders/{int:folder_id}", response={204: None}, summary="Move a folder to the trash (30 days)"
)
@_errors
def trash_folder(request: HttpRequest, folder_id: int):
    actions.do_trash_folder(
        request.user, actions.access_folder(request.user, folder_id, need=Permission.WRITE)
    )
    return Status(204, None)


@router.post("/folders/{int:folder_id}/restore", response=FolderOut, summary="Take a folder out of the trash")
@_errors
def restore_folder(request: HttpRequest, folder_id: int):
    found = actions.access_folder(request.user, folder_id, need=Permission.WRITE, trashed=True)
    return _folder_out(actions.do_restore_folder(request.user, found), found.permission)


# --- Files ---------------------------------------------------------------------------------------------


@router.post(
    "/files",
    response={200: FileOut, 201: FileOut},
    summary="Upload a file (multipart `file`, `folder`?, `name`?, `on_conflict`?)",
    description=(
        "`name` gives the file's name exactly: a multipart filename loses the characters Django's parser "
        "drops as unprintable, among them the ideographic space (U+3000) of many Japanese names. "
        "`on_conflict`: `error` (409 when the name is taken), `version` (a new version of that file, 200), "
        "`rename` (「名前 (2).txt」). Larger files: `POST /api/v1/files/uploads` (resumable)."
    ),
)
@_errors
def upload_file(request: HttpRequest, file: FileParam[UploadedFile], folder: Form[int | None] = None,
                on_conflict: Form[str] = "error", name: Form[str | None] = None):  # fmt: skip
    folder_id = folder if folder is not None else actions.personal_root(request.user).pk
    destination = actions.access_folder(request.user, folder_id, need=Permission.WRITE)
    created_file, created = actions.do_upload_file(
        request.user, destination, file, on_conflict=on_conflict, name=name
    )
    return Status(201 if created else 200, file_out(created_file, permission=destination.permission))


@router.get("/files/trash", response=TrashOut, summary="What the caller may restore from the trash")
def trash(request: HttpRequest):
    folders, files = actions.trash_of(request.user)
    return {
        "folders": [_folder_out(f, Permission.WRITE) for f in folders],
        "files": [file_out(f, permission=Permission.WRITE) for f in files],
    }


@router.get("/files/{int:file_id}", response=FileOut, summary="A file")
def get_file(request: HttpRequest, file_id: int):
    found = actions.access_file(request.user, file_id)
    return file_out(found.file, permission=found.permission)


@router.api_operation(
    ["GET", "HEAD"], "/files/{int:file_id}/content", summary="The bytes (HTTP Range; `?version=N`)"
)
def content(request: HttpRequest, file_id: int, version: int | None = None, inline: bool = False):
    found = actions.access_file(request.user, file_id)
    blob = found.file.blob
    if version is not None and version != found.file.version:
        row = (
            FileVersion.objects.filter(file=found.file, number=version)
            .values_list("blob_id", flat=True)
            .first()
        )
        if row is None:
            raise Http404
        blob = Blob.objects.get(pk=row)
    return blob_response(request, blob, found.file.name, inline=inline)


@router.patch("/files/{int:file_id}", response=FileOut, summary="Rename or move a file")
@_errors
def patch_file(request: HttpRequest, file_id: int, payload: FilePatch):
    found = actions.access_file(request.user, file_id, need=Permission.WRITE)
    file = found.file
    if payload.name is not None:
        file = actions.do_rename_file(request.user, found, payload.name)
    if payload.folder is not None and payload.folder != file.folder_id:
        destination = actions.access_folder(request.user, payload.folder, need=Permission.WRITE)
        file = actions.do_move_file(request.user, found, destination)
    return file_out(file, permission=found.permission)


@router.delete("/files/{int:file_id}", response={204: None}, summary="Move a file to the trash (30 days)")
@_errors
def trash_file(request: HttpRequest, file_id: int):
    actions.do_trash_file(request.user, actions.access_file(request.user, file_id, need=Permission.WRITE))
    return Status(204, None)


@router.post("/files/{int:file_id}/restore", response=FileOut, summary="Take a file out of the trash")
@_errors
def restore_file(request: HttpRequest, file_id: int):
    found = actions.access_file(request.user, file_id, need=Permission.WRITE, trashed=True)
    return file_out(actions.do_restore_file(request.user, found), permission=found.permission)


@router.post(
    "/files/{int:file_id}/versions",
    response={201: FileOut},
    summary="Upload a new version (multipart `file`)",
)
@_errors
def upload_version(request: HttpRequest, file_id: int, file: FileParam[UploadedFile]):
    found = actions.access_file(request.user, file_id, need=Permission.WRITE)
    return Status(
        201, file_out(actions.do_upload_version(request.user, found, file), permission=found.permission)
    )


@router.get(
    "/files/{int:file_id}/versions", response=list[VersionOut], summary="A file's versions, newest first"
)
def list_versions(request: HttpRequest, file_id: int):
    found = actions.access_file(request.user, file_id)
    return [version_out(v) for v in found.file.versions.select_related("uploaded_by").order_by("-number")]


@router.post("/files/{int:file_id}/versions/{int:number}/restore", response={201: FileOut},
             summary="Make an old version current again (as a new version)")  # fmt: skip
@_errors
def restore_version(request: HttpRequest, file_id: int, number: int):
    found = actions.access_file(request.user, file_id, need=Permission.WRITE)
    return Status(
        201, file_out(actions.do_restore_version(request.user, found, number), permission=found.permission)
    )


# --- Resumable uploads ---------------------------------------------------------------------------------


@router.post("/files/uploads", response={201: UploadOut}, summary="Start a resumable upload")
@_errors
def begin_upload(request: HttpRequest, payload: UploadIn):
    file = folder = None
    if payload.file is not None:
        file = actions.access_file(request.user, payload.file, need=Permission.WRITE)
    else:
        folder_id = payload.folder if payload.folder is not None else actions.personal_root(request.user).pk
        folder = actions.access_folder(request.user, folder_id, need=Permission.WRITE)
    session = uploads.begin(
        request.user,
        name=payload.name,
        size=payload.size,
        folder=folder,
        file=file,
        on_conflict=payload.on_conflict,
        chunk_size=payload.chunk_size,
    )
    return Status(201, upload_out(session))


@router.get("/files/uploads/{token}", response=UploadOut, summary="Where a resumable upload stands")
def upload_status(request: HttpRequest, token: str):
    return upload_out(uploads.access_session(request.user, token))


@router.put("/files/uploads/{token}", response=UploadOut,
            summary="Send the chunk at `offset` (raw body); the last one returns the file")  # fmt: skip
@_errors
def upload_chunk(request: HttpRequest, token: str, offset: int):
    session = uploads.access_session(request.user, token)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise HttpError(400, _("body: Content-Length が必要です。")) from None
    if length > session.chunk_size:
        raise HttpError(413, _("body: チャンクは %(size)d バイトまでです。") % {"size": session.chunk_size})
    session, file = uploads.receive(request.user, session, offset, request, length)
    return upload_out(session, file)


@router.delete("/files/uploads/{token}", response={204: None}, summary="Abandon a resumable upload")
def cancel_upload(request: HttpRequest, token: str):
    uploads.cancel(request.user, uploads.access_session(request.user, token))
    return Status(204, None)


# --- Shares --------------------------------------------------------------------------------------------


def _shares(found, page: paging.PageQuery) -> dict:
    return paging.page(sharing.shares_of(found), page, share_out)


@router.get(
    "/files/{int:file_id}/shares", response=paging.Page[ShareOut], summary="Who a file is shared with"
)
def file_shares(request: HttpRequest, file_id: int, page: Query[paging.PageQuery]):
    return _shares(actions.access_file(request.user, file_id), page)


@router.post("/files/{int:file_id}/shares", response={201: ShareOut}, summary="Share a file")
@_errors
def share_file(request: HttpRequest, file_id: int, payload: ShareIn):
    found = actions.access_file(request.user, file_id, need=Permission.WRITE)
    share = sharing.do_share(request.user, found, **payload.dict())
    return Status(201, share_out(share))


@router.delete(
    "/files/{int:file_id}/shares/{int:share_id}", response={204: None}, summary="Stop sharing a file"
)
def unshare_file(request: HttpRequest, file_id: int, share_id: int):
    found = actions.access_file(request.user, file_id, need=Permission.WRITE)
    sharing.do_unshare(request.user, found, sharing.access_share(request.user, share_id, found))
    return Status(204, None)


@router.get(
    "/folders/{int:folder_id}/shares", response=paging.Page[ShareOut], summary="Who a folder is shared with"
)
def folder_shares(request: HttpRequest, folder_id: int, page: Query[paging.PageQuery]):
    return _shares(actions.access_folder(request.user, folder_id), page)


@router.post("/folders/{int:folder_id}/shares", response={201: ShareOut}, summary="Share a folder")
@_errors
def share_folder(request: HttpRequest, folder_id: int, payload: ShareIn):
    found = actions.access_folder(request.user, folder_id, need=Permission.WRITE)
    share = sharing.do_share(request.user, found, **payload.dict())
    return Status(201, share_out(share))


@router.delete(
    "/folders/{int:folder_id}/shares/{int:share_id}", response={204: None}, summary="Stop sharing a folder"
)
def unshare_folder(request: HttpRequest, folder_id: int, share_id: int):
    found = actions.access_folder(request.user, folder_id, need=Permission.WRITE)
    sharing.do_unshare(request.user, found, sharing.access_share(request.user, share_id, found))
    return Status(204, None)


# --- Chat ----------------------------------------------------------------------------------------------


@router.post(
    "/files/{int:file_id}/send", response={201: dict}, summary="Post the file in a conversation (no copy)"
)
@_errors
def send_to_conversation(request: HttpRequest, file_id: int, payload: SendIn):
    found = actions.access_file(request.user, file_id)
    message = chatlink.do_send_to_conversation(request.user, found, payload.conversation, payload.comment)
    return Status(201, {"message": message.pk, "conversation": message.conversation_id})


@router.post("/files/from-attachment", response={201: FileOut, 200: FileOut},
             summary="Save a chat attachment to a folder (no copy)")  # fmt: skip
@_errors
def from_attachment(request: HttpRequest, payload: FromAttachmentIn):
    folder_id = payload.folder if payload.folder is not None else actions.personal_root(request.user).pk
    destination = actions.access_folder(request.user, folder_id, need=Permission.WRITE)
    file, created = chatlink.do_save_attachment(
        request.user, payload.attachment, destination, name=payload.name, on_conflict=payload.on_conflict
    )
    return Status(201 if created else 200, file_out(file, permission=Permission.WRITE))
