"""Results come from the ballot boxes' tallies; after concurrent answers and edits they equal a recount of
the ballots themselves (the oracle below reads every ballot, as results did before the tallies)."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from kiban.accounts.tests.factories import StaffFactory
from kiban.core.testing import run_at_once as _run_at_once
from kiban.org.tests.factories import MembershipFactory
from kiban.surveys import actions, ballots, results
from kiban.surveys.models import BallotBox

QUESTIONS = [
    {"kind": "single", "text": "使いやすいですか", "choices": ["はい", "いいえ", "どちらでもない"]},
    {"kind": "multiple", "text": "よく使う機能", "choices": ["チャット", "予定表", "施設予約"]},
    {"kind": "scale", "text": "満足度", "scale_min": 1, "scale_max": 5},
    {"kind": "text", "text": "ご意見"},
    {"kind": "date", "text": "研修の希望日"},
]
SINGLE = ["はい", "いいえ", "どちらでもない"]
MULTIPLE = [[], ["チャット"], ["予定表", "施設予約"], ["チャット", "予定表", "施設予約"]]
DATES = ["2027-01-12", "2027-01-13"]


def _answers(survey, n: int) -> dict:
    q = [question.pk for question in survey.questions.order_by("order")]
    rows = [
        {"question": q[0], "value": SINGLE[n % 3]},
        {"question": q[1], "value": MULTIPLE[n % 4]},
        {"question": q[2], "value": 1 + n % 5},
        {"question": q[4], "value": DATES[n % 2]},
    ]
    if n % 2:
        rows.append({"question": q[3], "value": f"意見その{n}"})
    return rows


def _recount(survey) -> dict:
    """What the results must say, counted from every ballot."""
    kinds = {str(q.pk): q.kind for q in survey.questions.all()}
    answered: Counter = Counter()
    counts: dict[str, Counter] = defaultdict(Counter)
    sections: dict[str, dict] = defaultdict(lambda: defaultdict(Counter))
    texts: dict[str, list] = defaultdict(list)
    for ballot in ballots.all_ballots(survey):
        for key, value in ballot["a"].items():
            answered[key] += 1
            if kinds[key] == "text":
                texts[key].append(value)
                continue
            values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
            counts[key].update(values)
            if "s" in ballot and kinds[key] != "date":
                sections[key][ballot.get("d")].update(values)
    return {"answered": answered, "counts": counts, "sections": sections, "texts": texts}


def _assert_results_equal_recount(survey) -> None:
    computed = results.compute(survey)
    expected = _recount(survey)
    for r in computed.questions:
        key = str(r.question.pk)
        assert r.answered == expected["answered"][key]
        if r.question.kind == "text":
            assert sorted(r.texts) == sorted(expected["texts"][key])
            continue
        assert {v: n for v, n in r.counts if n} == {v: n for v, n in expected["counts"][key].items() if n}
        if not survey.anonymous and r.question.kind != "date":
            got = {row["department"]["id"]: {v: n for v, n in row["counts"] if n} for row in r.by_department}
            want = {d: {v: n for v, n in c.items() if n} for d, c in expected["sections"][key].items()}
            assert got == {d: c for d, c in want.items() if c}
        else:
            assert r.by_department == []


@pytest.mark.parametrize("anonymous", [False, True], ids=["named", "anonymous"])
@pytest.mark.django_db(transaction=True)
def test_results_equal_a_recount_after_concurrent_answers_and_edits(org_tree, anonymous):
    people = []
    for i in range(12):
        person = StaffFactory()
        MembershipFactory(staff=person, department=org_tree["jinji" if i % 3 else "douro"], is_primary=True)
        people.append(person)
    survey = actions.do_create_survey(
        people[0], title="業務ツール", questions=QUESTIONS, audience_spec={"all": True}, anonymous=anonymous
    )
    keys: dict[int, str | None] = {}

    def answer(i, person, n):
        def fn():
            created, key = actions.do_answer(person, survey, _answers(survey, n))
            assert created
            keys[i] = key

        return fn

    assert _run_at_once([answer(i, p, i) for i, p in enumerate(people)]) == []
    assert sum(BallotBox.objects.filter(survey=survey).values_list("count", flat=True)) == 12
    _assert_results_equal_recount(survey)

    # Half of them change their answers at once, while the others answer nothing new.
    def edit(i, person):
        def fn():
            created, _key = actions.do_answer(person, survey, _answers(survey, i + 7), edit_key=keys[i])
            assert not created

        return fn

    assert _run_at_once([edit(i, p) for i, p in enumerate(people) if i % 2 == 0]) == []
    assert sum(BallotBox.objects.filter(survey=survey).values_list("count", flat=True)) == 12
    _assert_results_equal_recount(survey)

    # And the exact figures: person i answered with n = i + 7 if i is even, else n = i.
    ns = [i + 7 if i % 2 == 0 else i for i in range(12)]
    computed = results.compute(survey)
    single = dict(computed.questions[0].counts)
    assert single == {c: sum(1 for n in ns if SINGLE[n % 3] == c) for c in SINGLE}
    scale = computed.questions[2]
    assert scale.mean == round(sum(1 + n % 5 for n in ns) / 12, 2)
    assert sorted(computed.questions[3].texts) == sorted(f"意見その{n}" for n in ns if n % 2)
    if not anonymous:
        by_section = {
            row["department"]["name"]: dict(row["counts"]) for row in computed.questions[0].by_department
        }
        douro = [n for i, n in enumerate(ns) if i % 3 == 0]
        assert by_section["道路課"] == {c: sum(1 for n in douro if SINGLE[n % 3] == c) for c in SINGLE}
