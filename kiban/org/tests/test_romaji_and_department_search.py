"""Issue 9 item 21: any romanisation of a name finds the person (Hepburn, Kunrei, long vowels written ou, oo,
oh or with a macron), and a term naming a department narrows a name search to its members."""

from __future__ import annotations

import pytest

from kiban.accounts.tests.factories import PASSWORD, StaffFactory
from kiban.org.search import search_staff
from kiban.org.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def usernames(query: str) -> list[str]:
    return [p.username for p in search_staff(query).staff]


@pytest.fixture
def people(section_head, clerk, other_clerk, it_admin, org_tree):
    ono = StaffFactory(
        username="500002", family_name="大野", given_name="健太", family_name_kana="オオノ",
        given_name_kana="ケンタ", romaji="Ono Kenta",
    )  # fmt: skip
    MembershipFactory(staff=ono, department=org_tree["douro"], title="主事", rank=80)
    # HR wrote this one with a macron: passport spellings must still find her.
    kudo = StaffFactory(
        username="100003", family_name="工藤", given_name="優子", family_name_kana="クドウ",
        given_name_kana="ユウコ", romaji="Kudō Yūko",
    )  # fmt: skip
    MembershipFactory(staff=kudo, department=org_tree["jinji"], title="主任", rank=70)
    return {"ono": ono, "kudo": kudo}


@pytest.mark.parametrize("query", ["sato", "satou", "satoh", "satoo", "Satō", "SATOU", "ｓａｔｏｕ"])
def test_every_spelling_of_sato_finds_sato(people, query):
    assert usernames(query) == ["100002"]


@pytest.mark.parametrize("query", ["takahashi", "takahasi", "Takahasi Itiro", "takahashi ichirou"])
def test_hepburn_and_kunrei_find_takahashi(people, query):
    assert usernames(query) == ["100001"]


@pytest.mark.parametrize("query", ["ono", "ohno", "oono", "Ōno", "ohno kenta"])
def test_ohno_and_oono_find_ono(people, query):
    assert usernames(query) == ["500002"]


@pytest.mark.parametrize("query", ["kudo", "kudou", "kudoh", "yuuko", "kudou yuko"])
def test_a_name_stored_with_macrons_is_found_by_plain_spellings(people, query):
    assert usernames(query) == ["100003"]


def test_saito_is_found_as_saitou_and_siato_is_not(people):
    assert usernames("saitou") == ["100009"]
    assert usernames("siato") == []


def test_name_and_department_are_both_required(people):
    # 齋藤 is in 情報システム課, inside 総務部: the 部 takes in its sections.
    assert usernames("さいとう 総務") == ["100009"]
    assert usernames("総務 さいとう") == ["100009"]
    assert usernames("saitou 総務部") == ["100009"]
    assert usernames("さいとう 情報システム") == ["100009"]
    assert usernames("さいとう 土木") == []
    assert usernames("佐藤 人事課") == ["100002"]
    assert usernames("佐藤 道路") == []


def test_department_terms_alone_list_its_members_in_reading_order(people):
    assert usernames("土木 道路") == ["500002", "500001"]  # オオノ before ワタナベ


def test_api_search_used_by_pickers_and_mentions_accepts_kunrei_and_departments(people, client):
    client.login(username="100002", password=PASSWORD)
    response = client.get("/api/v1/staff", {"q": "takahasi"})
    assert [p["username"] for p in response.json()["results"]] == ["100001"]
    response = client.get("/api/v1/staff", {"q": "さいとう 総務"})
    assert [p["username"] for p in response.json()["results"]] == ["100009"]
