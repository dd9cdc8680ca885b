"""`kiban import-staff`: HR CSV files in both encodings and both header languages, all or nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command

from kiban.accounts.models import ApiToken, DeviceSession, Staff
from kiban.core.models import AuditEntry
from kiban.org.importer import rank_for_title
from kiban.org.importer_parse import derive_romaji
from kiban.org.models import Department, Membership

STAFF_HEADER = "username,family_name,given_name,family_name_kana,given_name_kana,email,extension,department_code,title,primary,head"
JA_STAFF_HEADER = "職員番号,氏,名,氏カナ,名カナ,メール,内線,所属コード,役職,本務,所属長"


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def run(path: str, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_staff", path, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(path: str, *args: str) -> str:
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_staff", path, *args, stdout=StringIO(), stderr=err)
    return err.getvalue()


def snapshot() -> tuple:
    return (
        list(
            Staff.objects.order_by("username").values_list(
                "username", "family_name", "extension", "is_active", "title"
            )
        ),
        list(
            Membership.objects.order_by("id").values_list(
                "staff__username", "department__code", "title", "is_primary"
            )
        ),
        list(Department.objects.order_by("code").values_list("code", "name", "parent__code", "is_active")),
    )


def test_shift_jis_file_with_one_bad_row_applies_nothing_and_names_line_and_field(tmp_path, org_tree, clerk):
    before = snapshot()
    path = write(
        tmp_path,
        "jinji.csv",
        JA_STAFF_HEADER
        + "\n200001,山田,太郎,ヤマダ,タロウ,yamada@pref.example.lg.jp,2103,100100,主事,1,0"
        + "\n200002,鈴木,一郎,スズキ,イチロウ,suzuki@pref.example.lg.jp,2104,999999,主任,1,0"
        + "\n200003,田中,花子,タナカ,ハナコ,tanaka@pref.example.lg.jp,2105,100200,主事,1,0\n",
        encoding="cp932",
    )

    err = run_failing(path)

    assert err.strip().splitlines() == [f"{path}:3: 所属コード: 所属コード 999999 がありません"]
    assert snapshot() == before
    assert not AuditEntry.objects.filter(action="org.import.apply").exists()


def test_utf8_bom_file_with_japanese_headers_creates_staff_with_katakana_and_romaji(tmp_path, org_tree):
    path = write(
        tmp_path,
        "staff.csv",
        "\ufeff"
        + JA_STAFF_HEADER
        + "\n200001,髙橋,一郎,ﾀｶﾊｼ,いちろう,takahashi@pref.example.lg.jp,2101,100100,課長,1,1\n",
    )

    out, _err = run(path)

    person = Staff.objects.get(username="200001")
    assert (person.family_name, person.given_name) == ("髙橋", "一郎")
    assert (person.family_name_kana, person.given_name_kana) == ("タカハシ", "イチロウ")
    assert person.romaji == "Takahashi Ichiro"
    assert person.title == "課長"
    assert not person.has_usable_password()
    assert "たかはし" in person.search_text
    membership = person.memberships.get()
    assert (membership.department.code, membership.title, membership.is_primary, membership.is_head, membership.rank) == (
        "100100", "課長", True, True, 30,
    )  # fmt: skip
    assert "+ 職員 200001 髙橋 一郎(タカハシ イチロウ)人事課(課長・本務・所属長)" in out
    entry = AuditEntry.objects.get(action="org.import.apply")
    assert entry.detail["staff_created"] == 1


def test_english_headers_and_kenmu_rows_make_one_person_with_two_memberships(tmp_path, org_tree):
    path = write(
        tmp_path,
        "staff.csv",
        STAFF_HEADER
        + "\n200001,井上,光太郎,イノウエ,コウタロウ,inoue@pref.example.lg.jp,2101,100100,主査,1,0"
        + "\n200001,井上,光太郎,イノウエ,コウタロウ,inoue@pref.example.lg.jp,2101,500100,主査,0,0\n",
    )

    run(path)

    person = Staff.objects.get(username="200001")
    assert person.romaji == "Inoue Kotaro"
    assert sorted(person.memberships.values_list("department__code", "is_primary")) == [
        ("100100", True),
        ("500100", False),
    ]


def test_update_changes_only_changed_fields_and_the_preview_lists_them(
    tmp_path, org_tree, clerk, section_head
):
    path = write(
        tmp_path,
        "staff.csv",
        STAFF_HEADER
        + "\n100002,佐藤,花子,サトウ,ハナコ,100002@pref.example.lg.jp,2110,500100,主任,1,0"
        + "\n100001,髙橋,一郎,タカハシ,イチロウ,100001@pref.example.lg.jp,2101,100100,課長,1,1\n",
    )

    out, _err = run(path, "--dry-run")
    assert out.splitlines() == [
        "職員: 新規 0人、変更 1人、所属変更 1人、退職 0人",
        "~ 職員 100002 佐藤 花子: 内線 2102 → 2110",
        "~ 職員 100002 佐藤 花子: 役職 主事 → 主任",
        "> 職員 100002 佐藤 花子: 所属 人事課(主事・本務) → 道路課(主任・本務)",
        "--dry-run: 何も変更していません。",
    ]
    run(path)

    clerk.refresh_from_db()
    assert (clerk.extension, clerk.title, clerk.romaji) == ("2110", "主任", "Sato Hanako")
    assert list(clerk.memberships.values_list("department__code", "title", "rank")) == [
        ("500100", "主任", 70)
    ]
    head_membership = section_head.memberships.get()
    assert (head_membership.department.code, head_membership.is_head) == ("100100", True)


def test_dry_run_changes_nothing(tmp_path, org_tree, clerk):
    before = snapshot()
    path = write(
        tmp_path,
        "staff.csv",
        STAFF_HEADER + "\n200001,山田,太郎,ヤマダ,タロウ,y@pref.example.lg.jp,,100100,主事,,\n",
    )

    out, _err = run(path, "--dry-run")

    assert "+ 職員 200001 山田 太郎(ヤマダ タロウ)人事課(主事・本務)" in out
    assert snapshot() == before
    assert not AuditEntry.objects.exists()


def test_full_import_retires_absent_staff_and_revokes_their_sessions_and_tokens(
    tmp_path, org_tree, clerk, section_head, it_admin
):
    session = SessionStore()
    session["_auth_user_id"] = str(clerk.pk)
    session.create()
    DeviceSession.objects.create(user=clerk, session_key=session.session_key)
    ApiToken.objects.create(user=clerk, token_hash="a" * 64, prefix="kb_a")
    ApiToken.objects.create(user=section_head, token_hash="b" * 64, prefix="kb_b")
    path = write(
        tmp_path,
        "staff.csv",
        STAFF_HEADER
        + "\n100001,髙橋,一郎,タカハシ,イチロウ,100001@pref.example.lg.jp,2101,100100,課長,1,1\n",
    )

    out, _err = run(path, "--full")

    clerk.refresh_from_db()
    assert clerk.is_active is False
    assert clerk.retired_at is not None
    assert not clerk.memberships.exists()
    assert not Session.objects.filter(session_key=session.session_key).exists()
    assert not DeviceSession.objects.filter(user=clerk).exists()
    assert list(ApiToken.objects.values_list("user__username", flat=True)) == ["100001"]
    it_admin.refresh_from_db()
    assert it_admin.is_active is True  # administrators are never retired by an HR file
    assert "- 職員 100002 佐藤 花子: 退職" in out
    assert "! 職員 100009: ファイルにありませんが管理者アカウントのため退職にしません" in out
    assert Staff.objects.filter(username="100002").exists()  # retired, never deleted
    # Retired through accounts.actions.do_retire_staff: audited per person like any other retirement.
    assert list(
        AuditEntry.objects.filter(action="accounts.retired").values_list("target_repr", flat=True)
    ) == ["100002"]


def test_full_department_import_retires_absent_departments_and_moves_parents(tmp_path, org_tree):
    path = write(
        tmp_path,
        "departments.csv",
        "所属コード,所属名,上位所属コード,表示順\n100000,総務部,,1\n100100,職員課,100000,1\n100300,広報課,100000,3\n"
        "500000,土木部,,5\n500100,道路課,500000,1\n",
    )

    out, _err = run(path, "--full")

    assert list(
        Department.objects.order_by("code").values_list("code", "name", "parent__code", "is_active")
    ) == [
        ("100000", "総務部", None, True),
        ("100100", "職員課", "100000", True),
        ("100200", "情報システム課", "100000", False),
        ("100300", "広報課", "100000", True),
        ("500000", "土木部", None, True),
        ("500100", "道路課", "500000", True),
    ]
    assert "~ 所属 100100: 所属名 人事課 → 職員課" in out
    assert "- 所属 100200 情報システム課: 廃止" in out


def test_duplicate_primary_unknown_department_and_bad_values_are_all_reported(tmp_path, org_tree):
    path = write(
        tmp_path,
        "staff.csv",
        STAFF_HEADER
        + "\n200001,山田,太郎,ヤマダ,タロウ,yamada@pref.example.lg.jp,,100100,主事,1,0"
        + "\n200001,山田,太郎,ヤマダ,タロウ,yamada@pref.example.lg.jp,,100200,主事,1,0"
        + "\n200002,鈴木,,スズキ,イチロウ,not-an-email,,777,主事,2,0"
        + "\n200003,田中,一,Tanaka,ハジメ,tanaka@pref.example.lg.jp,,100100,主事,1,0\n",
    )

    err = run_failing(path)

    assert err.strip().splitlines() == [
        f"{path}:3: primary: 本務が重複しています(2 行目も本務)",
        f"{path}:4: given_name: 必須項目が空です",
        f"{path}:4: email: メールアドレスの形式が正しくありません(not-an-email)",
        f"{path}:4: primary: 1 または 0 で入力してください(2)",
        f"{path}:5: family_name_kana: カナで入力してください(Tanaka)",
    ]
    assert not Staff.objects.exists()


def test_department_cycle_and_duplicate_code_are_refused(tmp_path, org_tree):
    path = write(
        tmp_path,
        "departments.csv",
        "code,name,parent_code,order\n100000,総務部,100100,1\n100100,人事課,100000,1\n100100,人事課,100000,2\n",
    )
    before = snapshot()

    err = run_failing(path)

    assert err.strip().splitlines() == [
        f"{path}:2: parent_code: 上位所属をたどると循環します(100000)",
        f"{path}:3: parent_code: 上位所属をたどると循環します(100100)",
        f"{path}:4: code: 所属コード 100100 が重複しています(3 行目と同じ)",
    ]
    assert snapshot() == before


def test_undecodable_bytes_name_file_and_line(tmp_path, org_tree):
    path = tmp_path / "broken.csv"
    path.write_bytes(
        (STAFF_HEADER + "\n200001,山田,太郎,ヤマダ,タロウ,y@pref.example.lg.jp,,100100,主事,1,0\n").encode(
            "utf-8"
        )
        + b"200002,\xff\xfe,x\n"
    )

    err = run_failing(str(path))

    assert (
        err.strip()
        == f"{path}:3: family_name: 文字コードを解釈できません(UTF-8 でも Shift_JIS でもないバイト 0xff)"
    )
    assert not Staff.objects.exists()


def test_unknown_header_is_refused(tmp_path, org_tree):
    path = write(tmp_path, "staff.csv", STAFF_HEADER + ",favourite\n")
    assert run_failing(path).strip() == f"{path}:1: favourite: 不明な列です"


def test_rank_follows_the_title_table():
    assert [rank_for_title(t) for t in ["部長", "次長", "課長", "課長補佐", "係長", "主査", "主任", "主事", "主任技師", "嘱託"]] == [
        10, 20, 30, 40, 50, 60, 70, 80, 70, 100,
    ]  # fmt: skip


def test_romaji_is_passport_hepburn_without_long_vowels():
    assert derive_romaji("サトウ", "ユウコ") == "Sato Yuko"
    assert derive_romaji("オオノ", "シンイチ") == "Ono Shinichi"
    assert derive_romaji("イノウエ", "ジュンペイ") == "Inoue Junpei"
