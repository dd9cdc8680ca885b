"""Refuse request bodies over `settings.KIBAN_MAX_REQUEST_BYTES` with 413, before anything reads them.

Django's ASGI handler reads the whole body (spooling it to a temporary file past FILE_UPLOAD_MAX_MEMORY_SIZE)
before it routes the request, so an anonymous 1 GB POST to any path filled the disk before any view or
permission check could refuse it. This middleware sits outside Django, on the event loop:

- a `Content-Length` over the limit is answered 413 at once, the application is never called and the body is
  never read (the server closes the connection after the answer, as the body was not consumed);
- a body without a length (chunked) is counted as it arrives; the piece that crosses the limit is not passed
  on: the client gets 413 and the application sees the client disconnect (Django then stops reading and
  answers nothing more, so it never starts a response of its own).

The default limit is the largest body a legitimate request sends (the one-request file upload, a chat
attachment, a chunk of a resumable upload) plus a margin for the multipart framing; the reverse proxy's
`client_max_body_size` should say the same (docs/deploy.md).
"""

from __future__ import annotations

import json

from django.utils.translation import gettext as _


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return -1
    return None


async def _answer(send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _too_large(limit: int) -> str:
    return _("リクエストが大きすぎます（上限 %(limit)s バイト）。") % {"limit": f"{limit:,}"}


class BodyLimit:
    """ASGI middleware: `BodyLimit(app, max_bytes)`; WebSocket and lifespan scopes pass through untouched."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = _content_length(scope)
        if length is not None and length < 0:
            return await _answer(send, 400, _("Content-Length が正しくありません。"))
        if length is not None and length > self.max_bytes:
            return await _answer(send, 413, _too_large(self.max_bytes))

        received = 0
        refused = False
        started = False

        async def counting_receive():
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    if not started:  # an application that answered before reading is cut off instead
                        await _answer(send, 413, _too_large(self.max_bytes))
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            nonlocal started
            started = True
            if refused:
                return  # the 413 went out; the application's own answer (if any) is dropped
            await send(message)

        return await self.app(scope, counting_receive, guarded_send)
