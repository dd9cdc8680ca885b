"""What travels between processes and to clients: the frame text of an event and the Redis pub/sub message that
carries it with its recipients. Shared by the publishing side (`delivery`) and the receiving side (`hub`)."""

from __future__ import annotations

import json

from django.db import connection

REDIS_CHANNEL_PREFIX = "kiban:events:"


def frame_text(event_id: int, body: str) -> str:
    """`{"id": N, …the event's fields…}` from the event's JSON text, without parsing it again."""
    return '{"id":' + str(event_id) + "," + body[1:]


def encode_redis_message(recipients: list[int], frame: str) -> str:
    """Recipients, a newline, then the frame: the subscriber routes without parsing the event."""
    return json.dumps(recipients, separators=(",", ":")) + "\n" + frame


def decode_redis_message(data: bytes | str) -> tuple[list[int], str]:
    text = data.decode() if isinstance(data, bytes) else data
    head, _, frame = text.partition("\n")
    return json.loads(head), frame


def redis_channel() -> str:
    """The pub/sub channel of this installation: named after its database, so two Kiban installations (or
    two test runs) sharing one Redis never see each other's events (user ids would collide)."""
    db = connection.settings_dict
    return REDIS_CHANNEL_PREFIX + f"{db.get('HOST') or ''}:{db.get('PORT') or ''}/{db['NAME']}"
