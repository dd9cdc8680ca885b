"""Safety checks over the API: start, answer and correct, proxy answers, the summary with sub-departments,
closing, permissions and bad input."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from kiban.core.jobs import run_pending_jobs
from kiban.core.models import AuditEntry, OutgoingEmail
from kiban.notifications.models import Notification
from kiban.org.tests.factories import DepartmentFactory, MembershipFactory
from kiban.realtime.testing import capture_events
from kiban.safety import jobs
from kiban.safety.models import SafetyCheck, Target

pytestmark = pytest.mark.django_db
J = "application/json"


def start(client, **body):
    response = client.post("/api/v1/safety/checks", {"title": "震度6弱の地震", **body}, content_type=J)
    assert response.status_code == 201, response.content
    return response.json()


def answer(client, check_id, **body):
    return client.post(f"/api/v1/safety/checks/{check_id}/answer", {"status": "safe", "can_work": True, **body},
                       content_type=J)  # fmt: skip


@pytest.fixture
def people(section_head, clerk, other_clerk, it_admin):
    return {"head": section_head, "clerk": clerk, "other": other_clerk, "admin": it_admin}


def test_an_it_administrator_starts_a_check_for_all_staff_and_everyone_is_told(
    client, people, django_capture_on_commit_callbacks
):
    client.force_login(people["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        check = start(client, message="身の安全を確保してください。")
    assert check["audience"] == {"all": True}
    assert check["open"] is True and check["asked"] is True and check["answer"] is None
    assert set(Target.objects.filter(safety_check_id=check["id"]).values_list("staff__username", flat=True)) == {
        "100001", "100002", "500001", "100009",
    }  # fmt: skip
    assert run_pending_jobs() >= 1
    notified = set(
        Notification.objects.filter(kind="safety.check").values_list("recipient__username", flat=True)
    )
    assert notified == {"100001", "100002", "500001"}  # not the one who started it
    mails = OutgoingEmail.objects.filter(subject__contains="震度6弱の地震")
    assert mails.count() == 4
    assert f"/safety/{check['id']}/" in mails.first().body
    assert AuditEntry.objects.filter(action="safety.start", target_id=str(check["id"])).count() == 1
    # The announcement is claimed once: running it again sends nothing twice.
    assert jobs.announce_check.func(check["id"]) == 0
    assert OutgoingEmail.objects.filter(subject__contains="震度6弱の地震").count() == 4


def test_a_clerk_cannot_start_a_check_but_a_bousai_member_can(client, people):
    client.force_login(people["clerk"])
    response = client.post("/api/v1/safety/checks", {"title": "地震"}, content_type=J)
    assert response.status_code == 403
    assert not SafetyCheck.objects.exists()
    Group.objects.get(name="防災担当").user_set.add(people["clerk"])
    client.force_login(type(people["clerk"]).objects.get(pk=people["clerk"].pk))
    assert start(client)["title"] == "震度6弱の地震"


def test_chosen_departments_include_sub_departments_and_kenmu(client, people, org_tree):
    kakari = DepartmentFactory(code="100110", name="人事係", parent=org_tree["jinji"], order=1)
    MembershipFactory(staff=people["other"], department=kakari, is_primary=False, title="兼務")
    client.force_login(people["admin"])
    check = start(client, departments=[org_tree["soumu"].pk])
    rows = dict(
        Target.objects.filter(safety_check_id=check["id"]).values_list("staff__username", "department_id")
    )
    assert rows == {
        "100001": org_tree["jinji"].pk,
        "100002": org_tree["jinji"].pk,
        "100009": org_tree["joho"].pk,
        "500001": kakari.pk,  # counted under the 兼務 that put him in the audience
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"departments": [999999]}, "departments"),
        ({"departments": "all"}, "departments"),
        ({"template": 424242}, "template"),
    ],
)
def test_bad_input_to_start_is_400_naming_the_field(client, people, body, field):
    client.force_login(people["admin"])
    response = client.post("/api/v1/safety/checks", {"title": "地震", **body}, content_type=J)
    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith(field)
    assert not SafetyCheck.objects.exists()


def test_answer_and_correct_it_one_row(client, people):
    client.force_login(people["admin"])
    check = start(client)
    client.force_login(people["clerk"])
    first = answer(client, check["id"], status="minor", can_work=False, comment="足を痛めました")
    assert first.status_code == 200, first.content
    assert first.json()["status"] == "minor" and first.json()["answered_by"] == "100002"
    second = answer(client, check["id"], status="safe", can_work=True)
    assert second.json()["status"] == "safe"
    row = Target.objects.get(safety_check_id=check["id"], staff=people["clerk"])
    assert (row.status, row.can_work, row.comment) == ("safe", True, "")
    got = client.get(f"/api/v1/safety/checks/{check['id']}").json()
    assert got["answer"]["status"] == "safe" and got["answer"]["can_work"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [({"status": "fine"}, "status"), ({"status": ""}, "status"), ({"can_work": "maybe"}, "can_work"),
     ({"comment": "x" * 1001}, "comment")],
)  # fmt: skip
def test_bad_answers_are_400_and_store_nothing(client, people, body, field):
    client.force_login(people["admin"])
    check = start(client)
    client.force_login(people["clerk"])
    response = answer(client, check["id"], **body)
    assert response.status_code == 400, response.content
    assert field in response.json()["detail"]
    assert Target.objects.get(safety_check_id=check["id"], staff=people["clerk"]).status == ""


def test_someone_not_asked_gets_404(client, people, org_tree):
    client.force_login(people["admin"])
    check = start(client, departments=[org_tree["jinji"].pk])
    client.force_login(people["other"])
    assert client.get(f"/api/v1/safety/checks/{check['id']}").status_code == 404
    assert answer(client, check["id"]).status_code == 404
    assert client.get(f"/api/v1/safety/checks/{check['id']}/summary").status_code == 404
    assert client.get("/api/v1/safety/checks").json()["results"] == []
    assert client.get(f"/safety/{check['id']}/").status_code == 404


def test_proxy_answer_by_the_section_head_is_recorded_a_colleague_is_refused(client, people):
    client.force_login(people["admin"])
    check = start(client)
    client.force_login(people["head"])
    response = answer(
        client, check["id"], username="100002", status="serious", can_work=False, comment="電話あり"
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        **response.json(), "username": "100002", "answered_by": "100001", "status": "serious",
    }  # fmt: skip
    row = Target.objects.get(safety_check_id=check["id"], staff=people["clerk"])
    assert (row.status, row.answered_by_id) == ("serious", people["head"].pk)
    entry = AuditEntry.objects.get(action="safety.proxy_answer")
    assert entry.actor_id == people["head"].pk and entry.detail["person"] == "100002"
    # A colleague (not a head) may not answer for the head; someone of another department neither.
    client.force_login(people["clerk"])
    refused = answer(client, check["id"], username="100001")
    assert refused.status_code == 403
    client.force_login(people["other"])
    assert answer(client, check["id"], username="100002", status="safe").status_code == 403
    assert Target.objects.get(safety_check_id=check["id"], staff=people["clerk"]).status == "serious"
    assert Target.objects.get(safety_check_id=check["id"], staff=people["head"]).status == ""
    # Not in the audience / unknown: 404.
    client.force_login(people["head"])
    assert answer(client, check["id"], username="999999").status_code == 404


def test_summary_counts_with_sub_departments_rolled_up(client, people, org_tree):
    kakari = DepartmentFactory(code="100110", name="給与係", parent=org_tree["jinji"], order=1)
    from kiban.accounts.tests.factories import StaffFactory

    pay = StaffFactory(username="100003", family_name="鈴木", given_name="次郎")
    MembershipFactory(staff=pay, department=kakari, title="主事")
    client.force_login(people["admin"])
    check = start(client)
    for person, status in ((people["clerk"], "safe"), (pay, "minor"), (people["other"], "safe")):
        client.force_login(person)
        assert answer(client, check["id"], status=status, can_work=status == "safe").status_code == 200
    client.force_login(people["admin"])
    summary = client.get(f"/api/v1/safety/checks/{check['id']}/summary").json()
    assert summary["audience"] == 5 and summary["answered"] == 3
    assert summary["by_status"] == {"safe": 2, "minor": 1, "serious": 0}
    assert summary["can_work"] == {"yes": 2, "no": 1}
    by_id = {d["id"]: d for d in summary["departments"]}
    assert {k: by_id[org_tree["soumu"].pk][k] for k in ("audience", "answered")} == {
        "audience": 4,
        "answered": 2,
    }
    assert {k: by_id[org_tree["jinji"].pk][k] for k in ("audience", "answered")} == {
        "audience": 3,
        "answered": 2,
    }
    assert {k: by_id[kakari.pk][k] for k in ("audience", "answered")} == {"audience": 1, "answered": 1}
    assert by_id[kakari.pk]["parent"] == org_tree["jinji"].pk
    assert {k: by_id[org_tree["doboku"].pk][k] for k in ("audience", "answered")} == {
        "audience": 1,
        "answered": 1,
    }
    assert [d["id"] for d in summary["departments"]] == [
        org_tree["soumu"].pk, org_tree["jinji"].pk, kakari.pk, org_tree["joho"].pk,
        org_tree["doboku"].pk, org_tree["douro"].pk,
    ]  # fmt: skip
    assert sorted(summary["unanswered"]) == ["100001", "100009"]
    assert summary["unanswered_more"] is False
    paged = client.get(f"/api/v1/safety/checks/{check['id']}/summary?limit=1").json()
    assert len(paged["unanswered"]) == 1 and paged["unanswered_more"] is True

    # The section head sees his sections only (人事課 and below); a clerk sees no summary.
    client.force_login(people["head"])
    mine = client.get(f"/api/v1/safety/checks/{check['id']}/summary").json()
    assert mine["audience"] == 3 and mine["answered"] == 2
    assert [d["id"] for d in mine["departments"]] == [org_tree["jinji"].pk, kakari.pk]
    assert mine["unanswered"] == ["100001"]
    client.force_login(people["clerk"])
    assert client.get(f"/api/v1/safety/checks/{check['id']}/summary").status_code == 403


def test_a_closed_check_stays_readable_and_refuses_answers(client, people):
    client.force_login(people["admin"])
    check = start(client)
    client.force_login(people["clerk"])
    assert answer(client, check["id"]).status_code == 200
    client.force_login(people["head"])
    assert client.post(f"/api/v1/safety/checks/{check['id']}/close").status_code == 403
    client.force_login(people["admin"])
    closed = client.post(f"/api/v1/safety/checks/{check['id']}/close").json()
    assert closed["open"] is False and closed["closed_at"]
    client.force_login(people["clerk"])
    refused = answer(client, check["id"], status="minor")
    assert refused.status_code == 409
    assert "締め切られ" in refused.json()["detail"]
    got = client.get(f"/api/v1/safety/checks/{check['id']}").json()
    assert got["open"] is False and got["answer"]["status"] == "safe"
    assert Target.objects.get(safety_check_id=check["id"], staff=people["clerk"]).status == "safe"
    client.force_login(people["admin"])
    assert client.post(f"/api/v1/safety/checks/{check['id']}/remind").status_code == 409


def test_dashboard_viewers_get_one_throttled_event_not_one_per_answer(
    client, people, django_capture_on_commit_callbacks
):
    client.force_login(people["admin"])
    check = start(client)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for person in (people["clerk"], people["head"], people["other"]):
            client.force_login(person)
            assert answer(client, check["id"]).status_code == 200
    # Only the first answer scheduled an update (the others found one due).
    assert len(callbacks) == 1
    assert SafetyCheck.objects.get(pk=check["id"]).progress_due is not None
    with capture_events() as events:
        jobs.push_progress.func(check["id"])
    assert [(sorted(r), e.type, e.check) for r, e in events] == [
        (sorted([people["admin"].pk, people["head"].pk]), "safety.progress", check["id"])
    ]
    assert SafetyCheck.objects.get(pk=check["id"]).progress_due is None


def test_reminders_go_to_those_who_have_not_answered(client, people, django_capture_on_commit_callbacks):
    client.force_login(people["admin"])
    check = start(client)
    run_pending_jobs()
    client.force_login(people["clerk"])
    answer(client, check["id"])
    client.force_login(people["head"])  # a section head reminds his own section
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/v1/safety/checks/{check['id']}/remind").json() == {"reminded": 1}
    run_pending_jobs()
    reminded = set(
        Notification.objects.filter(kind="safety.reminder").values_list("recipient__username", flat=True)
    )
    assert reminded == {"100001"}
    client.force_login(people["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/v1/safety/checks/{check['id']}/remind").json() == {"reminded": 3}
    run_pending_jobs()
    assert OutgoingEmail.objects.filter(subject__startswith="【督促】").count() == 4


def test_csv_export_is_utf8_with_bom_names_not_numbers_and_neutralised(client, people):
    client.force_login(people["admin"])
    check = start(client)
    client.force_login(people["clerk"])
    answer(client, check["id"], comment='=HYPERLINK("http://x")')
    client.force_login(people["admin"])
    response = client.get(f"/api/v1/safety/checks/{check['id']}/answers.csv")
    assert response.status_code == 200
    data = response.content
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "佐藤 花子" in text or "佐藤花子" in text
    assert "'=HYPERLINK" in text
    assert "100002" not in text
    client.force_login(people["clerk"])
    assert client.get(f"/api/v1/safety/checks/{check['id']}/answers.csv").status_code == 403


def test_templates_and_start_from_one(client, people, org_tree):
    client.force_login(people["admin"])
    created = client.post("/api/v1/safety/templates", {"name": "震度5強以上の地震", "title": "地震の安否確認",
                          "departments": [org_tree["doboku"].pk]}, content_type=J)  # fmt: skip
    assert created.status_code == 201, created.content
    dup = client.post("/api/v1/safety/templates", {"name": "震度5強以上の地震", "title": "x"}, content_type=J)
    assert dup.status_code == 400 and dup.json()["detail"].startswith("name")
    listed = client.get("/api/v1/safety/templates").json()
    assert listed == {"results": [created.json()], "more": False}
    check = client.post("/api/v1/safety/checks", {"template": created.json()["id"]}, content_type=J).json()
    assert check["title"] == "地震の安否確認" and check["audience"] == {
        "departments": [org_tree["doboku"].pk]
    }
    assert list(
        Target.objects.filter(safety_check_id=check["id"]).values_list("staff__username", flat=True)
    ) == ["500001"]
    client.force_login(people["clerk"])
    assert client.get("/api/v1/safety/templates").status_code == 403
