"""Issue 9 item 27: the demo organisation looks like a real prefecture's — branch offices inside their 部,
same-named sections told apart, titles ranked by the table, no 課長補佐 under a 係長."""

from __future__ import annotations

import pytest

from kiban.org.demo import load_demo
from kiban.org.importer import rank_for_title
from kiban.org.models import Department, Membership
from kiban.org.queries import department_labels
from kiban.org.search import search_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_demo(monkeypatch):
    monkeypatch.setattr("kiban.core.modules.demo_loaders", lambda: [])
    load_demo(staff=300)


def test_branch_offices_sit_inside_their_department(org_demo):
    parents = dict(Department.objects.filter(name__endswith="所").values_list("name", "parent__name"))
    assert parents == {
        "東部土木事務所": "土木部",
        "西部土木事務所": "土木部",
        "東部保健所": "厚生部",
        "西部保健所": "厚生部",
        "中央県税事務所": "総務部",
    }


def test_same_named_sections_are_labelled_with_their_parent(org_demo):
    koumu = Department.objects.filter(name="工務課").order_by("code")
    douro = Department.objects.get(name="道路課")
    labels = department_labels([*koumu, douro])
    assert [labels[d.pk] for d in koumu] == ["工務課（東部土木事務所）", "工務課（西部土木事務所）"]
    assert labels[douro.pk] == "道路課"


def test_search_results_pickers_and_profile_show_the_label(org_demo, client):
    east = Department.objects.get(name="工務課", parent__name="東部土木事務所")
    member = Membership.objects.filter(department=east, is_primary=True).select_related("staff").first().staff
    [hit] = [p for p in search_staff(member.full_name).staff if p.username == member.username]
    assert hit.posts[0].department_label == "工務課（東部土木事務所）"

    client.login(username="admin", password="kiban-demo")
    body = client.get("/api/v1/staff", {"q": member.full_name}).json()
    [person] = [p for p in body["results"] if p["username"] == member.username]
    assert person["departments"][0]["name"] == "工務課"
    assert person["departments"][0]["label"] == "工務課（東部土木事務所）"
    html = client.get(f"/directory/staff/{member.username}/").content.decode()
    assert "工務課（東部土木事務所）" in html


def test_titles_rank_by_the_table_not_by_substring():
    order = [
        "部長",
        "次長",
        "課長",
        "副課長",
        "課長代理",
        "課長補佐",
        "主幹",
        "副主幹",
        "係長",
        "主査",
        "主任",
        "主事",
    ]
    ranks = [rank_for_title(t) for t in order]
    assert all(higher < lower for higher, lower in zip(ranks, ranks[1:], strict=False)), ranks
    assert rank_for_title("副課長") != rank_for_title("課長")
    assert rank_for_title("総務課長") == rank_for_title("課長")
    assert rank_for_title("総括課長補佐") == rank_for_title("課長補佐")
    assert rank_for_title("課長補佐兼係長") == rank_for_title("課長補佐")
    assert rank_for_title("副班長") > rank_for_title("主事")  # unknown deputy: not the 班長's rank


def test_no_team_headed_by_a_kakaricho_holds_someone_who_outranks_the_head(org_demo):
    kakaricho = rank_for_title("係長")
    teams = Department.objects.filter(name__endswith="係")
    assert teams.count() == 11
    outranking = Membership.objects.filter(department__in=teams, is_head=False, rank__lte=kakaricho)
    assert list(outranking.values_list("title", "department__name")) == []
    assert set(
        Membership.objects.filter(department__in=teams, is_head=True).values_list("title", flat=True)
    ) == {"係長"}
    assert Membership.objects.filter(title="課長補佐").exists()  # they are in the 課 instead
