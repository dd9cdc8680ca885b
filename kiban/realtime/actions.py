"""Writes to the stored events other than publishing: removing text that must not outlive its source."""

from __future__ import annotations

import json

from django.db.models import Q

from kiban.realtime.models import Event

# Shorter texts are not searched for (they would match unrelated events); they are still replaced where a
# value equals them.
MIN_SEARCH = 4


def _scrub_value(value, texts: list[str]):
    if isinstance(value, str):
        if value in texts:
            return ""
        # A clipped copy (`notifications._clip`): the start of a text, cut with "…".
        if value.endswith("…") and len(value) > 1 and any(t.startswith(value[:-1]) for t in texts):
            return ""
        return value
    if isinstance(value, list):
        return [_scrub_value(item, texts) for item in value]
    if isinstance(value, dict):
        return {key: _scrub_value(item, texts) for key, item in value.items()}
    return value


def scrub_events(texts: list[str]) -> int:
    """Empty every string in the stored events that is one of `texts` (or a clipped copy of one): a deleted
    message's body, HTML and excerpt leave the catch-up history. Call it inside the deleting transaction.
    Returns how many events changed. Only the ~15 minutes of kept events are scanned, by substring."""
    texts = [t for t in dict.fromkeys(texts) if t]
    probes = [json.dumps(t[:40], ensure_ascii=False)[1:-1] for t in texts if len(t) >= MIN_SEARCH]
    if not probes:
        return 0
    match = Q()
    for probe in probes:
        match |= Q(payload__contains=probe)
    changed = 0
    for event_id, payload in Event.objects.filter(match).values_list("id", "payload"):
        data = json.loads(payload)
        scrubbed = _scrub_value(data, texts)
        if scrubbed != data:
            Event.objects.filter(pk=event_id).update(
                payload=json.dumps(scrubbed, ensure_ascii=False, separators=(",", ":"))
            )
            changed += 1
    return changed
