"""One output schema per object (docs/ARCHITECTURE.md, "One schema per object").

Each object a client reads — a message, an event, a booking … — has exactly one ninja `Schema` subclass of
`OutSchema`, declared by its app (`<app>/schemas.py`). The API returns it (the route's `response=`), the
realtime event that announces a change carries it (a typed field of the event model), pages that hand JSON
to a script dump it, and the tests compare against it. There is no second, hand-written dict.

- `extra="forbid"`: a field that the schema does not declare is an error where the object is built, not a
  silent difference between the API and an event.
- `Timestamp`: an aware datetime, written in Asia/Tokyo as ISO 8601 with offset (CONTRACT.md, "Times"), the
  same text in the API, in an event and in `dump(...)` — ninja's JSON encoder would otherwise cut
  microseconds and pydantic would keep the stored offset.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.utils import timezone
from ninja import Schema
from pydantic import ConfigDict, PlainSerializer


def local_iso(value: dt.datetime) -> str:
    """ISO 8601 with the Asia/Tokyo offset (naive values are taken as Asia/Tokyo)."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return timezone.localtime(value).isoformat()


Timestamp = Annotated[dt.datetime, PlainSerializer(local_iso, return_type=str)]


class OutSchema(Schema):
    """Base of every object schema: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


def dump(obj: Schema | None) -> dict[str, Any] | None:
    """The JSON-ready dict of a schema instance: what the API answers and what an event carries."""
    return obj.model_dump(mode="json") if obj is not None else None


def dump_all(objs) -> list[dict[str, Any]]:
    return [obj.model_dump(mode="json") for obj in objs]
