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

from django.db.models import Count, FilteredRelation, Q
from django.utils.translation import gettext as _

from kiban.accounts.models import Staff
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


def _merged_tallies(survey: Survey):
    """The boxes' tallies added up: answered per question, counts per value, per section and value, texts."""
    answered: Counter = Counter()
    counts: dict[str, Counter] = defaultdict(Counter)
    sections: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    texts: dict[str, list[str]] = defaultdict(list)
    for box in ballots.tallies(survey):
        answered.update(box.get("n", {}))
        for key, by_value in box.get("c", {}).items():
            counts[key].update(by_value)
        for key, by_section in box.get("d", {}).items():
            for section, by_value in by_section.items():
                sections[key][section].update(by_value)
        for key, shown in box.get("t", {}).items():
            texts[key].extend(shown[: TEXT_SHOWN - len(texts[key])])
    return answered, counts, sections, texts


def compute(survey: Survey) -> Results:
    """Counts from the boxes' tallies (kept by kiban.surveys.ballots with every answer), not from the ballots:
    a few small JSON documents to add up, whatever the number of answers."""
    questions = list(survey.questions.all())
    totals = Recipient.objects.filter(survey=survey).aggregate(
        n=Count("pk"), done=Count("pk", filter=Q(answered=True))
    )
    answered, counts, sections, texts = _merged_tallies(survey)
    named = not survey.anonymous
    section_ids = {int(s) for key in sections for s in sections[key] if s} if named else set()
    rate_counts = _rate_counts(survey)
    names = _department_names(section_ids | set(rate_counts))  # one query for both
    results = []
    for q in questions:
        key = str(q.pk)
        r = QuestionResult(q, answered=answered[key])
        by_value = counts[key]
        if q.kind in ("single", "multiple"):
            r.counts = [(c, by_value[c]) for c in q.choices]
        elif q.kind == "scale":
            r.counts = [(str(v), by_value[str(v)]) for v in range(q.scale_min, q.scale_max + 1)]
            total = sum(int(v) * n for v, n in by_value.items())
            r.mean = round(total / r.answered, 2) if r.answered else None
        elif q.kind == "date":
            r.counts = sorted((v, n) for v, n in by_value.items() if n)
        else:
            r.texts = texts[key]
        if q.kind in ballots.BY_SECTION and named:
            values = [v for v, _n in r.counts]
            rows = [
                (int(s) if s else None, by_section)
                for s, by_section in sections[key].items()
                if any(by_section.values())
            ]
            r.by_department = [
                {
                    "department": {"id": d, "name": names.get(d, _("所属なし"))},
                    "counts": [(v, c[v]) for v in values],
                }
                for d, c in sorted(rows, key=lambda item: names.get(item[0], ""))
            ]
        results.append(r)
    return Results(survey, totals["n"], totals["done"], results, _rates(rate_counts, names))


def _rate_counts(survey: Survey) -> dict[int | None, tuple[int, int]]:
    """{primary section id: (asked, answered)} in one grouped query: recipients joined to their primary
    membership (one per person, a database constraint), so no subquery per recipient."""
    rows = (
        Recipient.objects.filter(survey=survey)
        .annotate(
            post=FilteredRelation("staff__memberships", condition=Q(staff__memberships__is_primary=True))
        )
        .values("post__department_id")
        .annotate(asked=Count("pk"), done=Count("pk", filter=Q(answered=True)))
        .order_by()
    )
    return {row["post__department_id"]: (row["asked"], row["done"]) for row in rows}


def _rates(counts: dict[int | None, tuple[int, int]], names: dict[int, str]) -> list[dict[str, Any]]:
    return [
        {"id": d, "name": names.get(d, _("所属なし")), "audience": counts[d][0], "answered": counts[d][1]}
        for d in sorted(counts, key=lambda d: names.get(d, ""))
    ]


def answer_rates(survey: Survey) -> list[dict[str, Any]]:
    """Per primary section: how many were asked and how many have answered."""
    counts = _rate_counts(survey)
    return _rates(counts, _department_names(counts))


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
