"""Chunks of resumable uploads (`PUT /api/v1/files/uploads/{token}?offset=N`), received outside Django.

Django's ASGI handler gathers a whole body (a copy per ~64 KiB message, into a spooled file) before any view
runs, and the view then copies it again on its way to the disk: a 100 MiB upload ran at a seventh of the
speed of copying the file on the same disk (benchmarks/RESULTS.md, "Files"). This ASGI middleware takes
these requests before Django does:

1. in one worker-thread call, before any byte is read: the caller is authenticated by the API's own
   `kiban.accounts.auth.api_auth` (Bearer token, or session cookie with CSRF) on a Django request built from
   the ASGI scope; the session must be the caller's (`uploads.access_session`, else 404); the offset and the
   declared length are checked (`parts.check_chunk`; a length over the session's chunk size is 413);
2. the body is written to storage while it streams in — on a local disk `os.pwritev` at the offset, in
   blocks of about WRITE_BLOCK on a worker thread, the next block received while the last is written; on
   S3 the chunk is gathered and sent as its multipart part — and never more than the declared length;
3. in a second worker-thread call, the same bookkeeping as the Django path (`parts.commit_chunk`, then
   `uploads.after_chunk`, which creates the file after the last chunk).

A refusal in step 1 is answered without reading the body (`Connection: close`). A client that disconnects
in step 2 leaves the session's offset where it was (the chunk is simply sent again); a server that dies
leaves a session and a pending blob, which the sweeper deletes (kiban.blobs.jobs). The answers are the
API's: the same JSON (`serializers.upload_out`) and the same refusals (`kiban.files.refusals`).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import re
from dataclasses import dataclass
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.handlers.asgi import ASGIRequest
from django.db import OperationalError, close_old_connections, connection
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from ninja.errors import HttpError

from kiban.accounts.auth import api_auth
from kiban.blobs import parts, store
from kiban.blobs.models import UploadSession
from kiban.core import busy
from kiban.files import uploads
from kiban.files.refusals import refusal
from kiban.files.serializers import upload_out

logger = logging.getLogger(__name__)

PATH = re.compile(r"/api/v1/files/uploads/(?P<token>[A-Za-z0-9_-]{1,64})")
# One-request uploads still go through Django; their bodies reach it in pieces of at least COALESCE bytes.
ONE_REQUEST = re.compile(r"/api/v1/files(/[0-9]+/versions)?")
COALESCE = 1024 * 1024
WRITE_BLOCK = 4 * 1024 * 1024
IOV_MAX = 512  # buffers per pwritev call (Linux allows 1024)


class Refused(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


class ClientGone(Exception):
    """The client disconnected before the whole chunk arrived."""


@dataclass
class Accepted:
    user: object
    session: UploadSession
    language: str
    request: ASGIRequest


def _none(request):
    return None


def _language(request) -> str:
    # As kiban.core.middleware.LanguageMiddleware: Japanese unless the person chose otherwise.
    language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return language if language in {code for code, _name in settings.LANGUAGES} else settings.LANGUAGE_CODE


def _refusal_of(exc: BaseException, request=None) -> Refused | None:
    if isinstance(exc, Refused):
        return exc
    if isinstance(exc, HttpError):
        return Refused(exc.status_code, str(exc))
    if isinstance(exc, Http404):
        return Refused(404, "Not found.")
    if isinstance(exc, OperationalError) and busy.is_busy(exc) and request is not None:
        response = busy.busy_response(request)  # the API's 503, as kiban.api answers it
        return Refused(503, json.loads(response.content)["detail"], {"Retry-After": response["Retry-After"]})
    found = refusal(exc)
    return Refused(*found) if found is not None else None


def _end_of_request() -> None:
    """What Django's request_started/request_finished do for the database: drop a connection that is broken
    or past CONN_MAX_AGE. Not inside an atomic block (a test's, when a test drives this handler), where it
    would close the connection the block holds."""
    if not connection.in_atomic_block:
        close_old_connections()


def _prepare(scope, token: str, offset: int, length: int) -> Accepted:
    """Step 1 (worker thread): who is calling, their session, and whether this chunk fits. Raises Refused."""
    _end_of_request()
    request = ASGIRequest(scope, io.BytesIO())
    SessionMiddleware(_none).process_request(request)
    AuthenticationMiddleware(_none).process_request(request)
    language = _language(request)
    with translation.override(language):
        try:
            user = api_auth(request)
            if user is None:
                raise Refused(401, "Authentication required.")
            session = uploads.access_session(user, token)
            if length > session.chunk_size:
                raise Refused(
                    413, _("body: チャンクは %(size)d バイトまでです。") % {"size": session.chunk_size}
                )
            parts.check_chunk(session, offset, length)
        except Exception as exc:
            refused = _refusal_of(exc, request)
            if refused is None:
                raise
            raise refused from exc
        finally:
            _end_of_request()
    return Accepted(user, session, language, request)


def _finish(accepted: Accepted, offset: int, length: int, head: bytes, etag: str) -> dict:
    """Step 3 (worker thread): the bookkeeping of the Django path. Raises Refused."""
    _end_of_request()
    with translation.override(accepted.language):
        try:
            session = parts.commit_chunk(accepted.session, offset, length, head, etag)
            session, file = uploads.after_chunk(accepted.user, session)
            return upload_out(session, file)
        except Exception as exc:
            refused = _refusal_of(exc, accepted.request)
            if refused is None:
                raise
            raise refused from exc
        finally:
            _end_of_request()


def _pwritev(fd: int, blocks: list[bytes], position: int) -> None:
    """Write `blocks` one after the other at `position`, without joining them (no copy)."""
    view = [memoryview(b) for b in blocks]
    while view:
        written = os.pwritev(fd, view[:IOV_MAX], position)
        position += written
        while view and written >= len(view[0]):
            written -= len(view[0])
            view.pop(0)
        if view and written:
            view[0] = view[0][written:]


async def _answer(send, status: int, payload: dict, *, close: bool = False, headers=None) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    raw = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"cache-control", b"no-store"),
    ]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    if close:
        raw.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _wanted(scope) -> tuple[str, int | None, int | None] | None:
    """(token, offset, length) for a chunk PUT this handler takes; None for any other request."""
    if scope["type"] != "http" or scope["method"] != "PUT":
        return None
    match = PATH.fullmatch(scope["path"])
    if match is None:
        return None
    offset = length = None
    query = parse_qs(scope.get("query_string", b"").decode("latin1"))
    with contextlib.suppress(KeyError, ValueError, IndexError):
        offset = int(query["offset"][0])
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            with contextlib.suppress(ValueError):
                length = int(value)
    return match["token"], offset, length


def _coalescing(receive):
    """`receive` handing over the body in pieces of at least COALESCE bytes. Django's ASGI handler spools a
    large body to a temporary file with one worker-thread hop per piece: uvicorn's ~64 KiB pieces made a
    30 MiB upload ~500 hops; this makes it ~30."""

    async def coalesced():
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return message
        pieces = [message.get("body", b"")]
        size = len(pieces[0])
        more = True
        while more and size < COALESCE:
            message = await receive()
            if message["type"] != "http.request":
                return message  # a disconnect: what was gathered no longer matters
            pieces.append(message.get("body", b""))
            size += len(pieces[-1])
            more = message.get("more_body", False)
        return {"type": "http.request", "body": b"".join(pieces), "more_body": more}

    return coalesced


class ChunkReceiver:
    """ASGI middleware in front of the HTTP application (see the module's docstring)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        wanted = _wanted(scope)
        if wanted is None:
            if scope["type"] == "http" and scope["method"] == "POST" and ONE_REQUEST.fullmatch(scope["path"]):
                return await self.app(scope, _coalescing(receive), send)
            return await self.app(scope, receive, send)
        token, offset, length = wanted
        if offset is None or offset < 0:
            return await _answer(
                send, 400, {"detail": _("offset: 0 以上の整数で指定してください。")}, close=True
            )
        if length is None or length < 0:
            return await _answer(send, 400, {"detail": _("body: Content-Length が必要です。")}, close=True)
        try:
            accepted = await sync_to_async(_prepare)(scope, token, offset, length)
        except Refused as refused:
            return await _answer(
                send, refused.status, {"detail": refused.detail}, close=True, headers=refused.headers
            )
        try:
            head, etag = await self._store(receive, accepted.session, offset, length)
            result = await sync_to_async(_finish)(accepted, offset, length, head, etag)
        except ClientGone:
            return None  # nobody to answer; the offset did not move
        except Refused as refused:
            return await _answer(send, refused.status, {"detail": refused.detail}, headers=refused.headers)
        except parts.BadChunk as exc:
            return await _answer(send, 400, {"detail": f"body: {exc}"}, close=True)
        return await _answer(send, 200, result)

    async def _store(self, receive, session: UploadSession, offset: int, length: int) -> tuple[bytes, str]:
        """Step 2: the body into storage as it arrives. Returns the file's first bytes (offset 0) and the S3
        part's ETag. Raises ClientGone or BadChunk."""
        to_s3 = bool(session.backend_id) and store.is_s3()
        head = bytearray()
        blocks: list[bytes] = []
        pending_bytes = 0
        received = 0
        position = offset
        loop = asyncio.get_running_loop()
        fd = None if to_s3 else await loop.run_in_executor(None, parts.open_local, session)
        writing: asyncio.Future | None = None
        try:
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise ClientGone
                body = message.get("body", b"")
                more = message.get("more_body", False)
                received += len(body)
                if received > length:
                    raise parts.BadChunk(f"the chunk is longer than its Content-Length ({length} bytes)")
                if offset == 0 and len(head) < store.TEXT_CHECK_BYTES:
                    head += body[: store.TEXT_CHECK_BYTES - len(head)]
                if body:
                    blocks.append(body)
                    pending_bytes += len(body)
                if fd is not None and (pending_bytes >= WRITE_BLOCK or (not more and blocks)):
                    if writing is not None:
                        await writing
                    writing = loop.run_in_executor(None, _pwritev, fd, blocks, position)
                    position += pending_bytes
                    blocks, pending_bytes = [], 0
            if received != length:
                raise parts.BadChunk(f"the chunk ended after {received} of {length} bytes")
            if writing is not None:
                await writing
                writing = None
            etag = ""
            if to_s3:
                data = b"".join(blocks)
                blocks = []
                etag = await sync_to_async(parts.upload_part, thread_sensitive=False)(session, offset, data)
            return bytes(head), etag
        finally:
            if writing is not None:  # never close the descriptor under a write still running
                with contextlib.suppress(Exception):
                    await writing
            if fd is not None:
                os.close(fd)
