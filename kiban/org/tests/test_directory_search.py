"""Directory search: every way a person is typed finds them, through the index, on both engines."""

from __future__ import annotations

import pytest
from django.db import connection

from kiban.accounts.models import Staff
from kiban.accounts.tests.factories import StaffFactory
from kiban.org.search import reindex_staff, search_staff, search_staff_ids
from kiban.org.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def usernames(query: str, **kwargs) -> list[str]:
    return [p.username for p in search_staff(query, **kwargs).staff]


@pytest.fixture
def people(section_head, clerk, other_clerk, it_admin):
    return {"section_head": section_head, "clerk": clerk, "other_clerk": other_clerk, "it_admin": it_admin}


def test_kanji_surname_finds_the_person(people):
    assert usernames("佐藤") == ["100002"]


def test_kanji_full_name_with_and_without_space(people):
    assert usernames("佐藤花子") == ["100002"]
    assert usernames("佐藤 花子") == ["100002"]


def test_hiragana_finds_a_katakana_reading(people):
    assert usernames("さとう") == ["100002"]


def test_half_width_katakana_finds_the_person(people):
    assert usernames("ｻﾄｳ") == ["100002"]
    assert usernames("ﾜﾀﾅﾍﾞ") == ["500001"]


def test_voiced_mark_typed_separately_finds_the_person(people):
    assert usernames("ワタナヘ゛") == ["500001"]


def test_romaji_in_any_case_and_full_width(people):
    assert usernames("watanabe") == ["500001"]
    assert usernames("WATANABE") == ["500001"]
    assert usernames("ｗａｔａｎａｂｅ") == ["500001"]


def test_extension_finds_the_person(people):
    assert usernames("2102") == ["100002"]


def test_email_finds_the_person(people):
    assert usernames("100009@pref.example.lg.jp") == ["100009"]


def test_variant_kanji_fold_both_ways(people):
    # 髙橋 is registered with 髙; 渡邊 with 邊; 齋藤 with 齋.
    assert usernames("高橋") == ["100001"]
    assert usernames("髙橋") == ["100001"]
    assert usernames("渡辺") == ["500001"]
    assert usernames("渡邉") == ["500001"]
    assert usernames("斎藤") == ["100009"]
    assert usernames("斉藤") == ["100009"]


def test_registered_plain_kanji_is_found_by_its_variant(db):
    StaffFactory(username="700001", family_name="高橋", given_name="二郎", family_name_kana="タカハシ")
    StaffFactory(username="700002", family_name="山崎", given_name="三郎", family_name_kana="ヤマザキ")
    assert usernames("髙橋") == ["700001"]
    assert usernames("山﨑") == ["700002"]


def test_several_terms_must_all_match(people):
    StaffFactory(username="700003", family_name="佐藤", given_name="次郎", family_name_kana="サトウ",
                 given_name_kana="ジロウ", romaji="Sato Jiro")  # fmt: skip
    assert usernames("佐藤") == ["700003", "100002"]  # さとう じろう before さとう はなこ
    assert usernames("佐藤 はなこ") == ["100002"]
    assert usernames("さとう jiro") == ["700003"]
    assert usernames("佐藤 watanabe") == []


def test_a_term_that_matches_nothing_finds_nothing(people):
    assert usernames("存在しない名前") == []


def test_retired_staff_are_left_out_unless_asked(people):
    Staff.objects.filter(username="100002").update(is_active=False)
    assert usernames("佐藤") == []
    assert usernames("佐藤", include_retired=True) == ["100002"]


def test_results_are_in_gojuon_order_after_prefix_matches(db):
    for username, family, kana in [
        ("800001", "渡辺", "ワタナベ"),
        ("800002", "安藤", "アンドウ"),
        ("800003", "伊藤", "イトウ"),
        ("800004", "加藤", "カトウ"),
    ]:
        StaffFactory(username=username, family_name=family, family_name_kana=kana, given_name="一")
    # 藤一 is in every name but 渡辺's; 五十音: あんどう, いとう, かとう.
    assert usernames("藤一") == ["800002", "800003", "800004"]
    # One character is matched as a prefix of the name or reading only.
    StaffFactory(username="800005", family_name="藤田", family_name_kana="フジタ", given_name="一")
    assert usernames("藤") == ["800005"]


def test_two_character_prefix_match_ranks_first(db):
    StaffFactory(
        username="810001",
        family_name="安田",
        family_name_kana="ヤスダ",
        given_name="花",
        given_name_kana="ハナ",
    )
    StaffFactory(
        username="810002",
        family_name="田中",
        family_name_kana="タナカ",
        given_name="安子",
        given_name_kana="ヤスコ",
    )
    # Both contain "やす" in their readings; only 安田 starts with it, so it comes first although
    # たなか sorts before やすだ.
    assert usernames("やす") == ["810001", "810002"]


def test_one_character_term_matches_a_prefix_of_the_reading_or_name(people):
    assert usernames("さ") == ["100009", "100002"]  # さいとう, さとう
    assert usernames("佐") == ["100002"]


def test_one_character_term_beside_a_longer_one_matches_anywhere(people):
    assert usernames("佐藤 花") == ["100002"]
    assert usernames("佐藤 健") == []


def test_limit_reports_more(db):
    for n in range(5):
        StaffFactory(username=f"82000{n}", family_name="山本", family_name_kana="ヤマモト")
    result = search_staff("山本", limit=3)
    assert len(result.staff) == 3
    assert result.more is True
    assert search_staff("山本", limit=5).more is False


def test_department_filter(people, org_tree):
    assert usernames("", department_id=org_tree["jinji"].pk) == ["100002", "100001"]  # さとう, たかはし
    assert usernames("佐藤", department_id=org_tree["douro"].pk) == []


def test_like_wildcards_in_the_query_are_literal(people):
    assert usernames("%%") == []
    assert usernames("__") == []


# --- The index follows every write ----------------------------------------------------------------------


def test_new_staff_is_found_immediately(db):
    StaffFactory(username="900001", family_name="長谷川", family_name_kana="ハセガワ")
    assert usernames("はせがわ") == ["900001"]


def test_renamed_staff_is_found_by_the_new_name_not_the_old(db):
    person = StaffFactory(username="900002", family_name="小林", family_name_kana="コバヤシ")
    person.family_name, person.family_name_kana = "中村", "ナカムラ"
    person.save()
    assert usernames("中村") == ["900002"]
    assert usernames("なかむら") == ["900002"]
    assert usernames("小林") == []
    assert usernames("こばやし") == []


def test_retiring_removes_from_results(db):
    person = StaffFactory(username="900003", family_name="松本", family_name_kana="マツモト")
    person.is_active = False
    person.save(update_fields=["is_active"])
    assert usernames("松本") == []


def test_deleted_row_leaves_no_match(db):
    person = StaffFactory(username="900004", family_name="井上", family_name_kana="イノウエ")
    person.delete()
    assert usernames("井上") == []


def test_bulk_created_staff_are_found_after_reindex(db):
    created = Staff.objects.bulk_create(
        [
            Staff(username=f"91000{n}", family_name="木村", given_name=f"{n}", family_name_kana="キムラ")
            for n in range(3)
        ]
    )
    assert reindex_staff([p.pk for p in created]) == 3
    assert usernames("きむら") == ["910000", "910001", "910002"]
    assert reindex_staff([p.pk for p in created]) == 0


def test_bulk_update_then_reindex_finds_the_new_name(db):
    person = StaffFactory(username="910010", family_name="林", family_name_kana="ハヤシ")
    person.family_name, person.family_name_kana = "森", "モリ"
    Staff.objects.bulk_update([person], ["family_name", "family_name_kana"])
    reindex_staff([person.pk])
    assert usernames("もり") == ["910010"]
    assert usernames("はやし") == []


def test_search_uses_the_index(people):
    """A prefix is found by range scans (no LIKE scan); a term inside a name by the bigram index."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert search_staff_ids("さとう")[0] == [people["clerk"].pk]
    prefix_sql, contains_sql = (q["sql"] for q in ctx.captured_queries)
    assert "LIKE" not in prefix_sql
    assert "sort_key >= 'さとう'" in prefix_sql or "sort_key COLLATE \"C\" >= 'さとう'" in prefix_sql
    assert ("MATCH" if connection.vendor == "sqlite" else "kiban_bigrams") in contains_sql


def test_membership_shown_with_results(people, org_tree):
    MembershipFactory(staff=people["clerk"], department=org_tree["douro"], title="兼務主事", is_primary=False)
    person = search_staff("さとう").staff[0]
    assert [(m.department.name, m.is_primary) for m in person.posts] == [
        ("人事課", True),
        ("道路課", False),
    ]
