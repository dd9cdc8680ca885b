"""Demo: three external systems of the fictional prefecture with approval counts for some demo staff."""

from __future__ import annotations

import random
from collections.abc import Callable

from django.db import transaction

from kiban.accounts.tokens import hash_token
from kiban.integrations.actions import new_token
from kiban.integrations.models import SCOPE_APPROVAL_COUNTS, ApprovalCount, ExternalSystem

SEED = 1010
SYSTEMS = [
    ("bunsho", "文書管理システム", "http://bunsho.pref.example.lg.jp/"),
    ("zaimu", "財務会計システム", "http://zaimu.pref.example.lg.jp/"),
    ("shomu", "庶務事務システム", "http://shomu.pref.example.lg.jp/"),
]


def load_demo(say: Callable[[str], None]) -> dict:
    from django.contrib.auth import get_user_model

    Staff = get_user_model()
    if ExternalSystem.objects.exists():
        return {}
    rng = random.Random(SEED)
    staff_ids = list(Staff.objects.filter(is_active=True).order_by("id").values_list("id", flat=True))
    rows = 0
    with transaction.atomic():
        for name, label, url in SYSTEMS:
            # The demo's tokens are never shown: an administrator issues a new one on /manage/integrations/.
            system = ExternalSystem.objects.create(
                name=name, label=label, url=url, scopes=[SCOPE_APPROVAL_COUNTS],
                token_hash=hash_token(new_token()), token_prefix="kbi_demo",  # noqa: S106
            )  # fmt: skip
            chosen = [pk for pk in staff_ids if rng.random() < 0.4]
            ApprovalCount.objects.bulk_create(
                [ApprovalCount(system=system, staff_id=pk, pending=rng.randint(1, 12)) for pk in chosen],
                batch_size=2000,
            )
            rows += len(chosen)
    say(f"外部システム {len(SYSTEMS)} 件、決裁件数 {rows} 件")
    return {"systems": len(SYSTEMS), "approval_counts": rows}
