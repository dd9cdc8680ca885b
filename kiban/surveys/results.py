"""A survey's results: counts per choice, scale and date, free-text answers, answer rates per section, and
(named surveys only) choices per section; CSV (UTF-8 with BOM, as Excel opens it) and Excel exports.

Anonymous surveys get no per-section breakdown of answers: the section would be stored with the ballot,
and in a small section it names the person. Answer *rates* per section come from `Recipient`, which only
says who has answered, never what.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from kiban.accounts.models import Staff
from kiban.org.models import Membership
from kiban.org.queries import department_labels
from kiban.surveys import ballots
from kiban.surveys.models import Question, Recipient, Survey

TEXT_SHOWN = 500  # free-text answers listed per question in the results view (all are in the exports)


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    counts: list[tuple[str, int]] = field(default_factory=list)
    mean: float | None = None
    texts: list[str] = field(default_factory=list)
    by_department: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Results:
    survey: Survey
    audience: int
    answered: int
    questions: list[QuestionResult]
    departments: list[dict[str, Any]]


def _department_names(ids) -> dict[int, str]:
    """Names as people read them: a shared name (工務課) carries its parent (`org.queries.department_label`)."""
    return department_labels([i for i in ids if i])


def compute(survey: Survey) -> Results:
    questions = list(survey.questions.all())
    all_ballots = list(ballots.all_ballots(survey))
    totals = Recipient.objects.filter(survey=survey).aggregate(
        n=Count("pk"), done=Count("pk", filter=Q(answered=True))
    )
    by_q: dict[int, Counter] = {q.pk: Counter() for q in questions}
    texts: dict[int, list[str]] = defaultdict(list)
    answered: Counter = Counter()
    dept_counts: dict[int, dict[Any, Counter]] = {q.pk: defaultdict(Counter) for q in questions}
    named = not survey.anonymous
    plan = [(str(q.pk), q.pk, q.kind) for q in questions]
    for ballot in all_ballots:
        answers = ballot["a"]
        dept = ballot.get("d")
        for key, pk, kind in plan:
            value = answers.get(key)
            if value is None:
                continue
            answered[pk] += 1
            if kind == "multiple":
                by_q[pk].update(value)
                if named:
                    dept_counts[pk][dept].update(value)
            elif kind == "text":
                texts[pk].append(value)
            else:
                by_q[pk][value] += 1
                if named and kind != "date":
                    dept_counts[pk][dept][value] += 1
    names = _department_names({d for counts in dept_counts.values() for d in counts})
    results = []
    for q in questions:
        r = QuestionResult(q, answered=answered[q.pk])
        if q.kind in ("single", "multiple"):
            r.counts = [(c, by_q[q.pk][c]) for c in q.choices]
        elif q.kind == "scale":
            r.counts = [(str(v), by_q[q.pk][v]) for v in range(q.scale_min, q.scale_max + 1)]
            total = sum(v * n for v, n in by_q[q.pk].items())
            r.mean = round(total / answered[q.pk], 2) if answered[q.pk] else None
        elif q.kind == "date":
            r.counts = sorted(by_q[q.pk].items())
        else:
            r.texts = texts[q.pk]
        if q.kind in ("single", "multiple", "scale") and not survey.anonymous:
            keys = [c for c, _n in r.counts]
            r.by_department = [
                {
                    "department": {"id": d, "name": names.get(d, _("所属なし"))},
                    "counts": [(k, c[k if q.kind != "scale" else int(k)]) for k in keys],
                }
                for d, c in sorted(dept_counts[q.pk].items(), key=lambda item: names.get(item[0], ""))
            ]
        results.append(r)
    return Results(survey, totals["n"], totals["done"], results, answer_rates(survey))


def answer_rates(survey: Survey) -> list[dict[str, Any]]:
    """Per primary section: how many were asked and how many have answered — counted by the database in
    one grouped query (a list of 5,000 ids as parameters cost more than the whole count)."""

    primary = Membership.objects.filter(staff_id=OuterRef("staff_id"), is_primary=True).values(
        "department_id"
    )[:1]
    rows = (
        Recipient.objects.filter(survey=survey)
        .annotate(dept=Subquery(primary))
        .values("dept")
        .annotate(asked=Count("pk"), done=Count("pk", filter=Q(answered=True)))
    )
    counts = {row["dept"]: (row["asked"], row["done"]) for row in rows}
    names = _department_names(counts)
    return [
        {"id": d, "name": names.get(d, _("所属なし")), "audience": counts[d][0], "answered": counts[d][1]}
        for d in sorted(counts, key=lambda d: names.get(d, ""))
    ]


def as_json(results: Results) -> dict[str, Any]:
    return {
        "survey": results.survey.pk,
        "anonymous": results.survey.anonymous,
        "audience": results.audience,
        "answered": results.answered,
        "questions": [
            {
                "id": r.question.pk,
                "kind": r.question.kind,
                "text": r.question.text,
                "answered": r.answered,
                "counts": [{"value": v, "count": n} for v, n in r.counts],
                "mean": r.mean,
                "texts": r.texts[:TEXT_SHOWN],
                "by_department": [
                    {
                        "department": row["department"],
                        "counts": [{"value": v, "count": n} for v, n in row["counts"]],
                    }
                    for row in r.by_department
                ],
            }
            for r in results.questions
        ],
        "departments": results.departments,
    }


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "、".join(value)
    return str(value)


def export_rows(survey: Survey) -> tuple[list[str], list[list[str]]]:
    """Header and one row per answer. Named surveys show the person's name and section (never their staff
    number); anonymous ones only the answers, in no particular order."""

    questions = list(survey.questions.all())
    header = [q.text for q in questions]
    all_ballots = list(ballots.all_ballots(survey))
    rows = []
    if survey.anonymous:
        for b in all_ballots:
            rows.append([_cell(b["a"].get(str(q.pk))) for q in questions])
        return header, rows
    people = {s.pk: s for s in Staff.objects.filter(pk__in=[b.get("s") for b in all_ballots])}
    names = _department_names({b.get("d") for b in all_ballots})
    keyed = []
    for b in all_ballots:
        person = people.get(b.get("s"))
        section = names.get(b.get("d"), "")
        keyed.append(((section, getattr(person, "sort_key", "") or ""), [
            person.get_full_name() if person else "", section, *[_cell(b["a"].get(str(q.pk))) for q in questions]
        ]))  # fmt: skip
    rows = [row for _k, row in sorted(keyed, key=lambda item: item[0])]
    return [_("氏名"), _("所属"), *header], rows


def csv_bytes(survey: Survey) -> bytes:
    header, rows = export_rows(survey)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe_cell(c) for c in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _safe_cell(value: str) -> str:
    """Cells that a spreadsheet would take as a formula are prefixed (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def xlsx_bytes(survey: Survey) -> bytes:
    from openpyxl import Workbook

    results = compute(survey)
    header, rows = export_rows(survey)
    book = Workbook()
    summary = book.active
    summary.title = _("集計")
    summary.append([survey.title])
    summary.append([_("対象者"), results.audience, _("回答者"), results.answered])
    for r in results.questions:
        summary.append([])
        summary.append([r.question.text])
        for value, count in r.counts:
            summary.append([value, count])
        if r.mean is not None:
            summary.append([_("平均"), r.mean])
    sheet = book.create_sheet(_("回答一覧"))
    sheet.append(header)
    for row in rows:
        sheet.append([_safe_cell(c) for c in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
