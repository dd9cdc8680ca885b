"""Organisation questions in one place (org.queries): a person's sections with 兼務, a section's head, the chain
of heads upward, a department's subtree and everyone in it — with 兼務 and nested sections."""

from __future__ import annotations

import pytest

from kiban.accounts.tests.factories import StaffFactory
from kiban.org import queries
from kiban.org.tests.factories import DepartmentFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def kakari(org_tree):
    """人事課 › 給与係 (a nested section) with its own head (係長)."""
    return DepartmentFactory(code="100110", name="給与係", parent=org_tree["jinji"], order=1)


@pytest.fixture
def bucho(org_tree):
    """総務部長: head of the top level."""
    person = StaffFactory(username="100000", family_name="山本", given_name="部長")
    MembershipFactory(staff=person, department=org_tree["soumu"], title="部長", is_head=True, rank=1)
    return person


@pytest.fixture
def kengmu(org_tree, kakari, other_clerk):
    """道路課の主任 who also serves (兼務) in 給与係."""
    MembershipFactory(staff=other_clerk, department=kakari, title="主任", is_primary=False, rank=50)
    return other_clerk


def test_sections_of_a_person_list_the_primary_post_first_then_each_kengmu(org_tree, kakari, kengmu):
    posts = queries.sections_of(kengmu)
    assert [(m.department.name, m.is_primary) for m in posts] == [("道路課", True), ("給与係", False)]
    assert queries.section_ids_of(kengmu) == {org_tree["douro"].pk, kakari.pk}
    assert queries.is_member_of(kengmu, kakari.pk) is True
    # Belonging to 給与係 is not belonging to 人事課 above it.
    assert queries.is_member_of(kengmu, org_tree["jinji"].pk) is False


def test_heads_of_a_section_and_only_active_ones(org_tree, section_head, clerk):
    assert queries.heads_of(org_tree["jinji"]) == [section_head]
    section_head.is_active = False
    section_head.save(update_fields=["is_active"])
    assert queries.heads_of(org_tree["jinji"]) == []


def test_head_chain_runs_upward_from_a_nested_section_with_empty_levels_kept(
    org_tree, kakari, section_head, bucho
):
    kakaricho = StaffFactory(username="100110", family_name="伊藤", given_name="係長")
    MembershipFactory(staff=kakaricho, department=kakari, title="係長", is_head=True, rank=30)
    chain = queries.head_chain(kakari)
    assert [(d.name, [p.username for p in heads]) for d, heads in chain] == [
        ("給与係", ["100110"]),
        ("人事課", ["100001"]),
        ("総務部", ["100000"]),
    ]
    assert [(d.name, heads) for d, heads in queries.head_chain(org_tree["douro"])] == [
        ("道路課", []),
        ("土木部", []),
    ]


def test_a_kengmu_head_heads_the_section_it_serves(org_tree, kakari, other_clerk):
    MembershipFactory(
        staff=other_clerk, department=kakari, title="係長事務取扱", is_primary=False, is_head=True
    )
    assert queries.heads_of(kakari) == [other_clerk]
    assert queries.head_chain(kakari)[0][1] == [other_clerk]


def test_subtree_holds_every_nested_department_and_no_other(org_tree, kakari):
    retired = DepartmentFactory(code="100120", name="旧係", parent=org_tree["jinji"], is_active=False)
    assert queries.subtree_ids(org_tree["soumu"]) == {
        org_tree["soumu"].pk, org_tree["jinji"].pk, org_tree["joho"].pk, kakari.pk,
    }  # fmt: skip
    assert queries.subtree_ids(org_tree["jinji"], include_inactive=True) == {
        org_tree["jinji"].pk, kakari.pk, retired.pk,
    }  # fmt: skip
    assert queries.subtree_ids(kakari) == {kakari.pk}


def test_everyone_in_a_subtree_includes_kengmu_members_once(
    org_tree, kakari, kengmu, section_head, clerk, it_admin
):
    assert queries.subtree_member_ids(org_tree["soumu"]) == {
        section_head.pk,
        clerk.pk,
        it_admin.pk,
        kengmu.pk,
    }
    assert queries.subtree_member_ids(org_tree["doboku"]) == {kengmu.pk}
    assert queries.member_ids(org_tree["jinji"].pk) == [section_head.pk, clerk.pk]
    clerk.is_active = False
    clerk.save(update_fields=["is_active"])
    assert clerk.pk not in queries.subtree_member_ids(org_tree["soumu"])
    assert clerk.pk in queries.subtree_member_ids(org_tree["soumu"], include_retired=True)
