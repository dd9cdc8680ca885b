"""Demo data: statuses set by hand across the first sections (外出 with a destination and return time, 出張,
テレワーク, 休暇), and phone memos for the administrator and a few section members (each also a dm, as in
real use). Bounded work whatever the number of staff."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from kiban.org.models import Membership
from kiban.presence import actions
from kiban.presence.models import PhoneMemo, Presence

SEED = 20261203
DESTINATIONS = {
    "out": ["東部土木事務所", "県民会館", "○○市役所", "法務局", "現地確認（国道12号）", "銀行（公金）"],
    "trip": ["国土交通省", "総務省", "県東京事務所", "西部合同庁舎"],
    "remote": ["自宅"],
    "meeting": ["第3会議室", "大会議室", "知事室"],
}
NOTES = ["携帯に連絡可", "", "", "直帰", "午後から在席", ""]
CALLERS = [
    ("山本 和夫", "○○市 建設課", "0120-123-456", "道路占用の件で確認したいことがあるとのこと。", "call_back"),
    ("中村 由美", "株式会社カキクケ建設", "03-1234-5678", "見積書を本日中に送付したとのこと。", "fyi"),
    ("小林 誠", "県民", "090-1234-5678", "補助金の申請について。午後にまたかけます。", "will_call_again"),
    ("加藤 恵", "△△町 総務課", "0299-12-3456", "会議の日程変更について折り返しください。", "call_back"),
]


def load_demo(say: Callable[[str], None]) -> dict:
    Staff = get_user_model()
    rng = random.Random(SEED)
    now = timezone.now()
    end_of_day = timezone.localtime(now).replace(hour=23, minute=59, second=0, microsecond=0)
    # The largest sections: those a demo visitor looks at first (the board opens on the largest one).
    department_ids = list(
        Membership.objects.filter(staff__is_active=True).values("department_id")
        .annotate(n=Count("id")).order_by("-n", "department_id").values_list("department_id", flat=True)[:30]
    )  # fmt: skip
    if not department_ids:
        return {}
    rows = []
    seen: set[int] = set()
    for staff_id in Membership.objects.filter(department_id__in=department_ids).values_list(
        "staff_id", flat=True
    ):
        if staff_id in seen or rng.random() > 0.35:
            continue
        seen.add(staff_id)
        status = rng.choice(["out", "out", "trip", "remote", "leave", "meeting"])
        until = None
        if status in ("out", "meeting"):
            until = now + dt.timedelta(minutes=rng.choice([30, 60, 90, 120, 180]))
        destination = rng.choice(DESTINATIONS[status]) if status in DESTINATIONS else ""
        rows.append(
            Presence(
                user_id=staff_id, status=status, destination=destination, until=until,
                note=rng.choice(NOTES), expires_at=until or end_of_day, set_by_id=staff_id, updated_at=now,
            )
        )  # fmt: skip
    with transaction.atomic():
        Presence.objects.bulk_create(rows, ignore_conflicts=True)
    say(f"presence: {len(rows)}")

    admin = Staff.objects.filter(username="admin").first()
    # The busiest of those sections: its members take memos for each other.
    busiest = (
        Membership.objects.filter(department_id__in=department_ids, staff__is_active=True)
        .values("department_id").annotate(n=Count("id")).order_by("-n", "department_id").first()
    )  # fmt: skip
    first = Membership.objects.filter(department_id=busiest["department_id"]).select_related("staff")
    colleagues = [m.staff for m in first if m.staff.is_active][:4]
    memos = 0
    targets = [admin, *colleagues[:2]] if admin else colleagues[:3]
    for index, to in enumerate(targets):
        takers = [c for c in colleagues if c.pk != to.pk]
        if not takers:
            continue
        for offset, (name, org, phone, message, action) in enumerate(CALLERS[index : index + 2]):
            with transaction.atomic():
                memo = actions.do_take_memo(
                    takers[offset % len(takers)], to, caller_name=name, caller_org=org, caller_phone=phone,
                    message=message, action=action, called_at=now - dt.timedelta(minutes=20 * (offset + 1)),
                )  # fmt: skip
            memos += 1
            if offset == 1:
                PhoneMemo.objects.filter(pk=memo.pk).update(read_at=now)
    say(f"phone memos: {memos}")
    return {"presence": len(rows), "phone_memos": memos}
