"""The per-recipient catch-up index of stored events (`EventRecipient`): written in the publishing transaction
for a small audience (`delivery.store`), by the worker for a large one (`jobs.fan_out_events`)."""

from __future__ import annotations

import json

from django.db import connection


def ids_source(ids: list[int]) -> tuple[str, object]:
    """A table of `ids` (column `value`) for INSERT … SELECT: one parameter, however many ids, and no Python
    object per row (5,000 recipient rows cost one statement)."""
    if connection.vendor == "postgresql":
        return "unnest(%s::bigint[]) AS value", list(ids)
    return "json_each(%s)", json.dumps(ids)


def insert_recipients(event_id: int, recipients: list[int]) -> None:
    """The EventRecipient rows of one event, in one statement (idempotent: a resumed fan-out skips rows
    already written)."""
    source, param = ids_source(recipients)
    verb, tail = (
        ("INSERT", " ON CONFLICT DO NOTHING")
        if connection.vendor == "postgresql"
        else ("INSERT OR IGNORE", "")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"{verb} INTO realtime_eventrecipient (user_id, event_id) SELECT value, %s FROM {source}{tail}",  # noqa: S608
            [event_id, param],
        )
