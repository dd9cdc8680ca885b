from __future__ import annotations

from kiban.integrations.models import ExternalSystem
from kiban.integrations.schemas import SystemOut


def system_out(system: ExternalSystem, people_with_counts: int = 0) -> SystemOut:
    return SystemOut(
        id=system.pk,
        name=system.name,
        label=system.label,
        url=system.url,
        scopes=list(system.scopes or []),
        enabled=system.enabled,
        token_prefix=system.token_prefix,
        created_at=system.created_at,
        token_rotated_at=system.token_rotated_at,
        last_push_at=system.last_push_at,
        people_with_counts=people_with_counts,
    )
