"""Inquiries (照会): each addressed section answers once through any member, sees only its own answer;
the sender sees every section's state, sends back, reminds, exports the table."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kiban.notifications.models import Notification
from kiban.org.tests.factories import MembershipFactory
from kiban.surveys.models import InquiryFile, InquiryTarget

pytestmark = pytest.mark.django_db
J = "application/json"


@pytest.fixture
def inquiry(client, it_admin, org_tree, section_head, clerk, other_clerk):
    """情報システム課 asks 人事課 and 道路課."""
    client.force_login(it_admin)
    response = client.post(
        "/api/v1/inquiries",
        {
            "title": "端末台数調査",
            "body": "各課の端末台数を回答してください。",
            "departments": [org_tree["jinji"].pk, org_tree["douro"].pk],
        },
        content_type=J,
    )
    assert response.status_code == 201, response.content
    return response.json()


def content_of(response) -> bytes:
    from kiban.files.tests.conftest import content_of as read

    return read(response)


def test_each_section_answers_once_through_any_member(client, inquiry, clerk, section_head, org_tree):
    client.force_login(clerk)
    first = client.post(f"/api/v1/inquiries/{inquiry['id']}/answers", {"body": "12台"}, content_type=J)
    assert first.status_code == 201, first.content
    assert (first.json()["state"], first.json()["answered_by"]) == ("answered", clerk.get_full_name())
    client.force_login(section_head)
    second = client.post(f"/api/v1/inquiries/{inquiry['id']}/answers", {"body": "13台"}, content_type=J)
    assert (second.status_code, second.json()["detail"].split(":")[0]) == (409, "department")
    target = InquiryTarget.objects.get(inquiry_id=inquiry["id"], department=org_tree["jinji"])
    assert (target.body, target.answered_by_id) == ("12台", clerk.pk)


def test_a_section_sees_only_its_own_answer_and_outsiders_nothing(
    client, inquiry, clerk, other_clerk, section_head
):
    client.force_login(other_clerk)
    client.post(f"/api/v1/inquiries/{inquiry['id']}/answers", {"body": "道路課は5台"}, content_type=J)
    client.force_login(clerk)
    seen = client.get(f"/api/v1/inquiries/{inquiry['id']}").json()
    assert [t["department"]["name"] for t in seen["targets"]] == ["人事課"]
    assert "道路課は5台" not in str(seen)
    assert client.get(f"/api/v1/inquiries/{inquiry['id']}/answers.csv").status_code == 403
    from kiban.accounts.tests.factories import StaffFactory

    outsider = StaffFactory()
    client.force_login(outsider)
    assert client.get(f"/api/v1/inquiries/{inquiry['id']}").status_code == 404
    assert (
        client.post(f"/api/v1/inquiries/{inquiry['id']}/answers", {"body": "x"}, content_type=J).status_code
        == 404
    )


def test_the_sender_sees_every_state_sends_back_and_exports(
    client, inquiry, it_admin, clerk, other_clerk, org_tree, django_capture_on_commit_callbacks
):
    client.force_login(clerk)
    client.post(f"/api/v1/inquiries/{inquiry['id']}/answers", {"body": "12台"}, content_type=J)
    client.force_login(it_admin)
    states = {
        t["department"]["name"]: t["state"]
        for t in client.get(f"/api/v1/inquiries/{inquiry['id']}").json()["targets"]
    }
    assert states == {"人事課": "answered", "道路課": "unanswered"}
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        returned = client.post(
            f"/api/v1/inquiries/{inquiry['id']}/targets/{org_tree['jinji'].pk}/return",
            {"comment": "内訳も記載してください"},
            content_type=J,
        )
    assert (returned.status_code, returned.json()["state"]) == (200, "returned")
    from kiban.core.jobs import run_pending_jobs

    run_pending_jobs()
    assert clerk.pk in set(
        Notification.objects.filter(kind="inquiries.reminder").values_list("recipient_id", flat=True)
    )
    client.force_login(clerk)
    again = client.post(
        f"/api/v1/inquiries/{inquiry['id']}/answers",
        {"body": "12台（デスクトップ8、ノート4）"},
        content_type=J,
    )
    assert again.status_code == 201
    client.force_login(it_admin)
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(f"/api/v1/inquiries/{inquiry['id']}/answers.csv").content.decode("utf-8-sig")
            )
        )
    )
    assert rows[0] == ["所属", "状態", "回答者", "回答日時", "回答", "添付ファイル"]
    assert [(r[0], r[1], r[2], r[4]) for r in rows[1:]] == [
        ("人事課", "回答済", clerk.get_full_name(), "12台（デスクトップ8、ノート4）"),
        ("道路課", "未回答", "", ""),
    ]
    client.force_login(clerk)
    refused = client.post(
        f"/api/v1/inquiries/{inquiry['id']}/targets/{org_tree['douro'].pk}/return",
        {"comment": "x"},
        content_type=J,
    )
    assert refused.status_code in (403, 404)


def test_answers_carry_files_visible_to_the_sender_and_the_section_only(
    client, inquiry, it_admin, clerk, other_clerk
):
    client.force_login(clerk)
    uploaded = client.post(
        "/api/v1/inquiries/files", {"file": SimpleUploadedFile("端末一覧.csv", "機種,台数\n".encode())}
    )
    assert uploaded.status_code == 201
    file_id = uploaded.json()["id"]
    answer = client.post(
        f"/api/v1/inquiries/{inquiry['id']}/answers",
        {"body": "添付のとおり", "attachments": [file_id]},
        content_type=J,
    )
    assert [f["name"] for f in answer.json()["files"]] == ["端末一覧.csv"]
    assert content_of(client.get(f"/api/v1/inquiries/files/{file_id}")) == "機種,台数\n".encode()
    client.force_login(it_admin)
    assert client.get(f"/api/v1/inquiries/files/{file_id}").status_code == 200
    client.force_login(other_clerk)
    assert client.get(f"/api/v1/inquiries/files/{file_id}").status_code == 404


def test_someone_elses_upload_cannot_be_attached(client, inquiry, clerk, other_clerk):
    client.force_login(other_clerk)
    theirs = client.post("/api/v1/inquiries/files", {"file": SimpleUploadedFile("x.txt", b"x")}).json()["id"]
    client.force_login(clerk)
    response = client.post(
        f"/api/v1/inquiries/{inquiry['id']}/answers", {"body": "x", "attachments": [theirs]}, content_type=J
    )
    assert (response.status_code, response.json()["detail"].split(":")[0]) == (400, "attachments")
    assert (
        InquiryTarget.objects.get(inquiry_id=inquiry["id"], department__name="人事課").state == "unanswered"
    )
    assert InquiryFile.objects.get(pk=theirs).target_id is None


def test_a_member_of_two_addressed_sections_says_which_one_answers(client, inquiry, clerk, org_tree):
    MembershipFactory(staff=clerk, department=org_tree["douro"], is_primary=False)
    client.force_login(clerk)
    ambiguous = client.post(f"/api/v1/inquiries/{inquiry['id']}/answers", {"body": "x"}, content_type=J)
    assert (ambiguous.status_code, ambiguous.json()["detail"].split(":")[0]) == (400, "department")
    chosen = client.post(
        f"/api/v1/inquiries/{inquiry['id']}/answers",
        {"body": "道路課分", "department": org_tree["douro"].pk},
        content_type=J,
    )
    assert (chosen.status_code, chosen.json()["department"]["name"]) == (201, "道路課")
    seen = client.get(f"/api/v1/inquiries/{inquiry['id']}").json()
    assert sorted(t["department"]["name"] for t in seen["targets"]) == ["人事課", "道路課"]


def test_inbox_and_portal_query(client, inquiry, clerk, it_admin):
    from kiban.surveys.queries import inquiries_to_answer

    client.force_login(clerk)
    inbox = client.get("/api/v1/inquiries?box=inbox").json()
    assert [(i["title"], [t["state"] for t in i["targets"]]) for i in inbox["results"]] == [
        ("端末台数調査", ["unanswered"])
    ]
    assert [i.title for i in inquiries_to_answer(clerk)] == ["端末台数調査"]
    client.post(f"/api/v1/inquiries/{inquiry['id']}/answers", {"body": "x"}, content_type=J)
    assert inquiries_to_answer(clerk) == []
    client.force_login(it_admin)
    assert [i["title"] for i in client.get("/api/v1/inquiries?box=sent").json()["results"]] == [
        "端末台数調査"
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "", "body": "b", "departments": [1]}, "title"),
        ({"title": "t", "body": "", "departments": [1]}, "body"),
        ({"title": "t", "body": "b", "departments": []}, "departments"),
        ({"title": "t", "body": "b", "departments": [999999]}, "departments"),
    ],
)
def test_bad_inquiries_are_refused(client, it_admin, body, field):
    client.force_login(it_admin)
    response = client.post("/api/v1/inquiries", body, content_type=J)
    assert (response.status_code, response.json()["detail"].split(":")[0]) == (400, field)
