"""Thousands answering at once: one answer per person, stored once, counts exact (real threads, both
engines)."""

from __future__ import annotations

import pytest

from kiban.accounts.tests.factories import StaffFactory
from kiban.core.testing import run_at_once as _run_at_once
from kiban.org.tests.factories import MembershipFactory
from kiban.safety import actions, queries
from kiban.safety.models import SafetyCheck, Target

PEOPLE = 12


@pytest.mark.django_db(transaction=True)
def test_concurrent_answers_and_double_submits_store_one_answer_each(org_tree, it_admin):
    people = [StaffFactory() for _ in range(PEOPLE)]
    for person in people:
        MembershipFactory(staff=person, department=org_tree["douro"], title="主事")
    check = actions.do_start_check(it_admin, title="同時回答", departments=[org_tree["doboku"].pk])

    def answer(person, status):
        def fn():
            actions.do_answer(person, SafetyCheck.objects.get(pk=check.pk), status=status, can_work=True)

        return fn

    # Every person submits twice at the same moment (a double tap on a slow link), with different answers.
    work = [answer(p, "safe") for p in people] + [answer(p, "minor") for p in people]
    assert _run_at_once(work) == []

    rows = list(Target.objects.filter(safety_check=check).values_list("staff_id", "status"))
    assert sorted(r[0] for r in rows) == sorted(p.pk for p in people)
    assert all(status in ("safe", "minor") for _s, status in rows)
    summary = queries.summary(check)
    assert (summary.audience, summary.answered) == (PEOPLE, PEOPLE)
    assert summary.by_status["safe"] + summary.by_status["minor"] == PEOPLE
    douro = next(d for d in summary.departments if d.id == org_tree["douro"].pk)
    assert (douro.audience, douro.answered) == (PEOPLE, PEOPLE)


@pytest.mark.django_db(transaction=True)
def test_an_answer_racing_the_close_is_either_stored_before_it_or_refused(org_tree, it_admin, clerk):
    check = actions.do_start_check(it_admin, title="締切と回答", departments=[org_tree["jinji"].pk])
    outcome: list[str] = []

    def answer():
        try:
            actions.do_answer(clerk, SafetyCheck.objects.get(pk=check.pk), status="safe", can_work=True)
            outcome.append("stored")
        except actions.Closed:
            outcome.append("refused")

    def close():
        actions.do_close(it_admin, SafetyCheck.objects.get(pk=check.pk))

    assert _run_at_once([answer, close]) == []
    row = Target.objects.get(safety_check=check, staff=clerk)
    assert outcome in (["stored"], ["refused"])
    assert row.status == ("safe" if outcome == ["stored"] else "")
    assert SafetyCheck.objects.get(pk=check.pk).closed_at is not None
