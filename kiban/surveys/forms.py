"""The survey form without script: a fixed number of question rows, with a button that adds one more."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

DEFAULT_ROWS = 3
MAX_ROWS = 100


def question_rows(data) -> list[dict]:
    count = min(MAX_ROWS, max(DEFAULT_ROWS, int(data.get("rows") or DEFAULT_ROWS)))
    rows = []
    for i in range(count):
        rows.append({
            "index": i,
            "kind": data.get(f"q{i}_kind", "single"),
            "text": data.get(f"q{i}_text", ""),
            "choices": data.get(f"q{i}_choices", ""),
            "required": bool(data.get(f"q{i}_required")),
        })  # fmt: skip
    return rows


def questions_from(rows: list[dict]) -> list[dict]:
    """The API's question dicts from the filled rows (empty rows are skipped)."""
    out = []
    for row in rows:
        if not row["text"].strip():
            continue
        q = {"kind": row["kind"], "text": row["text"], "required": row["required"]}
        if row["kind"] in ("single", "multiple"):
            q["choices"] = [c.strip() for c in row["choices"].splitlines() if c.strip()]
        out.append(q)
    return out


def deadline_from(data) -> dt.datetime | None:
    """`deadline_date` (+ `deadline_time`, default 17:15, the end of the working day) in Asia/Tokyo."""
    day = data.get("deadline_date")
    if not day:
        return None
    try:
        date = dt.date.fromisoformat(day)
        time = dt.time.fromisoformat(data.get("deadline_time") or "17:15")
    except ValueError:
        return None
    return timezone.make_aware(dt.datetime.combine(date, time))


def answers_from(survey, data) -> list[dict]:
    """The API's answers from an answer form (`q<id>` fields; several for a multiple choice)."""
    answers = []
    for q in survey.questions.all():
        key = f"q{q.pk}"
        if q.kind == "multiple":
            value = data.getlist(key)
        elif q.kind == "scale":
            raw = data.get(key)
            value = int(raw) if raw and raw.lstrip("-").isdigit() else None
        else:
            value = data.get(key) or None
        answers.append({"question": q.pk, "value": value})
    return answers
