"""Paging of the API's list endpoints (CONTRACT.md): `limit` (1–200) and `offset` in, `{"results": […],
"more": true|false}` out, `more` true exactly when a row follows the page (one row more is read, no count).

    @router.get("/things", response=paging.Page[ThingOut])
    def things(request, page: Query[paging.PageQuery]):
        return paging.page(Thing.objects.filter(…).order_by("pk"), page, thing_dict)

A QuerySet is sliced in SQL (LIMIT/OFFSET); a list is sliced in memory. Endpoints that page by a cursor
instead (`after`/`before` a sequence number) say so in `CURSOR_PAGED` of the test that checks every list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from ninja import Schema
from pydantic import Field

MAX_LIMIT = 200
DEFAULT_LIMIT = 50

T = TypeVar("T")


class PageQuery(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Rows per page (at most {MAX_LIMIT})")
    offset: int = Field(0, ge=0, description="Rows to skip")


class Page(Schema, Generic[T]):
    results: list[T]
    more: bool = Field(description="Whether more rows follow this page (ask again with offset + limit)")


def page(items: Sequence | Any, query: PageQuery, serialize: Callable[[Any], Any] | None = None) -> dict:
    """One page of `items` (a QuerySet, ordered, or a sequence) as `{"results", "more"}`."""
    rows = list(items[query.offset : query.offset + query.limit + 1])
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return {"results": [serialize(row) for row in rows] if serialize else rows, "more": more}
