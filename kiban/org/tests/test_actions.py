"""Every write of departments and memberships goes through the org actions: a change made by hand and the same
change made by the HR import (or a reshuffle) leave the same audit entries and the same `org.changed` event."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from kiban.core.models import AuditEntry
from kiban.org import actions
from kiban.org.models import Department, Membership, Reshuffle
from kiban.org.reshuffle import apply_reshuffle
from kiban.realtime.testing import capture_events

STAFF_HEADER = "username,family_name,given_name,family_name_kana,given_name_kana,email,department_code,title,primary,head"
DEPT_HEADER = "code,name,parent_code,order"


def run_import(tmp_path, name: str, text: str, *args: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    call_command("import_staff", str(path), *args, stdout=StringIO(), stderr=StringIO())


def trail(since: int) -> list[tuple[str, str, str]]:
    """The org audit entries written after entry `since`: (action, target type, what)."""
    return list(
        AuditEntry.objects.filter(pk__gt=since, action__regex=r"^org\.(department|membership)\.")
        .order_by("pk")
        .values_list("action", "target_type", "target_repr")
    )


def last_entry() -> int:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def org_events(events) -> list[tuple[list[int], list[int]]]:
    return [(user_ids, event.departments) for user_ids, event in events if event.type == "org.changed"]


def test_a_move_by_hand_and_the_same_move_by_import_leave_the_same_trail(
    tmp_path, org_tree, clerk, other_clerk
):
    douro, jinji = org_tree["douro"], org_tree["jinji"]

    # By hand: the clerk moves from 人事課 to 道路課.
    before = last_entry()
    with capture_events() as events:
        actions.do_end_membership(Membership.objects.get(staff=clerk), actor=None, actor_username="admin")
        actions.do_add_membership(clerk, douro, title="主任", is_primary=True, actor=None)
    by_hand = trail(before)
    assert by_hand == [
        ("org.membership.end", "org.membership", "100002 @ 100100"),
        ("org.membership.add", "org.membership", "100002 @ 500100"),
    ]
    assert org_events(events) == [
        ([clerk.pk], [jinji.pk]),  # the one who left (人事課 has nobody else in this test)
        (sorted([clerk.pk, other_clerk.pk]), [douro.pk]),  # 道路課 as it is now
    ]
    membership = Membership.objects.get(staff=clerk)
    assert (membership.title, membership.rank, membership.is_primary) == ("主任", 70, True)

    # By import: the other clerk makes the same kind of move (道路課 → 人事課).
    before = last_entry()
    with capture_events() as events:
        run_import(
            tmp_path,
            "move.csv",
            STAFF_HEADER + "\n500001,渡邊,健,ワタナベ,ケン,500001@pref.example.lg.jp,100100,主任,1,0\n",
        )
    by_import = trail(before)
    assert [(a, t) for a, t, _w in by_import] == [(a, t) for a, t, _w in by_hand]
    assert [w for _a, _t, w in by_import] == ["500001 @ 500100", "500001 @ 100100"]
    assert AuditEntry.objects.get(pk__gt=before, action="org.membership.add").detail == {
        "via": "import", "source": str(tmp_path / "move.csv"), "title": "主任", "primary": True, "head": False,
    }  # fmt: skip
    assert org_events(events) == [
        (sorted([clerk.pk, other_clerk.pk]), [douro.pk]),  # the one who left, and 道路課 as it is now
        ([other_clerk.pk], [jinji.pk]),
    ]


def test_departments_created_moved_and_changed_by_import_are_audited_as_by_hand(
    tmp_path, org_tree, other_clerk
):
    before = last_entry()
    actions.do_create_department("600000", "農林部", order=6, actor=None, actor_username="admin")
    by_hand = trail(before)
    assert by_hand == [("org.department.create", "org.department", "600000 農林部")]

    before = last_entry()
    with capture_events() as events:
        run_import(
            tmp_path,
            "depts.csv",
            DEPT_HEADER
            + "\n100000,総務部,,1\n100100,人事課,100000,1\n100200,情報システム課,100000,2"
            + "\n500000,土木部,,5\n500100,道路課（新）,600000,1\n600000,農林部,,6\n700000,企画部,,7\n",
            "--full",
        )
    assert sorted(trail(before)) == [
        ("org.department.create", "org.department", "700000 企画部"),
        ("org.department.move", "org.department", "500100 道路課（新）"),
        ("org.department.update", "org.department", "500100 道路課（新）"),
    ]
    douro = Department.objects.get(code="500100")
    assert (douro.name, douro.parent.code) == ("道路課（新）", "600000")
    move = AuditEntry.objects.get(pk__gt=before, action="org.department.move")
    assert (move.detail["from"], move.detail["to"], move.detail["via"]) == ("500000", "600000", "import")
    # The people of 道路課 hear of its new name and place; a department nobody is in yet tells nobody.
    douro_news = ([other_clerk.pk], [douro.pk])
    assert org_events(events) == [douro_news, douro_news]


def test_closing_by_hand_and_by_a_full_import_write_the_same_entry(tmp_path, org_tree):
    before = last_entry()
    actions.do_close_department(org_tree["joho"], actor=None, actor_username="admin")
    assert trail(before) == [("org.department.close", "org.department", "100200 情報システム課")]
    assert not Department.objects.get(code="100200").is_active

    before = last_entry()
    run_import(
        tmp_path,
        "depts.csv",
        DEPT_HEADER + "\n100000,総務部,,1\n100100,人事課,100000,1\n100200,情報システム課,100000,2\n",
        "--full",
    )
    assert sorted(trail(before)) == [
        ("org.department.close", "org.department", "500000 土木部"),
        ("org.department.close", "org.department", "500100 道路課"),
        ("org.department.update", "org.department", "100200 情報システム課"),  # re-opened
    ]


def test_a_move_that_makes_the_tree_circular_is_refused_and_changes_nothing(org_tree):
    before = last_entry()
    with capture_events() as events, pytest.raises(ValidationError) as refused:
        actions.do_move_department(org_tree["soumu"], org_tree["jinji"], actor=None)
    assert "parent" in refused.value.message_dict
    assert Department.objects.get(code="100000").parent_id is None
    assert trail(before) == []
    assert events.types() == []


def test_a_new_department_under_an_unknown_parent_names_the_field(org_tree):
    with pytest.raises(ValidationError) as refused:
        actions.do_create_departments([actions.DepartmentSpec("600100", "林業課", parent_code="999999")])
    assert refused.value.message_dict == {"parent": ["上位所属 999999 がありません"]}
    assert not Department.objects.filter(code="600100").exists()


def test_primary_posts_swap_in_one_call(org_tree, clerk):
    second = actions.do_add_membership(clerk, org_tree["douro"], title="主任", is_primary=False, actor=None)
    first = Membership.objects.get(staff=clerk, is_primary=True)

    changed = actions.do_update_memberships(
        [(first.pk, {"is_primary": False}), (second.pk, {"is_primary": True})], actor=None
    )

    assert changed == 2
    assert list(Membership.objects.filter(staff=clerk, is_primary=True).values_list("pk", flat=True)) == [
        second.pk
    ]
    entry = AuditEntry.objects.filter(action="org.membership.update", target_id=str(second.pk)).get()
    assert entry.detail == {"changes": {"is_primary": [False, True]}}


@pytest.mark.django_db(transaction=True)
def test_a_reshuffle_stamps_its_entries_with_its_effective_date(tmp_path, org_tree, clerk):
    effective = timezone.localdate() + dt.timedelta(days=30)
    run_import(
        tmp_path,
        "april.csv",
        STAFF_HEADER + "\n100002,佐藤,花子,サトウ,ハナコ,100002@pref.example.lg.jp,500100,主任,1,0\n",
        "--effective",
        effective.isoformat(),
    )
    reshuffle = Reshuffle.objects.get()
    assert not AuditEntry.objects.filter(action__startswith="org.membership.").exists()  # not before its day

    assert apply_reshuffle(reshuffle.pk) == "applied"

    entries = AuditEntry.objects.filter(action__startswith="org.membership.").order_by("pk")
    assert [(e.action, e.actor_username, e.detail["reshuffle"], e.detail["effective"]) for e in entries] == [
        ("org.membership.end", "system", reshuffle.pk, effective.isoformat()),
        ("org.membership.add", "system", reshuffle.pk, effective.isoformat()),
    ]
