"""REST API: me, staff search and profile, department tree and members, vCard; 401/404/400; query budgets."""

from __future__ import annotations

import pytest

from kiban.accounts.models import Staff
from kiban.accounts.tests.factories import StaffFactory
from kiban.org.tests.factories import DepartmentFactory, MembershipFactory

pytestmark = pytest.mark.django_db

CLERK = {
    "username": "100002",
    "family_name": "佐藤",
    "given_name": "花子",
    "family_name_kana": "サトウ",
    "given_name_kana": "ハナコ",
    "romaji": "Sato Hanako",
    "email": "100002@pref.example.lg.jp",
    "extension": "2102",
    "mobile": "",
    "title": "主事",
}


@pytest.fixture
def as_clerk(client, clerk):
    client.force_login(clerk)
    return client


@pytest.fixture
def as_admin(client, it_admin):
    client.force_login(it_admin)
    return client


def test_me_is_the_signed_in_person(as_clerk, org_tree):
    response = as_clerk.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json() == {
        **CLERK,
        "departments": [
            {
                "id": org_tree["jinji"].pk,
                "name": "人事課",
                "label": "人事課",
                "title": "主事",
                "primary": True,
            }
        ],
    }


def test_staff_detail_lists_primary_then_concurrent_posts(as_clerk, section_head, org_tree):
    MembershipFactory(staff=section_head, department=org_tree["joho"], title="兼務課長補佐", is_primary=False)
    response = as_clerk.get("/api/v1/staff/100001")
    assert response.status_code == 200
    assert response.json()["departments"] == [
        {"id": org_tree["jinji"].pk, "name": "人事課", "label": "人事課", "title": "課長", "primary": True},
        {
            "id": org_tree["joho"].pk,
            "name": "情報システム課",
            "label": "情報システム課",
            "title": "兼務課長補佐",
            "primary": False,
        },
    ]


def test_unknown_username_is_404(as_clerk):
    response = as_clerk.get("/api/v1/staff/999999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_retired_staff_is_404_for_others_but_visible_to_it_admin(client, clerk, other_clerk, it_admin):
    Staff.objects.filter(pk=other_clerk.pk).update(is_active=False)
    client.force_login(clerk)
    assert client.get("/api/v1/staff/500001").status_code == 404
    assert client.get("/api/v1/staff/500001.vcf").status_code == 404
    client.force_login(it_admin)
    assert client.get("/api/v1/staff/500001").status_code == 200


def test_anonymous_gets_401(client, clerk):
    for path in ["/api/v1/me", "/api/v1/staff?q=佐藤", "/api/v1/staff/100002", "/api/v1/departments"]:
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.json() == {"detail": "Authentication required."}


def test_bearer_token_is_accepted(client, clerk):
    from kiban.accounts.models import ApiToken
    from kiban.accounts.tokens import hash_token, new_token

    raw = new_token()
    ApiToken.objects.create(user=clerk, label="phone", token_hash=hash_token(raw), prefix=raw[:12])
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert response.json()["username"] == "100002"


def test_staff_search_by_kana_returns_contract_objects(as_clerk, section_head, other_clerk):
    response = as_clerk.get("/api/v1/staff", {"q": "ﾀｶﾊｼ"})
    assert response.status_code == 200
    body = response.json()
    assert body["more"] is False
    assert [p["username"] for p in body["results"]] == ["100001"]
    assert set(body["results"][0]) == {*CLERK, "departments"}


def test_staff_search_says_there_are_more(as_clerk, org_tree):
    for n in range(4):
        StaffFactory(username=f"60000{n}", family_name="山田", family_name_kana="ヤマダ")
    body = as_clerk.get("/api/v1/staff", {"q": "やまだ", "limit": 3}).json()
    assert len(body["results"]) == 3
    assert body["more"] is True


def test_staff_filtered_by_department_in_gojuon_order(as_clerk, section_head, other_clerk, org_tree):
    body = as_clerk.get("/api/v1/staff", {"department": org_tree["jinji"].pk}).json()
    assert [p["username"] for p in body["results"]] == ["100002", "100001"]  # さとう, たかはし


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"limit": "1000"}, "limit"),
        ({"department": "x"}, "department"),
        ({"department": "99999"}, "department"),
        ({"q": "あ" * 201}, "q"),
    ],
)
def test_bad_query_parameters_are_400_naming_the_field(as_clerk, params, field):
    response = as_clerk.get("/api/v1/staff", params)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{field}:")


def test_include_retired_is_for_it_admins_only(client, clerk, it_admin, other_clerk):
    Staff.objects.filter(pk=other_clerk.pk).update(is_active=False)
    client.force_login(clerk)
    response = client.get("/api/v1/staff", {"q": "わたなべ", "include_retired": "true"})
    assert response.status_code == 403
    assert client.get("/api/v1/staff", {"q": "わたなべ"}).json()["results"] == []
    client.force_login(it_admin)
    body = client.get("/api/v1/staff", {"q": "わたなべ", "include_retired": "true"}).json()
    assert [p["username"] for p in body["results"]] == ["500001"]


def test_department_tree_shape(as_clerk, org_tree):
    response = as_clerk.get("/api/v1/departments")
    assert response.status_code == 200
    t = org_tree
    assert response.json() == [
        {
            "id": t["soumu"].pk,
            "code": "100000",
            "name": "総務部",
            "parent": None,
            "children": [
                {
                    "id": t["jinji"].pk,
                    "code": "100100",
                    "name": "人事課",
                    "parent": t["soumu"].pk,
                    "children": [],
                },
                {
                    "id": t["joho"].pk,
                    "code": "100200",
                    "name": "情報システム課",
                    "parent": t["soumu"].pk,
                    "children": [],
                },
            ],
        },
        {
            "id": t["doboku"].pk,
            "code": "500000",
            "name": "土木部",
            "parent": None,
            "children": [
                {
                    "id": t["douro"].pk,
                    "code": "500100",
                    "name": "道路課",
                    "parent": t["doboku"].pk,
                    "children": [],
                },
            ],
        },
    ]


def test_department_members_heads_first_then_rank_then_gojuon(as_clerk, section_head, org_tree):
    jinji = org_tree["jinji"]
    for username, family, kana, rank in [
        ("300001", "宇野", "ウノ", 90),
        ("300002", "青木", "アオキ", 90),
        ("300003", "山口", "ヤマグチ", 50),
    ]:
        person = StaffFactory(username=username, family_name=family, family_name_kana=kana)
        MembershipFactory(staff=person, department=jinji, title="主事" if rank == 90 else "主査", rank=rank)
    response = as_clerk.get(f"/api/v1/departments/{jinji.pk}")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["code"], body["name"], body["parent"], body["children"]) == (
        jinji.pk,
        "100100",
        "人事課",
        org_tree["soumu"].pk,
        [],
    )
    assert [(m["staff"]["username"], m["title"], m["head"]) for m in body["members"]] == [
        ("100001", "課長", True),
        ("300003", "主査", False),
        ("300002", "主事", False),  # あおき
        ("300001", "主事", False),  # うの
        ("100002", "主事", False),  # さとう
    ]


def test_department_detail_lists_sub_departments(as_clerk, org_tree):
    body = as_clerk.get(f"/api/v1/departments/{org_tree['soumu'].pk}").json()
    assert [c["name"] for c in body["children"]] == ["人事課", "情報システム課"]


def test_unknown_and_retired_department_is_404(as_clerk, org_tree):
    assert as_clerk.get("/api/v1/departments/99999").status_code == 404
    org_tree["douro"].is_active = False
    org_tree["douro"].save()
    assert as_clerk.get(f"/api/v1/departments/{org_tree['douro'].pk}").status_code == 404
    assert as_clerk.get(f"/api/v1/departments/{org_tree['douro'].pk}.vcf").status_code == 404


# --- Query budgets: a list costs the same whatever its length -----------------------------------------
# Every signed-in request costs up to 4 queries before the endpoint runs (session, user, device-session
# touch); the first request of a session costs more, so each test warms up once.
SESSION = 4


def _many_members(department, n: int) -> None:
    other = DepartmentFactory(code="900000", name="兼務先")
    for i in range(n):
        person = StaffFactory(username=f"40{i:04d}", family_name="中島", family_name_kana="ナカジマ")
        MembershipFactory(staff=person, department=department, rank=90)
        MembershipFactory(staff=person, department=other, is_primary=False)


def test_staff_search_query_budget(as_clerk, org_tree, django_assert_max_num_queries):
    _many_members(org_tree["jinji"], 30)
    as_clerk.get("/api/v1/me")
    # search ids (prefix step, then contains step) + staff + memberships with departments
    with django_assert_max_num_queries(SESSION + 4):
        body = as_clerk.get("/api/v1/staff", {"q": "なかじま"}).json()
    assert len(body["results"]) == 30


def test_department_detail_query_budget(as_clerk, org_tree, django_assert_max_num_queries):
    _many_members(org_tree["jinji"], 30)
    as_clerk.get("/api/v1/me")
    # department + members + their memberships + sub-departments
    with django_assert_max_num_queries(SESSION + 4):
        body = as_clerk.get(f"/api/v1/departments/{org_tree['jinji'].pk}").json()
    assert len(body["members"]) == 31


def test_department_tree_query_budget(as_clerk, org_tree, django_assert_max_num_queries):
    for n in range(20):
        DepartmentFactory(code=f"77{n:04d}", name=f"係{n}", parent=org_tree["jinji"])
    as_clerk.get("/api/v1/me")
    with django_assert_max_num_queries(SESSION + 1):
        assert as_clerk.get("/api/v1/departments").status_code == 200


def test_department_vcard_query_budget(as_clerk, org_tree, django_assert_max_num_queries):
    _many_members(org_tree["jinji"], 30)
    as_clerk.get("/api/v1/me")
    # department + members + their memberships + all departments (for ORG)
    with django_assert_max_num_queries(SESSION + 4):
        response = as_clerk.get(f"/api/v1/departments/{org_tree['jinji'].pk}.vcf")
    assert response.content.decode().count("BEGIN:VCARD") == 31
