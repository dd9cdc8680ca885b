"""Same-named sections (工務課 in two 土木事務所) are told apart wherever people pick a department."""

from __future__ import annotations

import pytest

from kiban.accounts.tests.factories import PASSWORD
from kiban.org.queries import labelled_departments
from kiban.org.tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_koumu(org_tree):
    east = DepartmentFactory(code="510000", name="東部土木事務所", parent=org_tree["doboku"], order=2)
    west = DepartmentFactory(code="520000", name="西部土木事務所", parent=org_tree["doboku"], order=3)
    return (
        DepartmentFactory(code="510100", name="工務課", parent=east, order=1),
        DepartmentFactory(code="520100", name="工務課", parent=west, order=1),
    )


def test_only_shared_names_carry_their_parent(two_koumu, org_tree):
    labels = {d.pk: d.label for d in labelled_departments()}
    assert labels[two_koumu[0].pk] == "工務課（東部土木事務所）"
    assert labels[two_koumu[1].pk] == "工務課（西部土木事務所）"
    assert labels[org_tree["douro"].pk] == "道路課"
    assert labels[org_tree["soumu"].pk] == "総務部"


@pytest.mark.parametrize("path", ["/inquiries/new", "/surveys/new"])
def test_audience_checkboxes_tell_the_two_sections_apart(two_koumu, clerk, client, path):
    client.login(username="100002", password=PASSWORD)
    html = client.get(path).content.decode()
    assert "工務課（東部土木事務所）" in html
    assert "工務課（西部土木事務所）" in html


def test_survey_results_by_department_tell_the_two_sections_apart(two_koumu, clerk, client):
    from kiban.accounts.tests.factories import StaffFactory
    from kiban.org.tests.factories import MembershipFactory

    for number, section in enumerate(two_koumu):
        MembershipFactory(
            staff=StaffFactory(username=f"51000{number}"), department=section, title="主事", rank=80
        )
    client.login(username="100002", password=PASSWORD)
    created = client.post(
        "/api/v1/surveys",
        {
            "title": "出張の予定",
            "questions": [{"kind": "text", "text": "行き先"}],
            "audience": {"departments": [d.pk for d in two_koumu]},
            "anonymous": False,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    results = client.get(f"/api/v1/surveys/{created.json()['id']}/results").json()
    assert sorted(d["name"] for d in results["departments"]) == [
        "工務課（東部土木事務所）",
        "工務課（西部土木事務所）",
    ]
