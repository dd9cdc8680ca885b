"""Serving a blob over HTTP: Range requests (RFC 9110 §14), validators, and headers that keep a stored file
from ever acting as a page of this site.

- Every response carries `X-Content-Type-Options: nosniff` and `Content-Security-Policy: sandbox;
  default-src 'none'`: even opened directly, a stored file runs no script and loads nothing.
- Only raster images and PDF may be shown inline (text is previewed inside a page, escaped), and only when the caller asks; everything
  else (HTML and SVG included, which are typed as text or octet-stream anyway) is an attachment.
- The name travels as RFC 6266 `filename*` (UTF-8, percent-encoded) with an ASCII fallback, so a Japanese
  name arrives exactly as uploaded.
- The body is an async iterator: under ASGI Django would otherwise collect a synchronous iterator into a
  list, that is, hold the whole file in memory.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from kiban.blobs.models import Blob
from kiban.blobs.store import read_range

INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"})
SANDBOX_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def etag(blob: Blob) -> str:
    # A blob's bytes never change, so its identity is a strong validator.
    return f'"blob-{blob.pk}"'


def parse_range(header: str, size: int) -> tuple[int, int] | None | bool:
    """(start, end) inclusive for one satisfiable range; False when unsatisfiable (416); None to ignore
    the header and send everything (a malformed header or several ranges, which RFC 9110 allows)."""
    match = _RANGE.match(header.strip())
    if not match:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":  # the last N bytes
        length = int(last)
        if length == 0:
            return False
        return (max(0, size - length), size - 1) if size else False
    start = int(first)
    if start >= size:
        return False
    end = int(last) if last else size - 1
    if end < start:
        return None
    return start, min(end, size - 1)


async def _aiter(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Read each block in a worker thread, so a slow disk or object store never blocks the event loop."""
    try:
        while True:
            block = await asyncio.to_thread(next, chunks, None)
            if block is None:
                return
            yield block
    finally:
        await asyncio.to_thread(chunks.close)


def blob_response(
    request: HttpRequest, blob: Blob, filename: str, *, inline: bool = False, content_type: str | None = None
) -> HttpResponse:
    """A response serving `blob` as `filename`, honouring Range, If-Range and If-None-Match."""
    content_type = content_type or blob.content_type
    inline = inline and content_type in INLINE_TYPES
    tag = etag(blob)
    headers = {
        "ETag": tag,
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": SANDBOX_CSP,
        # The person's own browser may keep it, revalidating each time (a 304 costs nothing): access that
        # was withdrawn is noticed at the next use.
        "Cache-Control": "private, no-cache",
        "Content-Disposition": content_disposition_header(not inline, filename),
    }
    if request.headers.get("If-None-Match") in (tag, f"W/{tag}", "*"):
        response = HttpResponse(status=304)
        for name in ("ETag", "Cache-Control"):
            response[name] = headers[name]
        return response
    full_type = f"{content_type}; charset=utf-8" if content_type.startswith("text/") else content_type
    size = blob.size
    span: tuple[int, int] | None | bool = None
    range_header = request.headers.get("Range")
    if range_header and request.headers.get("If-Range", tag) == tag:
        span = parse_range(range_header, size)
    if span is False:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        for name, value in headers.items():
            response[name] = value
        return response
    if span:
        start, end = span
        status = 206
    else:
        start, end = 0, size - 1
        status = 200
    if request.method == "HEAD" or size == 0:
        response = HttpResponse(status=status, content_type=full_type)
    else:
        response = StreamingHttpResponse(
            _aiter(read_range(blob.key, start, end)), status=status, content_type=full_type
        )
    for name, value in headers.items():
        response[name] = value
    response["Content-Length"] = str(max(0, end - start + 1))
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response
