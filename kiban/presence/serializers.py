from __future__ import annotations

from kiban.presence.models import PhoneMemo
from kiban.presence.schemas import PhoneMemoOut


def memo_out(memo: PhoneMemo) -> PhoneMemoOut:
    """Needs `to` and `taken_by` loaded (select_related)."""
    return PhoneMemoOut(
        id=memo.pk,
        to=memo.to.username,
        to_name=memo.to.full_name or memo.to.username,
        taken_by=memo.taken_by.username,
        taken_by_name=memo.taken_by.full_name or memo.taken_by.username,
        caller_name=memo.caller_name,
        caller_org=memo.caller_org,
        caller_phone=memo.caller_phone,
        message=memo.message,
        action=memo.action,
        called_at=memo.called_at,
        created_at=memo.created_at,
        read_at=memo.read_at,
        done_at=memo.done_at,
    )
