"""One schema per survey: what creating, reading and closing a survey answer is `SurveyOut`, built once."""

from __future__ import annotations

import pytest

from kiban.core.schemas import dump
from kiban.surveys.models import Survey
from kiban.surveys.schemas import SurveyOut, survey_out
from kiban.surveys.tests.test_surveys_api import create

pytestmark = pytest.mark.django_db


def test_api_survey_is_the_schema_dump(client, section_head, clerk):
    client.force_login(section_head)
    created = create(client)
    survey = Survey.objects.get(pk=created["id"])
    assert created == dump(survey_out(survey, section_head))
    assert set(created) == set(SurveyOut.model_fields)
    client.force_login(clerk)
    assert client.get(f"/api/v1/surveys/{survey.pk}").json() == dump(survey_out(survey, clerk, answers=None))


def test_api_inquiry_is_the_schema_dump(client, it_admin, org_tree, section_head, clerk):
    from kiban.surveys import inquiries
    from kiban.surveys.schemas import InquiryOut, InquiryTargetOut, inquiry_out, inquiry_target_out

    client.force_login(it_admin)
    sent = client.post(
        "/api/v1/inquiries",
        {"title": "端末台数調査", "body": "回答してください。", "departments": [org_tree["jinji"].pk]},
        content_type="application/json",
    ).json()
    assert set(sent) == set(InquiryOut.model_fields)
    assert sent == dump(inquiry_out(*inquiries.access_inquiry(it_admin, sent["id"]), it_admin))
    client.force_login(clerk)
    answered = client.post(
        f"/api/v1/inquiries/{sent['id']}/answers", {"body": "12台"}, content_type="application/json"
    ).json()
    assert set(answered) == set(InquiryTargetOut.model_fields)
    inquiry, targets = inquiries.access_inquiry(clerk, sent["id"])
    assert answered == dump(inquiry_target_out(targets[0]))
    inbox = client.get("/api/v1/inquiries", {"limit": 1}).json()
    assert inbox == {"results": [dump(inquiry_out(inquiry, targets, clerk))], "more": False}
