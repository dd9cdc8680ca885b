"""Surveys: questions of every kind, audiences, answers validated, edits before the deadline, results and
exports, and anonymity that holds against someone reading the database."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.db import connection
from django.utils import timezone

from kiban.core.jobs import run_pending_jobs
from kiban.notifications.models import Notification
from kiban.surveys.models import BallotBox, Recipient, Survey

pytestmark = pytest.mark.django_db
J = "application/json"

QUESTIONS = [
    {
        "kind": "single",
        "text": "新しいチャットは使いやすいですか",
        "choices": ["はい", "いいえ"],
        "required": True,
    },
    {"kind": "multiple", "text": "よく使う機能", "choices": ["チャット", "予定表", "施設予約"]},
    {"kind": "scale", "text": "満足度", "scale_min": 1, "scale_max": 5},
    {"kind": "text", "text": "ご意見"},
    {"kind": "date", "text": "研修の希望日"},
]


def create(client, **overrides):
    body = {
        "title": "業務ツール利用アンケート",
        "questions": QUESTIONS,
        "audience": {"all": True},
        **overrides,
    }
    response = client.post("/api/v1/surveys", body, content_type=J)
    assert response.status_code == 201, response.content
    return response.json()


def answers_for(survey, single="はい", multiple=("チャット",), scale=4, text="", date=None):
    q = [question["id"] for question in survey["questions"]]
    rows = [
        {"question": q[0], "value": single},
        {"question": q[1], "value": list(multiple)},
        {"question": q[2], "value": scale},
    ]
    if text:
        rows.append({"question": q[3], "value": text})
    if date:
        rows.append({"question": q[4], "value": date})
    return {"answers": rows}


def test_create_echoes_questions_with_ids_and_reaches_the_audience(
    client, section_head, clerk, other_clerk, it_admin, org_tree, django_capture_on_commit_callbacks
):
    client.force_login(section_head)
    with django_capture_on_commit_callbacks(execute=True):
        survey = create(
            client,
            audience={"departments": [org_tree["soumu"].pk]},
            deadline=(timezone.now() + dt.timedelta(days=7)).isoformat(),
        )
    assert [(q["kind"], q["text"], q["required"]) for q in survey["questions"]] == [
        (q["kind"], q["text"], q.get("required", False)) for q in QUESTIONS
    ]
    assert all(isinstance(q["id"], int) for q in survey["questions"])
    # 総務部 with its sub-departments: 人事課 (head, clerk) and 情報システム課 (IT admin); not 道路課.
    assert set(Recipient.objects.filter(survey_id=survey["id"]).values_list("staff__username", flat=True)) == {
        section_head.username, clerk.username, it_admin.username,
    }  # fmt: skip
    run_pending_jobs()
    assert set(Notification.objects.filter(kind="surveys.new").values_list("recipient__username", flat=True)) == {
        clerk.username, it_admin.username,
    }  # fmt: skip
    client.force_login(other_clerk)
    assert client.get(f"/api/v1/surveys/{survey['id']}").status_code == 404
    assert (
        client.post(
            f"/api/v1/surveys/{survey['id']}/answers", answers_for(survey), content_type=J
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"questions": []}, "questions"),
        ({"questions": [{"kind": "poll", "text": "x"}]}, "questions.0.kind"),
        ({"questions": [{"kind": "single", "text": "x", "choices": ["a"]}]}, "questions.0.choices"),
        ({"questions": [{"kind": "single", "text": "x", "choices": ["a", "a"]}]}, "questions.0.choices"),
        ({"audience": {"departments": [999999]}}, "audience.departments"),
        ({"audience": {"people": ["nobody"]}}, "audience.people"),
        ({"audience": {"all": True, "people": ["x"]}}, "audience"),
        ({"deadline": "2000-01-01T00:00:00+09:00"}, "deadline"),
    ],
)
def test_bad_surveys_are_refused_naming_the_field(client, section_head, change, field):
    client.force_login(section_head)
    body = {"title": "t", "questions": QUESTIONS, "audience": {"all": True}, **change}
    response = client.post("/api/v1/surveys", body, content_type=J)
    assert response.status_code == 400
    assert response.json()["detail"].split(":")[0] == field
    assert Survey.objects.count() == 0


def test_answers_are_validated_and_replaced_before_the_deadline(client, section_head, clerk):
    client.force_login(section_head)
    survey = create(client)
    client.force_login(clerk)
    url = f"/api/v1/surveys/{survey['id']}/answers"
    outside = client.post(url, answers_for(survey, single="たぶん"), content_type=J)
    assert (outside.status_code, outside.json()["detail"].split(":")[0]) == (400, "answers.0.value")
    missing = client.post(
        url, {"answers": [{"question": survey["questions"][2]["id"], "value": 3}]}, content_type=J
    )
    assert (missing.status_code, missing.json()["detail"].split(":")[0]) == (400, "answers")
    assert client.post(url, answers_for(survey, scale=9), content_type=J).status_code == 400
    assert client.post(url, answers_for(survey, date="2026-13-01"), content_type=J).status_code == 400
    assert not Recipient.objects.get(survey_id=survey["id"], staff=clerk).answered
    first = client.post(url, answers_for(survey, date="2027-01-15"), content_type=J)
    assert (first.status_code, first.json()) == (201, {"survey": survey["id"], "edit_key": None})
    again = client.post(url, answers_for(survey, single="いいえ"), content_type=J)
    assert again.status_code == 200
    mine = client.get(f"/api/v1/surveys/{survey['id']}").json()
    assert (mine["answered"], mine["answers"][str(survey["questions"][0]["id"])]) == (True, "いいえ")
    assert sum(BallotBox.objects.filter(survey_id=survey["id"]).values_list("count", flat=True)) == 1


def test_no_answer_after_the_deadline(client, section_head, clerk):
    client.force_login(section_head)
    survey = create(client, deadline=(timezone.now() + dt.timedelta(hours=1)).isoformat())
    Survey.objects.filter(pk=survey["id"]).update(deadline=timezone.now() - dt.timedelta(minutes=1))
    client.force_login(clerk)
    response = client.post(f"/api/v1/surveys/{survey['id']}/answers", answers_for(survey), content_type=J)
    assert response.status_code == 409
    assert sum(BallotBox.objects.values_list("count", flat=True)) == 0


def test_results_counts_rates_and_exports(client, section_head, clerk, other_clerk, it_admin):
    client.force_login(section_head)
    survey = create(client)
    for person, single, multiple, scale in [
        (clerk, "はい", ["チャット", "予定表"], 5),
        (other_clerk, "いいえ", ["チャット"], 2),
        (it_admin, "はい", [], 4),
    ]:
        client.force_login(person)
        assert (
            client.post(
                f"/api/v1/surveys/{survey['id']}/answers",
                answers_for(survey, single, multiple, scale, text="=1+1"),
                content_type=J,
            ).status_code
            == 201
        )
    client.force_login(clerk)
    assert client.get(f"/api/v1/surveys/{survey['id']}/results").status_code == 403
    client.force_login(section_head)
    res = client.get(f"/api/v1/surveys/{survey['id']}/results").json()
    assert (res["audience"], res["answered"]) == (4, 3)
    q = res["questions"]
    assert q[0]["counts"] == [{"value": "はい", "count": 2}, {"value": "いいえ", "count": 1}]
    assert q[1]["counts"] == [
        {"value": "チャット", "count": 2},
        {"value": "予定表", "count": 1},
        {"value": "施設予約", "count": 0},
    ]
    assert (q[2]["mean"], [c["count"] for c in q[2]["counts"]]) == (3.67, [0, 1, 0, 1, 1])
    assert q[3]["texts"] == ["=1+1"] * 3
    by_dept = {row["department"]["name"]: row["counts"] for row in q[0]["by_department"]}
    assert by_dept == {
        "人事課": [{"value": "はい", "count": 1}, {"value": "いいえ", "count": 0}],
        "情報システム課": [{"value": "はい", "count": 1}, {"value": "いいえ", "count": 0}],
        "道路課": [{"value": "はい", "count": 0}, {"value": "いいえ", "count": 1}],
    }
    rates = {d["name"]: (d["audience"], d["answered"]) for d in res["departments"]}
    assert rates == {"人事課": (2, 1), "情報システム課": (1, 1), "道路課": (1, 1)}
    exported = client.get(f"/api/v1/surveys/{survey['id']}/results.csv")
    assert exported.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0] == ["氏名", "所属", *[q["text"] for q in QUESTIONS]]
    assert sorted(r[0] for r in rows[1:]) == sorted(p.get_full_name() for p in (clerk, other_clerk, it_admin))
    assert {r[5] for r in rows[1:]} == {"'=1+1"}  # not a formula in Excel
    assert "チャット、予定表" in {r[3] for r in rows[1:]}
    workbook = client.get(f"/api/v1/surveys/{survey['id']}/results.xlsx")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(workbook.content))
    assert book.sheetnames == ["集計", "回答一覧"]
    assert book["回答一覧"].max_row == 4


def test_anonymous_answers_cannot_be_linked_to_people_even_reading_the_database(
    client, section_head, clerk, other_clerk, it_admin
):
    client.force_login(section_head)
    survey = create(client, anonymous=True)
    keys = {}
    for person, single in [(clerk, "はい"), (other_clerk, "いいえ"), (it_admin, "はい")]:
        client.force_login(person)
        response = client.post(
            f"/api/v1/surveys/{survey['id']}/answers",
            answers_for(survey, single, text="匿名の意見"),
            content_type=J,
        )
        assert response.status_code == 201
        keys[person.username] = response.json()["edit_key"]
        assert len(keys[person.username]) >= 40
    # What an administrator with database access finds: who answered (for reminders)…
    recipient_columns = {f.column for f in Recipient._meta.concrete_fields}
    assert recipient_columns == {"id", "survey_id", "staff_id", "answered"}
    # …and ballots with answers only: no person, no section, no time, no id, no edit key in clear.
    stored = [
        json.loads(t)
        for t in BallotBox.objects.filter(survey_id=survey["id"]).values_list("ballots", flat=True)
    ]
    ballots = [b for box in stored for b in box]
    assert len(ballots) == 3
    people_ids = {str(p.pk) for p in (clerk, other_clerk, it_admin)}
    for ballot in ballots:
        assert set(ballot) == {"a", "k"}
        assert ballot["k"] not in keys.values()
        text = json.dumps(ballot, ensure_ascii=False)
        assert not any(
            p.username in text or p.get_full_name() in text for p in (clerk, other_clerk, it_admin)
        )
        assert not people_ids & {v for v in ballot["a"].values() if isinstance(v, str)}
    # No table of the survey app has a timestamp column an answer would touch.
    with connection.cursor() as cursor:
        columns = [
            c.name for c in connection.introspection.get_table_description(cursor, BallotBox._meta.db_table)
        ]
    assert sorted(columns) == ["ballots", "count", "id", "shard", "survey_id", "tally"]
    # The tallies count answers only: no section for an anonymous survey, no edit key.
    for text in BallotBox.objects.filter(survey_id=survey["id"]).values_list("tally", flat=True):
        box = json.loads(text)
        assert box.get("d", {}) == {}
        assert all(ballot["k"] not in text for ballot in ballots)
    # The CSV has no names for an anonymous survey; results have no per-section answers.
    client.force_login(section_head)
    rows = list(
        csv.reader(
            io.StringIO(client.get(f"/api/v1/surveys/{survey['id']}/results.csv").content.decode("utf-8-sig"))
        )
    )
    assert rows[0] == [q["text"] for q in QUESTIONS]
    assert client.get(f"/api/v1/surveys/{survey['id']}/results").json()["questions"][0]["by_department"] == []
    # The audit log records the survey's creation, not who answered.
    from kiban.core.models import AuditEntry

    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["surveys.create"]
    # Changing an anonymous answer needs the key only the person's browser holds.
    client.force_login(clerk)
    url = f"/api/v1/surveys/{survey['id']}/answers"
    assert client.post(url, answers_for(survey, "いいえ"), content_type=J).status_code == 409
    assert (
        client.post(
            url, {**answers_for(survey, "いいえ"), "edit_key": keys[other_clerk.username]}, content_type=J
        ).status_code
        == 409
    )
    assert (
        client.post(
            url, {**answers_for(survey, "いいえ"), "edit_key": keys[clerk.username]}, content_type=J
        ).status_code
        == 200
    )
    client.force_login(section_head)
    counts = client.get(f"/api/v1/surveys/{survey['id']}/results").json()["questions"][0]["counts"]
    assert counts == [{"value": "はい", "count": 1}, {"value": "いいえ", "count": 2}]


@pytest.mark.django_db(transaction=True)
def test_concurrent_answers_are_all_kept(section_head, clerk, other_clerk, it_admin):
    """Real threads answering at once: every ballot lands (box row locks), each person once."""
    import threading

    from django.test import Client

    from kiban.surveys import actions

    survey = actions.do_create_survey(
        section_head, title="t", questions=QUESTIONS, audience_spec={"all": True}, anonymous=True
    )
    body = answers_for({"questions": [{"id": q.pk} for q in survey.questions.all()]})
    barrier = threading.Barrier(8)
    statuses = []

    def send(person):
        c = Client()
        c.force_login(person)
        barrier.wait()
        try:
            statuses.append(c.post(f"/api/v1/surveys/{survey.pk}/answers", body, content_type=J).status_code)
        finally:
            connection.close()

    people = [section_head, clerk, other_clerk, it_admin] * 2
    threads = [threading.Thread(target=send, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201] * 4 + [409] * 4
    assert sum(BallotBox.objects.filter(survey=survey).values_list("count", flat=True)) == 4
    assert Recipient.objects.filter(survey=survey, answered=True).count() == 4


def test_reminders_reach_only_those_who_have_not_answered(
    client, section_head, clerk, other_clerk, django_capture_on_commit_callbacks
):
    from kiban.surveys.jobs import remind_before_deadlines

    client.force_login(section_head)
    survey = create(client, deadline=(timezone.now() + dt.timedelta(hours=20)).isoformat())
    client.force_login(clerk)
    client.post(f"/api/v1/surveys/{survey['id']}/answers", answers_for(survey), content_type=J)
    Notification.objects.all().delete()
    assert remind_before_deadlines.func() == {"surveys": 1, "inquiries": 0}
    assert remind_before_deadlines.func() == {"surveys": 0, "inquiries": 0}
    reminded = set(
        Notification.objects.filter(kind="surveys.reminder").values_list("recipient__username", flat=True)
    )
    assert clerk.username not in reminded and other_clerk.username in reminded


def test_portal_query_lists_open_unanswered_surveys(client, section_head, clerk):
    from kiban.surveys.queries import surveys_to_answer

    client.force_login(section_head)
    first = create(client, title="一つ目")
    second = create(client, title="二つ目")
    client.force_login(clerk)
    client.post(f"/api/v1/surveys/{first['id']}/answers", answers_for(first), content_type=J)
    assert [s.title for s in surveys_to_answer(clerk)] == ["二つ目"]
    client.force_login(section_head)
    client.post(f"/api/v1/surveys/{second['id']}/close")
    assert surveys_to_answer(clerk) == []
