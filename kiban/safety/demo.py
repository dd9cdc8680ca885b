"""Demo data: two templates prepared in advance (震度5強以上の地震 first) and a closed check from last
autumn's typhoon with most answers in — so the dashboard and the history have something to show."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from kiban.accounts.models import Staff
from kiban.org.models import Department, Membership
from kiban.safety.actions import resolve_audience
from kiban.safety.models import SafetyCheck, SafetyTemplate, Status, Target

SEED = "kiban-safety-demo"
COMMENTS = [
    "",
    "",
    "",
    "自宅待機中です。",
    "道路が冠水しているため遅れて出勤します。",
    "家族も無事です。",
    "足を軽くけがしました。",
]


def load_demo(say: Callable[[str], None]) -> dict:
    admin = Staff.objects.filter(username="admin").first() or Staff.objects.filter(is_staff=True).first()
    if admin is None or SafetyTemplate.objects.exists():
        return {}
    rng = random.Random(SEED)
    bousai = Department.objects.filter(name="防災危機管理課").first()
    with transaction.atomic():
        SafetyTemplate.objects.create(
            name="震度5強以上の地震", title="地震発生に伴う安否確認",
            message="県内で震度5強以上の地震が発生しました。身の安全を確保したうえで、あなたの状態と出勤できるかを回答してください。",
            created_by=admin,
        )  # fmt: skip
        SafetyTemplate.objects.create(
            name="大雨特別警報（危機管理部）", title="大雨特別警報に伴う安否確認",
            message="大雨特別警報が発表されました。危機管理部の職員は状態と参集できるかを回答してください。",
            departments=[bousai.parent_id] if bousai and bousai.parent_id else [], created_by=admin,
        )  # fmt: skip
        if bousai is not None:
            group, _created = Group.objects.get_or_create(name="防災担当")
            heads = (
                Membership.objects.filter(department=bousai)
                .order_by("-is_head", "rank")
                .values_list("staff_id", flat=True)[:2]
            )
            group.user_set.add(*heads)
        started = timezone.now() - dt.timedelta(days=75)
        check = SafetyCheck.objects.create(
            title="台風第14号に伴う安否確認", message="台風第14号の接近に伴い、安否と出勤可否を回答してください。",
            audience={"all": True}, started_by=admin, started_at=started, announced_at=started,
            closed_at=started + dt.timedelta(days=2), closed_by=admin,
        )  # fmt: skip
        rows = []
        for staff_id, department_id in resolve_audience([]):
            row = Target(safety_check=check, staff_id=staff_id, department_id=department_id)
            if rng.random() < 0.93:
                roll = rng.random()
                row.status = Status.SAFE if roll < 0.95 else Status.MINOR if roll < 0.99 else Status.SERIOUS
                row.can_work = rng.random() < 0.9
                row.comment = rng.choice(COMMENTS)
                row.answered_at = started + dt.timedelta(minutes=rng.randrange(5, 600))
                row.answered_by_id = staff_id
            rows.append(row)
        Target.objects.bulk_create(rows, batch_size=1000)
    answered = sum(1 for r in rows if r.status)
    say(f"safety: 2 templates, a closed check ({answered}/{len(rows)} answered)")
    return {"safety_templates": 2, "safety_checks": 1, "safety_answers": answered}
