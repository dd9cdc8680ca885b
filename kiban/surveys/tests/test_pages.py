"""Survey and inquiry pages: create, answer (named and anonymous, the edit key in a cookie only), results
with server-drawn charts, inquiries answered from the page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kiban.surveys import actions
from kiban.surveys.models import InquiryTarget, Recipient, Survey

pytestmark = pytest.mark.django_db
Q = [{"kind": "single", "text": "使いやすいですか", "choices": ["はい", "いいえ"], "required": True},
     {"kind": "multiple", "text": "機能", "choices": ["チャット", "予定表"]}, {"kind": "scale", "text": "満足度"},
     {"kind": "text", "text": "意見"}, {"kind": "date", "text": "希望日"}]  # fmt: skip


def test_creating_a_survey_from_the_form(client, section_head, clerk, org_tree):
    client.force_login(section_head)
    more = client.post("/surveys/new", {"rows": "3", "add_question": "1", "title": "t"})
    assert more.content.decode().count('name="q3_text"') == 1
    response = client.post("/surveys/new", {
        "rows": "3", "title": "研修アンケート", "audience": "departments", "departments": [str(org_tree["jinji"].pk)],
        "q0_text": "参加しますか", "q0_kind": "single", "q0_choices": "はい\nいいえ", "q0_required": "1",
        "q1_text": "ご意見", "q1_kind": "text", "deadline_date": "2099-04-01",
    })  # fmt: skip
    assert response.status_code == 302
    survey = Survey.objects.get()
    assert [(q.kind, q.choices) for q in survey.questions.all()] == [
        ("single", ["はい", "いいえ"]),
        ("text", []),
    ]
    from django.utils import timezone

    assert timezone.localtime(survey.deadline).isoformat() == "2099-04-01T17:15:00+09:00"
    assert set(Recipient.objects.values_list("staff__username", flat=True)) == {
        section_head.username,
        clerk.username,
    }


def test_bad_form_shows_the_reason_and_creates_nothing(client, section_head):
    client.force_login(section_head)
    response = client.post(
        "/surveys/new", {"rows": "3", "title": "", "q0_text": "x", "q0_kind": "single", "q0_choices": "a"}
    )
    assert response.status_code == 200
    assert "題名" in response.content.decode()
    assert Survey.objects.count() == 0


def test_answering_on_the_page_and_changing_it(client, section_head, clerk):
    survey = actions.do_create_survey(section_head, title="t", questions=Q, audience_spec={"all": True})
    ids = [q.pk for q in survey.questions.all()]
    client.force_login(clerk)
    page = client.get(f"/surveys/{survey.pk}/").content.decode()
    assert 'type="radio"' in page and 'type="date"' in page
    response = client.post(
        f"/surveys/{survey.pk}/",
        {f"q{ids[0]}": "はい", f"q{ids[1]}": ["チャット", "予定表"], f"q{ids[2]}": "4"},
    )
    assert response.status_code == 302
    assert actions.my_answers(clerk, survey) == {
        str(ids[0]): "はい",
        str(ids[1]): ["チャット", "予定表"],
        str(ids[2]): 4,
    }
    client.post(f"/surveys/{survey.pk}/", {f"q{ids[0]}": "いいえ"})
    assert actions.my_answers(clerk, survey)[str(ids[0])] == "いいえ"
    missing = client.post(f"/surveys/{survey.pk}/", {f"q{ids[2]}": "4"})
    assert "必須" in missing.content.decode()


def test_an_anonymous_answer_keeps_its_key_in_the_browser_only(client, section_head, clerk):
    survey = actions.do_create_survey(
        section_head, title="t", questions=Q, audience_spec={"all": True}, anonymous=True
    )
    first = survey.questions.first().pk
    client.force_login(clerk)
    response = client.post(f"/surveys/{survey.pk}/", {f"q{first}": "はい"})
    cookie = response.cookies[f"kiban_survey_{survey.pk}"]
    assert (cookie["httponly"], cookie["samesite"], cookie["path"]) == (
        True,
        "Strict",
        f"/surveys/{survey.pk}/",
    )
    assert 'value="はい" checked' in client.get(f"/surveys/{survey.pk}/").content.decode()
    client.post(f"/surveys/{survey.pk}/", {f"q{first}": "いいえ"})
    client.cookies.pop(f"kiban_survey_{survey.pk}")
    page = client.get(f"/surveys/{survey.pk}/").content.decode()
    assert "回答したときの端末だけ" in page
    client.force_login(section_head)
    from kiban.surveys.results import compute

    assert compute(survey).questions[0].counts == [("はい", 0), ("いいえ", 1)]


def test_results_page_draws_svg_charts(client, section_head, clerk):
    survey = actions.do_create_survey(section_head, title="t", questions=Q, audience_spec={"all": True})
    first = survey.questions.first().pk
    client.force_login(clerk)
    client.post(f"/surveys/{survey.pk}/", {f"q{first}": "はい"})
    assert client.get(f"/surveys/{survey.pk}/results").status_code == 403
    client.force_login(section_head)
    html = client.get(f"/surveys/{survey.pk}/results").content.decode()
    assert (
        '<svg class="sv-pie"' in html
        and 'class="sv-bar"' in html
        and "style=" not in html.split("<main", 1)[1]
    )


def test_inquiry_pages_send_answer_and_return(client, it_admin, clerk, org_tree):
    client.force_login(it_admin)
    response = client.post("/inquiries/new", {"title": "端末調査", "body": "回答願います", "departments": [str(org_tree["jinji"].pk)],
                                              "files": [SimpleUploadedFile("様式.xlsx", b"PK\x03\x04form")]})  # fmt: skip
    assert response.status_code == 302
    inquiry_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    client.force_login(clerk)
    page = client.get(f"/inquiries/{inquiry_id}/").content.decode()
    assert "様式.xlsx" in page and 'name="body"' in page
    client.post(
        f"/inquiries/{inquiry_id}/", {"body": "10台です", "files": [SimpleUploadedFile("内訳.csv", b"a,b")]}
    )
    target = InquiryTarget.objects.get()
    assert (target.state, target.body, [f.name for f in target.files.all()]) == (
        "answered",
        "10台です",
        ["内訳.csv"],
    )
    client.force_login(it_admin)
    client.post(
        f"/inquiries/{inquiry_id}/action",
        {"action": "return", "department": org_tree["jinji"].pk, "comment": "内訳を"},
    )
    assert InquiryTarget.objects.get().state == "returned"
    assert "端末調査" in client.get("/inquiries/").content.decode()
    client.force_login(clerk)
    assert "端末調査" in client.get("/surveys/").content.decode()
